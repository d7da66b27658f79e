//! items-service's OpenAPI 3.1 document, served at `/openapi.json` with the
//! shared operations added. The operations are described beside their
//! handlers.

use utoipa::OpenApi;

/// OAuth 2.0 clients get tokens from auth-service, at its address under
/// `docker compose up`.
const SECURITY: shared::openapi::Security<'static> = shared::openapi::Security {
    token_url: "http://localhost:8081/v1/token",
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "items-service",
        description = "Items, behind access tokens from auth-service (verified locally). Errors \
                       are RFC 9457 problem details, except on the Flask-RESTful routes \
                       `/item/{name}`, which keep the tutorial's bodies."
    ),
    paths(
        super::items::list,
        super::items::get,
        super::items::put,
        super::items::delete,
        super::flask::get_item,
        super::flask::post_item,
    ),
    modifiers(&SECURITY),
    tags(
        (name = "items", description = "The v1 items API."),
        (name = "flask", description = "The Flask-RESTful item routes, unchanged for their clients."),
    ),
)]
pub struct ApiDoc;
