//! The operations endpoints every service has, registered by one call to
//! [`operations`]: `GET /health/live`, `GET /health/ready`, `GET /metrics`,
//! `GET /openapi.json` (the service's document with these operations added)
//! and Swagger UI at `/docs/` (its files inside the binary).
//!
//! ```
//! use actix_web::{test, web, App};
//! use futures_util::future::BoxFuture;
//! use shared::operations::ReadyCheck;
//! use utoipa::OpenApi;
//!
//! #[derive(OpenApi)]
//! #[openapi(info(title = "reports-service"))]
//! struct Doc;
//!
//! /// What the service cannot serve without; here, a database that is down.
//! struct Down;
//! impl ReadyCheck for Down {
//!     fn check(&self) -> BoxFuture<'_, Result<(), String>> {
//!         Box::pin(async { Err("connection refused".to_owned()) })
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let check: std::sync::Arc<dyn ReadyCheck> = std::sync::Arc::new(Down);
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::from(check))
//!         .configure(shared::operations::operations(Doc::openapi())),
//! )
//! .await;
//! let get = |path: &str| test::TestRequest::get().uri(path).to_request();
//! assert_eq!(test::call_service(&app, get("/health/live")).await.status(), 200);
//! assert_eq!(test::call_service(&app, get("/health/ready")).await.status(), 503);
//! let document = test::call_and_read_body(&app, get("/openapi.json")).await;
//! assert!(std::str::from_utf8(&document).expect("UTF-8").contains("\"/metrics\""));
//! # });
//! ```

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{HttpResponse, ResponseError as _, web};
use futures_util::future::BoxFuture;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::{AllowedMethods, method, resource};
use crate::problem::ProblemDetails;

/// `GET /health/live`'s answer: `{"status": "ok"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok`.
    pub status: &'static str,
}

/// `GET /health/ready`'s answer when the database answers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "checks": {"database": "ok"}}))]
pub struct Readiness {
    /// `ok`.
    pub status: &'static str,
    /// Each dependency checked and its state.
    pub checks: BTreeMap<&'static str, &'static str>,
}

/// What `GET /health/ready` checks: what the service cannot serve without
/// (its database: `shared::db::Database` implements it). Registered as
/// `web::Data<dyn ReadyCheck>`; see the module example.
pub trait ReadyCheck: Send + Sync + 'static {
    /// `Err` with the cause, for the log, when the service cannot serve.
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

/// Ready once a ring is loaded (a JWK Set URL that never answered is not).
impl ReadyCheck for crate::token::Keys {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        let loaded = self.current().is_some();
        Box::pin(async move {
            if loaded {
                Ok(())
            } else {
                Err("no verification keys yet: the JWK Set URL has not answered".to_owned())
            }
        })
    }
}

/// Both checks pass.
impl<A: ReadyCheck, B: ReadyCheck> ReadyCheck for (A, B) {
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.0.check().await?;
            self.1.check().await
        })
    }
}

/// The liveness probe's handler.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "operations",
    summary = "Liveness: the process answers.",
    description = "Checks nothing else; for a liveness probe.",
    responses((status = 200, description = "The process answers.", body = HealthStatus)),
)]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// The readiness probe's handler: the service's [`ReadyCheck`] passes.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    summary = "Readiness: the database answers.",
    description = "503 while a query on the database fails, or while the verification keys \
                   are not loaded yet (a JWK Set URL that has not answered); for a readiness \
                   probe.",
    responses(
        (status = 200, description = "The database answers.", body = Readiness),
        (status = 503, description = "The database does not answer.", body = ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub async fn ready(check: web::Data<dyn ReadyCheck>) -> HttpResponse {
    match check.check().await {
        Ok(()) => HttpResponse::Ok().json(Readiness {
            status: "ok",
            checks: BTreeMap::from([("database", "ok")]),
        }),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            crate::problem::unavailable().error_response()
        }
    }
}

/// The operations every service has, documented once; [`with_operations`]
/// adds them to a service's own document. Their handlers give summary and
/// description in `#[utoipa::path]`, so that no doc comment becomes text.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(live, ready, crate::metrics::serve, serve),
    components(schemas(ProblemDetails)),
    tags((name = "operations", description = "Health, metrics and this document.")),
)]
pub struct Operations;

