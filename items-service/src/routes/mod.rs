//! Thin handlers: parse the request into domain types, call the store, map
//! the error, build the response.

mod flask;
mod items;
mod openapi;

pub use openapi::ApiDoc;

/// The request bodies, reachable for the fuzz targets in `fuzz/`, which run
/// them through the same extractors as the routes do.
pub mod bodies {
    pub use super::flask::FlaskItem;
    pub use super::items::PutItem;
}

use actix_web::web;
use shared::auth::{ErrorStyle, RequiredScope};
use shared::http::resource;

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

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/item/{name}")
            .app_data(ErrorStyle::Flask)
            .route(web::get().to(flask::get_item))
            .route(web::post().to(flask::post_item)),
    )
    .service(resource("/v1/items").route(web::get().to(items::list)))
    .service(
        resource("/v1/items/{name}")
            .route(web::get().to(items::get))
            .route(web::put().to(items::put))
            .route(web::delete().to(items::delete)),
    )
    .configure(shared::openapi::operations(
        <ApiDoc as utoipa::OpenApi>::openapi(),
    ));
}
