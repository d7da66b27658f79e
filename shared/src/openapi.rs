//! What both services' OpenAPI 3.1 documents share: the problem-details and
//! Flask schemas, the security schemes, the operations every service has
//! (health, metrics, the document at `/openapi.json` and Swagger UI at
//! `/docs/`), and the check that holds a service's routes against its
//! document.
//!
//! ```
//! use utoipa::OpenApi;
//!
//! const SECURITY: shared::openapi::Security<'static> =
//!     shared::openapi::Security { token_url: "/v1/token" };
//!
//! #[derive(OpenApi)]
//! #[openapi(
//!     paths(shared::http::live),
//!     components(schemas(shared::openapi::ProblemDetails)),
//!     modifiers(&SECURITY),
//! )]
//! struct Doc;
//!
//! let json = shared::openapi::render(Doc::openapi());
//! assert!(json.contains("\"openapi\":\"3.1.0\""));
//! assert!(json.contains("\"/health/live\""));
//! ```

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, ToSchema};

/// An RFC 9457 problem (`application/problem+json`): every error outside
/// the Flask-compatible routes.
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
    "detail": "the field `price` is invalid: must be zero or more",
    "errors": {"price": ["must be zero or more"]}
}))]
pub struct ProblemDetails {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[schema(rename = "type")]
    pub problem_type: String,
    /// The status code's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong, for a person.
    pub detail: String,
    /// Messages per invalid field, when input was invalid.
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

/// `GET /health/live`'s answer: `{"status": "ok"}`.
#[derive(Debug, ToSchema)]
pub struct HealthStatus {
    /// `ok`.
    pub status: String,
}

/// Flask-JWT's error body, on the Flask-compatible routes.
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(example = json!({
    "status_code": 401, "error": "Authorization Required",
    "description": "this endpoint needs an access token: send `Authorization: Bearer <token>`"
}))]
pub struct FlaskAuthError {
    /// The HTTP status code.
    pub status_code: u16,
    /// `Authorization Required`, `Invalid token` or `Forbidden`.
    pub error: String,
    /// What was wrong.
    pub description: String,
}

/// Flask-RESTful's error body, on the Flask-compatible routes.
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(example = json!({"message": {"price": "This field cannot be left blank!"}}))]
pub struct FlaskMessage {
    /// A sentence, or an object of messages per field.
    pub message: serde_json::Value,
}

/// `GET /health/ready`'s answer when the database answers.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"status": "ok", "checks": {"database": "ok"}}))]
pub struct Readiness {
    /// `ok`.
    pub status: String,
    /// Each dependency checked and its state.
    pub checks: BTreeMap<String, String>,
}

/// Adds the security schemes: `bearer` (a JWT access token in
/// `Authorization: Bearer`, or `JWT` for Flask-JWT clients) and `oauth2`
/// (the password flow at auth-service's token endpoint, `token_url`).
///
/// ```
/// use utoipa::Modify as _;
///
/// let mut doc = utoipa::openapi::OpenApiBuilder::new().build();
/// shared::openapi::Security { token_url: "http://localhost:8081/v1/token" }.modify(&mut doc);
/// let schemes = doc.components.expect("components").security_schemes;
/// assert!(schemes.contains_key("bearer") && schemes.contains_key("oauth2"));
/// ```
#[derive(Debug, Clone)]
pub struct Security<'a> {
    /// Where OAuth 2.0 clients get tokens.
    pub token_url: &'a str,
}

impl Modify for Security<'_> {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from auth-service. `Authorization: JWT <token>` \
                         (Flask-JWT) is accepted too.",
                    ))
                    .build(),
            ),
        );
        let scopes = Scopes::from_iter([
            ("items:read", "read items"),
            ("items:write", "create, replace and delete items"),
        ]);
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                self.token_url,
                scopes,
            ))])),
        );
    }
}

/// The document as JSON text.
pub fn render(document: utoipa::openapi::OpenApi) -> String {
    // A document built from types always serialises.
    document.to_json().unwrap_or_default()
}

/// Every method an OpenAPI path item can hold, in the document's order.
const OPERATION_METHODS: [Method; 8] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::OPTIONS,
    Method::HEAD,
    Method::PATCH,
    Method::TRACE,
];

/// Each path of `document` with the methods it documents.
fn documented_methods(
    document: &utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&str, Vec<Method>)> {
    document.paths.paths.iter().map(|(path, item)| {
        let operations = serde_json::to_value(item).unwrap_or_default();
        let methods = OPERATION_METHODS
            .into_iter()
            .filter(|method| operations.get(method.as_str().to_lowercase()).is_some())
            .collect();
        (path.as_str(), methods)
    })
}

/// The rendered document, as app data for [`serve`], and the methods of each
/// path, for the `Allow` header of a 405.
#[derive(Debug, Clone)]
pub struct Document {
    json: web::Bytes,
    allow: std::collections::HashMap<String, String>,
}

impl Document {
    /// `document` rendered, and its methods per path.
    ///
    /// ```
    /// use utoipa::OpenApi;
    ///
    /// #[derive(OpenApi)]
    /// #[openapi(paths(shared::http::live))]
    /// struct Doc;
    ///
    /// let document = shared::openapi::Document::new(&Doc::openapi());
    /// assert_eq!(document.allow("/health/live"), Some("GET"));
    /// ```
    pub fn new(document: &utoipa::openapi::OpenApi) -> Self {
        let allow = documented_methods(document)
            .map(|(path, methods)| {
                let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
                (path.to_owned(), names.join(", "))
            })
            .collect();
        Self {
            json: web::Bytes::from(render(document.clone())),
            allow,
        }
    }