/// A service's document with [`Operations`] added: what `/openapi.json`
/// serves.
pub fn with_operations(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    document.merge(<Operations as utoipa::OpenApi>::openapi());
    document
}

/// The rendered document, served by `/openapi.json`.
#[derive(Debug, Clone)]
struct RenderedDocument(web::Bytes);

/// Registers the operations endpoints (see the module docs) and the
/// methods of every documented path, for the `Allow` header of a 405.
/// `document` is the service's own; it is served with [`Operations`] added,
/// rendered once. `/health/ready` needs a `web::Data<dyn ReadyCheck>`.
pub fn operations(
    document: utoipa::openapi::OpenApi,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let document = with_operations(document);
    let allowed = web::Data::new(AllowedMethods::new(crate::openapi::allowed_methods(
        &document,
    )));
    let rendered = web::Data::new(RenderedDocument(web::Bytes::from(crate::openapi::render(
        document,
    ))));
    move |cfg| {
        cfg.app_data(allowed.clone())
            .app_data(rendered.clone())
            .service(resource("/health/live").route(method(Method::GET).to(live)))
            .service(resource("/health/ready").route(method(Method::GET).to(ready)))
            .service(resource("/metrics").route(method(Method::GET).to(crate::metrics::serve)))
            .service(resource("/openapi.json").route(method(Method::GET).to(serve)))
            // Before the scope: a scope that matches `/docs` answers it alone.
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .service(
                web::scope("/docs").wrap(page_headers()).service(
                    utoipa_swagger_ui::SwaggerUi::new("/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/openapi.json")),
                ),
            );
    }
}

/// What every HTML page of ours sends: no other site may frame it
/// (clickjacking), and no browser may guess a type it was not given.
fn page_headers() -> actix_web::middleware::DefaultHeaders {
    use actix_web::http::header::{
        CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    actix_web::middleware::DefaultHeaders::new()
        .add((CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
        .add((X_FRAME_OPTIONS, "DENY"))
        .add((X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// The document's handler.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "operations",
    summary = "This document.",
    description = "OpenAPI 3.1; Swagger UI shows it at `/docs/`.",
    responses((status = 200, description = "This document (OpenAPI 3.1).", content_type = "application/json", body = Object)),
)]
async fn serve(document: web::Data<RenderedDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

#[cfg(test)]
mod tests {
    use actix_web::App;
    use actix_web::test::{TestRequest, call_service, init_service};

    #[actix_web::test]
    async fn the_docs_page_cannot_be_framed_or_sniffed() {
        #[derive(utoipa::OpenApi)]
        #[openapi(info(title = "a service"))]
        struct Doc;
        let app = init_service(
            App::new().configure(super::operations(<Doc as utoipa::OpenApi>::openapi())),
        )
        .await;
        for path in ["/docs/", "/docs/index.html", "/docs/swagger-ui.css"] {
            let request = TestRequest::get().uri(path).to_request();
            let response = call_service(&app, request).await;
            assert_eq!(response.status(), 200, "{path}");
            let header = |name: &str| {
                let value = response.headers().get(name).expect(name);
                value.to_str().expect("text").to_owned()
            };
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert_eq!(header("content-security-policy"), "frame-ancestors 'none'");
            assert_eq!(header("x-content-type-options"), "nosniff");
        }
        let request = TestRequest::get().uri("/docs").to_request();
        let response = call_service(&app, request).await;
        assert_eq!(response.status(), 308);
    }

    #[test]
    fn the_shared_operations_describe_themselves_without_rust_code() {
        let document = <super::Operations as utoipa::OpenApi>::openapi();
        let mut operations = 0;
        for item in document.paths.paths.values() {
            let operation = item.get.as_ref().expect("every shared operation is a GET");
            operations += 1;
            for text in [&operation.summary, &operation.description] {
                let text = text.as_deref().expect("written in #[utoipa::path]");
                assert!(!text.contains("```") && !text.contains("let "), "{text}");
            }
        }
        assert_eq!(operations, 4);
    }
}
