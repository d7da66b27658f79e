//! The HTTP edge: thin handlers that parse the request into domain types,
//! call the store, map the error, build the response; the only place that
//! builds HTTP answers. This file joins the routes and their OpenAPI
//! documentation; a response body type lives beside its handler.

mod flask;
mod items;
mod metadata;

pub use metadata::{PATH as METADATA_PATH, ResourceMetadata};

/// The request bodies, reachable for the fuzz targets in `fuzz/`, which run
/// them through the same extractors as the routes do.
pub mod bodies {
    pub use super::flask::FlaskItem;
    pub use super::items::PutItem;
}

use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, web};
use shared::auth::{ErrorStyle, RequiredScope};
use shared::http::{method, resource};
use shared::problem::ApiError;
use utoipa::OpenApi;

use crate::store::{Item, Shape, StoreError};

/// Reading items needs this scope.
pub struct ItemsRead;
impl RequiredScope for ItemsRead {
    const SCOPE: &'static str = "items:read";
}

/// Writing items needs this scope.
pub struct ItemsWrite;
impl RequiredScope for ItemsWrite {
    const SCOPE: &'static str = "items:write";
}

/// Every route of the service, and the operations endpoints. Call it once
/// and clone the result into each worker: the OpenAPI document is built and
/// rendered here, and a worker that did it again would keep the garbage.
pub fn routes() -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let operations = shared::operations::operations(ApiDoc::openapi());
    move |cfg| configure(cfg, operations.clone())
}

/// actix-web tries the routes in order, and each that does not match costs
/// the request (a `{name}` expression about 1,200 instructions, a fixed path
/// about 250; callgrind): the item reads first.
fn configure(cfg: &mut web::ServiceConfig, operations: impl FnOnce(&mut web::ServiceConfig)) {
    cfg.service(
        resource("/item/{name}")
            .app_data(ErrorStyle::Flask)
            .route(method(Method::GET).to(flask::get_item))
            .route(method(Method::POST).to(flask::post_item)),
    )
    .service(
        resource("/v1/items/{name}")
            .route(method(Method::GET).to(items::get))
            .route(method(Method::PUT).to(items::put))
            .route(method(Method::DELETE).to(items::delete)),
    )
    .service(resource(metadata::PATH).route(method(Method::GET).to(metadata::protected_resource)))
    .service(resource("/v1/items").route(method(Method::GET).to(items::list)))
    .configure(operations);
}

/// `200 OK` with `item` in `shape`, serialized by `write` only the first
/// time that item is answered in it ([`Item::written_as`]).
fn item_answer(
    item: &Item,
    shape: Shape,
    write: impl FnOnce(&Item) -> serde_json::Result<Vec<u8>>,
) -> HttpResponse {
    match item.written_as(shape, |item| write(item).map(web::Bytes::from)) {
        // A static value: `ContentType::json()` copies its text into a new
        // allocation on every answer.
        Ok(body) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(body),
        // What `HttpResponseBuilder::json` answers (a 500); derived
        // `Serialize` of strings and a number does not fail.
        Err(error) => {
            HttpResponse::from_error(actix_web::error::JsonPayloadError::Serialize(error))
        }
    }
}

/// A store that cannot answer is a 503 (the cause is logged once, there).
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error.0)
    }
}

/// OAuth 2.0 clients get tokens from auth-service, at its address under
/// `docker compose up`, with the scopes this service's routes require.
const SECURITY: shared::openapi::Security<'static> = shared::openapi::Security {
    token_url: "http://localhost:8081/v1/token",
    scopes: &[
        (ItemsRead::SCOPE, "read items"),
        (ItemsWrite::SCOPE, "create, replace and delete items"),
    ],
};

/// items-service's OpenAPI 3.1 document, served at `/openapi.json` with the
/// shared operations added. The operations are described beside their
/// handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "items-service",
        description = "Items, behind access tokens from auth-service (verified locally). Errors \
                       are RFC 9457 problem details, except on the Flask-RESTful routes \
                       `/item/{name}`, which keep the tutorial's bodies."
    ),
    paths(
        items::list,
        items::get,
        items::put,
        items::delete,
        flask::get_item,
        flask::post_item,
        metadata::protected_resource,
    ),
    modifiers(&SECURITY),
    tags(
        (name = "items", description = "The v1 items API."),
        (name = "flask", description = "The Flask-RESTful item routes, unchanged for their clients."),
        (name = "discovery", description = "What clients and gateways read to call this service."),
    ),
)]
pub struct ApiDoc;
