//! `/v1/admin/...`: users, their sessions, service clients and the audit
//! log, for a live token granting `auth:admin`; a file per resource, each
//! body and answer beside its handler. Lists are keyset pages. This file
//! holds what they share: the refusals, the page query, the actor.

pub(super) mod clients;
pub(super) mod events;
pub(super) mod mfa;
pub(super) mod sessions;
pub(super) mod users;

use actix_web::http::StatusCode;
use serde::Deserialize;
use shared::page::{self, Page};
use shared::problem::{ApiError, Problem};

use super::client_address::ClientAddress;
use super::live_token::AdminCaller;
use crate::admin::AdminError;
use crate::audit::Actor;

/// What every admin route may refuse with, before it reads anything.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
pub(super) enum AdminRefusals {
    /// No live access token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(shared::problem::ProblemDetails),
    /// The token lacks `auth:admin`.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(shared::problem::ProblemDetails),
}

/// What a route naming a user answers when there is none.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
pub(super) enum NoSuchUser {
    /// No user has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(shared::problem::ProblemDetails),
}

/// What a change answers when it would leave no administrator.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
pub(super) enum LastAdminConflict {
    /// It would remove the last enabled `auth:admin` holder.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(shared::problem::ProblemDetails),
}

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// `?limit&cursor`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(in crate::routes) struct PageQuery {
    /// Rows per page, 1 to 200 (larger is capped); 50 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (base64url).
    #[param(pattern = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$")]
    cursor: Option<String>,
}

/// Scope names as `domain::scope` checks them: 1 to 64 ASCII letters,
/// digits or `-._:/+~`, at most 32 in a list.
fn scope_names() -> utoipa::openapi::schema::ArrayBuilder {
    use crate::domain::scope::{MAX_NAME_CHARS, MAX_SCOPES};
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new().max_items(Some(MAX_SCOPES)).items(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^[A-Za-z0-9._:/+~-]{{1,{MAX_NAME_CHARS}}}$")))
            .examples(["items:read"]),
    )
}

pub(super) fn scope_names_schema()
-> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    scope_names()
}

pub(super) fn nullable_scope_names_schema()
-> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    use utoipa::openapi::schema::{SchemaType, Type};
    scope_names().schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, error.to_string()).into()
            }
            AdminError::LastAdmin | AdminError::BuiltIn => {
                Problem::new(StatusCode::CONFLICT, error.to_string()).into()
            }
            AdminError::Invalid(field, why) => Problem::invalid_fields([(field, why)]).into(),
            AdminError::Store(e) => e.into(),
        }
    }
}

pub(super) fn actor(caller: &AdminCaller, client: &ClientAddress) -> Actor {
    Actor {
        user_id: Some(caller.user_id().to_owned()),
        client_id: None,
        address: Some(client.0.clone()),
    }
}

pub(super) fn limit(requested: Option<i64>) -> Result<u32, ApiError> {
    page::limit(requested, DEFAULT_LIMIT, MAX_LIMIT)
}

pub(super) fn cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor.map(page::decode_cursor).transpose()
}

pub(super) fn views<T, V>(page: Page<T>, view: impl Fn(T) -> V) -> (Vec<V>, Option<String>) {
    (page.items.into_iter().map(view).collect(), page.next_cursor)
}