    /// The methods the document gives `path` (a route template), as an
    /// `Allow` header value.
    ///
    /// ```
    /// # use utoipa::OpenApi;
    /// # #[derive(OpenApi)]
    /// # #[openapi(paths(shared::http::live))]
    /// # struct Doc;
    /// let document = shared::openapi::Document::new(&Doc::openapi());
    /// assert_eq!(document.allow("/nowhere"), None);
    /// ```
    pub fn allow(&self, path: &str) -> Option<&str> {
        self.allow.get(path).map(String::as_str)
    }
}

/// The operations every service has, documented once: health, metrics and
/// the document itself. [`with_operations`] adds them to a service's own.
/// Their handlers give summary and description in `#[utoipa::path]`: their
/// doc comments hold doctests, which would otherwise become the text.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        crate::http::live,
        crate::http::ready,
        crate::metrics::serve,
        serve
    ),
    components(schemas(ProblemDetails)),
    tags((name = "operations", description = "Health, metrics and this document.")),
)]
pub struct Operations;

/// A service's document with [`Operations`] added: what `/openapi.json`
/// serves.
///
/// ```
/// use utoipa::OpenApi;
///
/// #[derive(OpenApi)]
/// #[openapi(info(title = "notes"))]
/// struct Doc;
///
/// let json = shared::openapi::render(shared::openapi::with_operations(Doc::openapi()));
/// assert!(json.contains("\"/health/ready\"") && json.contains("\"/metrics\""));
/// ```
pub fn with_operations(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    document.merge(<Operations as utoipa::OpenApi>::openapi());
    document
}

/// Registers the operations every service has: `GET /health/live`,
/// `GET /health/ready` (needs a `web::Data<dyn ReadyCheck>`: see
/// [`crate::http::ready`]), `GET /metrics`, `GET /openapi.json` serving
/// `document` with them (see [`with_operations`]), rendered once, and the
/// interactive documentation (Swagger UI, its files inside the binary) at
/// `/docs/`.
///
/// ```
/// use utoipa::OpenApi;
///
/// #[derive(OpenApi)]
/// #[openapi(info(title = "notes"))]
/// struct Doc;
///
/// let app = actix_web::App::new().configure(shared::openapi::operations(Doc::openapi()));
/// # let _ = app;
/// ```
pub fn operations(
    document: utoipa::openapi::OpenApi,
) -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let document = web::Data::new(Document::new(&with_operations(document)));
    move |cfg| {
        cfg.app_data(document.clone())
            .service(crate::http::resource("/health/live").route(web::get().to(crate::http::live)))
            .service(
                crate::http::resource("/health/ready").route(web::get().to(crate::http::ready)),
            )
            .service(crate::http::resource("/metrics").route(web::get().to(crate::metrics::serve)))
            .service(crate::http::resource("/openapi.json").route(web::get().to(serve)))
            .service(
                utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                    .config(utoipa_swagger_ui::Config::from("/openapi.json")),
            )
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                        .finish()
                }),
            );
    }
}

/// `GET /openapi.json`: the service's OpenAPI document.
///
/// ```
/// let app = actix_web::App::new()
///     .route("/openapi.json", actix_web::web::get().to(shared::openapi::serve));
/// # let _ = app;
/// ```
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    summary = "This document.",
    description = "OpenAPI 3.1; Swagger UI shows it at `/docs/`.",
    responses((status = 200, description = "This document (OpenAPI 3.1).", content_type = "application/json", body = Object)),
)]
pub async fn serve(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.json.clone())
}

/// Where the routes `configure` registers and `document` disagree: each
/// method of each path registered through [`crate::http::resource`] that
/// the document lacks, and each documented operation the app does not
/// answer. A method counts as registered unless the resource answers it 405.
///
/// ```
/// use actix_web::web;
/// use utoipa::OpenApi;
///
/// #[derive(OpenApi)]
/// #[openapi(paths(shared::http::live))]
/// struct Doc;
///
/// let configure = |cfg: &mut web::ServiceConfig| {
///     cfg.service(shared::http::resource("/health/live").route(web::get().to(shared::http::live)))
///         .service(shared::http::resource("/v1/secret").route(web::delete().to(shared::http::live)));
/// };
/// # actix_web::rt::System::new().block_on(async {
/// let mismatches = shared::openapi::mismatches(configure, &Doc::openapi()).await;
/// assert_eq!(mismatches, ["DELETE /v1/secret is registered but not documented"]);
/// # });
/// ```
#[cfg(feature = "test-support")]
pub async fn mismatches<F>(configure: F, document: &utoipa::openapi::OpenApi) -> Vec<String>
where
    F: Fn(&mut web::ServiceConfig) + Clone,
{
    use actix_web::test::{call_service, init_service, TestRequest};

    let documented: std::collections::BTreeSet<(String, String)> = documented_methods(document)
        .flat_map(|(path, methods)| {
            methods
                .into_iter()
                .map(move |method| (method.to_string(), path.to_owned()))
        })
        .collect();
    let paths = crate::http::registered_paths(configure.clone());
    let app = init_service(actix_web::App::new().configure(configure)).await;
    let mut found = Vec::new();
    let mut registered = std::collections::BTreeSet::new();
    for path in &paths {
        let concrete = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "probe"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in OPERATION_METHODS {
            let request = TestRequest::default()
                .method(method.clone())
                .uri(&concrete)
                .to_request();
            if call_service(&app, request).await.status() != 405 {
                registered.insert((method.to_string(), path.clone()));
            }
        }
    }
    for (method, path) in registered.difference(&documented) {
        found.push(format!("{method} {path} is registered but not documented"));
    }
    for (method, path) in documented.difference(&registered) {
        found.push(format!("{method} {path} is documented but not registered"));
    }
    found
}

#[cfg(test)]
mod tests {
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
