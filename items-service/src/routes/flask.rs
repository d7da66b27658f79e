//! `GET/POST /item/{name}`, with exactly the bodies and codes of the
//! Flask-RESTful tutorial this service replaces.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::auth::Authorized;
use shared::body::{FlaskMessage, Json};
use shared::clock::Clock;

use super::{ItemsRead, ItemsWrite};
use crate::domain::{ItemName, Price};
use crate::store::{Item, ItemStore, Shape, StoreError};

const BLANK_PRICE: &str = "This field cannot be left blank!";

/// An item as the tutorial showed it.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct FlaskItemView<'a> {
    name: &'a str,
    price: f64,
}

impl<'a> From<&'a Item> for FlaskItemView<'a> {
    fn from(item: &'a Item) -> Self {
        Self {
            name: &item.name,
            price: item.price,
        }
    }
}

/// `GET /item/{name}`'s answer: the item, or null.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct FlaskLookup<'a> {
    item: Option<FlaskItemView<'a>>,
}

/// Flask-RESTful's error shape: `{"message": ...}`.
#[derive(Debug)]
pub(super) struct FlaskError {
    status: StatusCode,
    message: Value,
}

impl FlaskError {
    fn bad_request(message: impl Into<Value>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<StoreError> for FlaskError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %format!("{:#}", error.0), "database failure");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the service cannot answer right now; try again shortly".into(),
        }
    }
}

impl fmt::Display for FlaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl ResponseError for FlaskError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(FlaskMessage {
            message: self.message.clone(),
        })
    }
}

fn item_name(raw: String) -> Result<ItemName, FlaskError> {
    ItemName::parse(raw).map_err(|why| FlaskError::bad_request(json!({ "name": why })))
}

/// Read an item, as Flask-RESTful answered.
///
/// 200 `{"item": {"name", "price"}}` or 404 `{"item": null}`.
#[utoipa::path(
    get,
    path = "/item/{name}",
    tag = "flask",
    params(("name" = String, Path, description = "The item's name: 1 to 128 characters, percent-decoded, no control characters.", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")),
    security(("bearer" = []), ("oauth2" = ["items:read"])),
    responses(
        (status = 200, description = "The item.", body = FlaskLookup<'static>),
        (status = 404, description = "No such item: `{\"item\": null}`.", body = FlaskLookup<'static>),
        (status = 400, description = "An invalid name.", body = shared::body::FlaskMessage),
        (status = 401, description = "No valid token (Flask-JWT's body).", body = shared::auth::FlaskAuthError),
        (status = 403, description = "The token lacks `items:read`.", body = shared::auth::FlaskAuthError),
    ),
)]
pub(super) async fn get_item(
    _caller: Authorized<ItemsRead>,
    name: web::Path<String>,
    store: web::Data<dyn ItemStore>,
) -> Result<HttpResponse, FlaskError> {
    let name = item_name(name.into_inner())?;
    Ok(match store.get(name.as_str()).await? {
        Some(item) => super::item_answer(&item, Shape::Flask, |item| {
            serde_json::to_vec(&FlaskLookup {
                item: Some(FlaskItemView::from(item)),
            })
        }),
        None => HttpResponse::NotFound().json(FlaskLookup { item: None }),
    })
}

/// `POST /item/{name}` body (Flask-RESTful).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlaskItem {
    /// Required; `This field cannot be left blank!` when missing.
    #[schema(schema_with = flask_price_schema, required = true)]
    price: Option<Value>,
}

/// Digits with at most one point, an optional `+`, white space around, at
/// most 300 characters: the string form the document allows (no exponent,
/// so no overflow to infinity).
fn is_plain_decimal(text: &str) -> bool {
    let digits = text.trim();
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    text.chars().count() <= 300
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
}

/// What `reqparse` with `type=float` took, zero or more: a number, or a
/// string of digits.
fn flask_price_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^\s*\+?(\d+\.?\d*|\.\d+)\s*$"))
                .max_length(Some(300)),
        )
}

/// `reqparse` with `type=float` took numbers and numeric strings.
fn flask_price(price: Option<Value>) -> Result<Price, FlaskError> {
    let blank = || FlaskError::bad_request(json!({ "price": BLANK_PRICE }));
    let number = match price {
        Some(Value::Number(n)) => n.as_f64().ok_or_else(blank)?,
        Some(Value::String(s)) if is_plain_decimal(&s) => {
            s.trim().parse::<f64>().map_err(|_| blank())?
        }
        _ => return Err(blank()),
    };
    Price::parse(number).map_err(|why| FlaskError::bad_request(json!({ "price": why })))
}

/// Create an item, as Flask-RESTful answered.
///
/// 201 `{"name", "price"}`; 400 with the tutorial's messages when the item
/// exists or the price is missing.
#[utoipa::path(
    post,
    path = "/item/{name}",
    tag = "flask",
    params(("name" = String, Path, description = "The item's name: 1 to 128 characters, percent-decoded, no control characters.", min_length = 1, max_length = 128, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")),
    request_body = FlaskItem,
    security(("bearer" = []), ("oauth2" = ["items:write"])),
    responses(
        (status = 201, description = "Created.", body = FlaskItemView<'static>),
        (status = 400, description = "The item exists, the price is blank or invalid, or the body is not JSON.", body = shared::body::FlaskMessage),
        (status = 413, description = "The body is over 16 KiB.", body = shared::body::FlaskMessage),
        (status = 415, description = "The body is not `application/json`.", body = shared::body::FlaskMessage),
        (status = 422, description = "The body has a member other than `price`.", body = shared::body::FlaskMessage),
        (status = 401, description = "No valid token (Flask-JWT's body).", body = shared::auth::FlaskAuthError),
        (status = 403, description = "The token lacks `items:write`.", body = shared::auth::FlaskAuthError),
    ),
)]
pub(super) async fn post_item(
    caller: Authorized<ItemsWrite>,
    name: web::Path<String>,
    store: web::Data<dyn ItemStore>,
    clock: web::Data<Clock>,
    Json(body): Json<FlaskItem>,
) -> Result<HttpResponse, FlaskError> {
    let name = item_name(name.into_inner())?;
    let exists = || {
        FlaskError::bad_request(format!(
            "An item with name '{}' already exists.",
            name.as_str()
        ))
    };
    // The tutorial checks existence before the price; so do we. The insert
    // below still decides races.
    if store.get(name.as_str()).await?.is_some() {
        return Err(exists());
    }
    let price = flask_price(body.price)?;
    let item = Item::new(name.as_str(), price.value(), caller.username(), &clock);
    if !store.create(&item).await? {
        return Err(exists());
    }
    Ok(HttpResponse::Created().json(FlaskItemView::from(&item)))
}
