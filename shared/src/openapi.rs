//! What every service's OpenAPI 3.1 document shares: the security schemes,
//! the refusals many routes answer (declared once, listed in a route's
//! `responses(...)` by name), rendering, and (with `test-support`) the check that holds a service's
//! routes against its document. The operations every service has, and the
//! serving of the document, are in `crate::operations`.
//!
//! ```
//! use utoipa::OpenApi;
//!
//! const SECURITY: shared::openapi::Security<'static> = shared::openapi::Security {
//!     token_url: "/v1/token",
//!     scopes: &[("reports:read", "read reports")],
//! };
//!
//! #[derive(OpenApi)]
//! #[openapi(info(title = "reports-service"), modifiers(&SECURITY))]
//! struct Doc;
//!
//! let json = shared::openapi::render(Doc::openapi());
//! assert!(json.contains("\"openapi\":\"3.1.0\""));
//! assert!(json.contains("\"reports:read\""));
//! ```

use actix_web::http::Method;
use utoipa::Modify;
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};

/// What a route that takes a JSON body answers before its handler runs
/// when the body is not one it can read (`crate::body::Json`).
#[derive(utoipa::IntoResponses)]
pub enum JsonBodyRefusals {
    /// The body is not JSON.
    #[response(status = 400, content_type = "application/problem+json")]
    NotJson(crate::problem::ProblemDetails),
    /// The body is over 16 KiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(crate::problem::ProblemDetails),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJsonType(crate::problem::ProblemDetails),
}

/// What a list route answers to a `limit` or `cursor` it cannot use
/// (`crate::page`).
#[derive(utoipa::IntoResponses)]
pub enum PageRefusals {
    /// A bad limit or cursor.
    #[response(status = 400, content_type = "application/problem+json")]
    BadPage(crate::problem::ProblemDetails),
}

/// Adds the security schemes: `bearer` (a JWT access token in
/// `Authorization: Bearer`, or `JWT` for Flask-JWT clients) and `oauth2`
/// (the password and client-credentials flows at auth-service's token
/// endpoint, `token_url`, with the service's own `scopes`). See the module
/// example.
#[derive(Debug, Clone)]
pub struct Security<'a> {
    /// Where OAuth 2.0 clients get tokens.
    pub token_url: &'a str,
    /// The scopes the service's operations require: `(name, description)`.
    pub scopes: &'a [(&'a str, &'a str)],
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
        let scopes = || Scopes::from_iter(self.scopes.iter().copied());
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([
                Flow::Password(Password::new(self.token_url, scopes())),
                Flow::ClientCredentials(ClientCredentials::new(self.token_url, scopes())),
            ])),
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

/// The `Allow` header value of each path of `document`: the methods it
/// documents, in the document's order.
pub fn allowed_methods(document: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
    documented_methods(document)
        .map(|(path, methods)| {
            let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
            (path.to_owned(), names.join(", "))
        })
        .collect()
}

/// Where the routes `configure` registers and `document` disagree: each
/// method of each path registered through [`crate::http::resource`] that
/// the document lacks, each documented operation the app does not
/// answer, and each operationId given to two operations (client
/// generators name methods after them). A method counts as registered unless the resource answers it 405.
///
/// ```
/// use actix_web::web;
/// use shared::operations::live;
/// use utoipa::OpenApi;
///
/// #[derive(OpenApi)]
/// #[openapi(paths(shared::operations::live))]
/// struct Doc;
///
/// let configure = |cfg: &mut web::ServiceConfig| {
///     cfg.service(shared::http::resource("/health/live").route(shared::http::method(actix_web::http::Method::GET).to(live)))
///         .service(shared::http::resource("/v1/secret").route(shared::http::method(actix_web::http::Method::DELETE).to(live)));
/// };
/// # actix_web::rt::System::new().block_on(async {
/// let mismatches = shared::openapi::mismatches(configure, &Doc::openapi()).await;
/// assert_eq!(mismatches, ["DELETE /v1/secret is registered but not documented"]);
/// # });
/// ```
#[cfg(feature = "test-support")]
pub async fn mismatches<F>(configure: F, document: &utoipa::openapi::OpenApi) -> Vec<String>
where
    F: Fn(&mut actix_web::web::ServiceConfig) + Clone,
{
    use actix_web::test::{TestRequest, call_service, init_service};

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
    let mut operation_ids = std::collections::BTreeSet::new();
    for item in document.paths.paths.values() {
        let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
        for id in operations
            .into_iter()
            .flatten()
            .filter_map(|o| o.operation_id.as_ref())
        {
            if !operation_ids.insert(id) {
                found.push(format!("the operationId `{id}` names two operations"));
            }
        }
    }
    found
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    mod first {
        #[utoipa::path(get, path = "/first", responses((status = 200)))]
        pub(super) async fn serve() -> &'static str {
            "first"
        }
    }

    mod second {
        #[utoipa::path(get, path = "/second", responses((status = 200)))]
        pub(super) async fn serve() -> &'static str {
            "second"
        }
    }

    #[derive(utoipa::OpenApi)]
    #[openapi(paths(first::serve, second::serve))]
    struct Doc;

    #[test]
    fn two_operations_with_one_operation_id_are_a_mismatch() {
        use actix_web::web;
        use utoipa::OpenApi as _;

        let configure = |cfg: &mut web::ServiceConfig| {
            cfg.service(
                crate::http::resource("/first")
                    .route(crate::http::method(super::Method::GET).to(first::serve)),
            )
            .service(
                crate::http::resource("/second")
                    .route(crate::http::method(super::Method::GET).to(second::serve)),
            );
        };
        let found = actix_web::rt::System::new()
            .block_on(async { super::mismatches(configure, &Doc::openapi()).await });
        assert_eq!(found, ["the operationId `serve` names two operations"]);
    }
}
