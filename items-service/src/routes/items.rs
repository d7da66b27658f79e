//! `/v1/items`: list, get, put, delete, with problem-details errors.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use shared::auth::Authorized;
use shared::body::Json;
use shared::clock::Clock;
use shared::page;
use shared::problem::{ApiError, Problem, ProblemDetails};

use super::{ItemsRead, ItemsWrite};
use crate::domain::{ItemName, Price};
use crate::store::{Item, ItemStore, Put, Shape};

/// Items per page when `limit` is not given.
const DEFAULT_LIMIT: u32 = 20;
/// The largest page; a larger `limit` is capped to it.
const MAX_LIMIT: u32 = 100;

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ItemView<'a> {
    name: &'a str,
    /// Zero or more.
    price: f64,
    /// The username of whoever created it.
    created_by: &'a str,
    /// RFC 3339, UTC.
    created_at: &'a str,
    /// RFC 3339, UTC.
    updated_at: &'a str,
}

/// A page of items in name order.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ItemPage<'a> {
    items: Vec<ItemView<'a>>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

impl<'a> From<&'a Item> for ItemView<'a> {
    fn from(item: &'a Item) -> Self {
        Self {
            name: &item.name,
            price: item.price,
            created_by: &item.created_by,
            created_at: &item.created_at,
            updated_at: &item.updated_at,
        }
    }
}

fn item_name(raw: String) -> Result<ItemName, ApiError> {
    ItemName::parse(raw).map_err(|why| Problem::invalid_fields([("name", why)]).into())
}

fn not_found(name: &ItemName) -> ApiError {
    Problem::new(
        StatusCode::NOT_FOUND,
        format!("there is no item named '{}'", name.as_str()),
    )
    .into()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Items per page, 1 to 100 (larger is capped); 20 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (base64url).
    #[param(pattern = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$")]
    cursor: Option<String>,
}

/// A read's refusals of its token.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum ReadRefusals {
    /// No valid access token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemDetails),
    /// The token lacks `items:read`.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemDetails),
}

/// A write's refusals of its token.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum WriteRefusals {
    /// No valid access token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemDetails),
    /// The token lacks `items:write`.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(ProblemDetails),
}

/// What a route naming one item answers when there is none.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum NoSuchItem {
    /// No such item.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(ProblemDetails),
    /// An invalid name.
    #[response(status = 422, content_type = "application/problem+json")]
    InvalidName(ProblemDetails),
}

/// List items: a page in name order.
///
/// `limit` items (20 when absent, at most 100) after `cursor`, the
/// `next_cursor` of the page before.
#[utoipa::path(
    get,
    path = "/v1/items",
    tag = "items",
    params(ListQuery),
    security(("bearer" = []), ("oauth2" = ["items:read"])),
    responses(
        (status = 200, description = "A page.", body = ItemPage<'static>),
        shared::openapi::PageRefusals,
        ReadRefusals,
    ),
)]
pub(super) async fn list(
    _caller: Authorized<ItemsRead>,
    query: web::Query<ListQuery>,
    store: web::Data<dyn ItemStore>,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { limit, cursor } = query.into_inner();
    let limit = page::limit(limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let after = cursor.map(|c| page::decode_cursor(&c)).transpose()?;
    // One extra row says whether there is a next page.
    let items = store.list(after.as_deref(), limit + 1).await?;
    let items = page::split(items, limit, |item| page::cursor_of(&item.name));
    let views: Vec<ItemView<'_>> = items.items.iter().map(ItemView::from).collect();
    Ok(HttpResponse::Ok().json(ItemPage {
        items: views,
        next_cursor: items.next_cursor,
    }))
}

/// Read an item.
#[utoipa::path(
    get,
    path = "/v1/items/{name}",
    tag = "items",
    params(("name" = String, Path, description = "The item's name: 1 to 128 characters, percent-decoded, no control characters.", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")),
    security(("bearer" = []), ("oauth2" = ["items:read"])),
    responses(
        (status = 200, description = "The item.", body = ItemView<'static>),
        ReadRefusals,
        NoSuchItem,
    ),
)]
pub(super) async fn get(
    _caller: Authorized<ItemsRead>,
    name: web::Path<String>,
    store: web::Data<dyn ItemStore>,
) -> Result<HttpResponse, ApiError> {
    let name = item_name(name.into_inner())?;
    match store.get(name.as_str()).await? {
        Some(item) => Ok(super::item_answer(&item, Shape::V1, |item| {
            serde_json::to_vec(&ItemView::from(item))
        })),
        None => Err(not_found(&name)),
    }
}

/// `PUT /v1/items/{name}` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutItem {
    /// Zero or more.
    #[schema(minimum = 0)]
    price: f64,
}

/// Create or replace an item.
///
/// 201 when created, 200 when replaced.
#[utoipa::path(
    put,
    path = "/v1/items/{name}",
    tag = "items",
    params(("name" = String, Path, description = "The item's name: 1 to 128 characters, percent-decoded, no control characters.", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")),
    request_body = PutItem,
    security(("bearer" = []), ("oauth2" = ["items:write"])),
    responses(
        (status = 201, description = "Created; `Location` names it.", body = ItemView<'static>),
        (status = 200, description = "Replaced.", body = ItemView<'static>),
        shared::openapi::JsonBodyRefusals,
        WriteRefusals,
        (status = 422, description = "An invalid name or price.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn put(
    caller: Authorized<ItemsWrite>,
    name: web::Path<String>,
    store: web::Data<dyn ItemStore>,
    clock: web::Data<Clock>,
    Json(body): Json<PutItem>,
) -> Result<HttpResponse, ApiError> {
    let name = item_name(name.into_inner())?;
    let price =
        Price::parse(body.price).map_err(|why| Problem::invalid_fields([("price", why)]))?;
    let item = Item::new(name.as_str(), price.value(), caller.username(), &clock);
    let (item, outcome) = store.put(&item).await?;
    Ok(match outcome {
        Put::Created => HttpResponse::Created()
            .insert_header((
                LOCATION,
                format!("/v1/items/{}", percent_encode(&item.name)),
            ))
            .json(ItemView::from(&item)),
        Put::Replaced => HttpResponse::Ok().json(ItemView::from(&item)),
    })
}

/// Delete an item.
///
/// 204, or 404 when absent.
#[utoipa::path(
    delete,
    path = "/v1/items/{name}",
    tag = "items",
    params(("name" = String, Path, description = "The item's name: 1 to 128 characters, percent-decoded, no control characters.", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")),
    security(("bearer" = []), ("oauth2" = ["items:write"])),
    responses(
        (status = 204, description = "Deleted."),
        WriteRefusals,
        NoSuchItem,
    ),
)]
pub(super) async fn delete(
    _caller: Authorized<ItemsWrite>,
    name: web::Path<String>,
    store: web::Data<dyn ItemStore>,
) -> Result<HttpResponse, ApiError> {
    let name = item_name(name.into_inner())?;
    if store.delete(name.as_str()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found(&name))
    }
}

/// Everything but RFC 3986 unreserved characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment.
fn percent_encode(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_bytes_only() {
        assert_eq!(percent_encode("a b/ü~"), "a%20b%2F%C3%BC~");
    }
}
