//! `/v1/admin/users/{id}/sessions`: a user's live logins, and ending them.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::page;
use shared::problem::ApiError;

use super::{AdminRefusals, NoSuchUser, PageQuery, actor, cursor, limit, views};
use crate::admin::{Admin, AdminError};
use crate::routes::client_address::ClientAddress;
use crate::routes::live_token::AdminCaller;
use crate::store::Family;
/// A live login of a user (a refresh-token family).
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct SessionView {
    /// The `sid` of its access tokens.
    id: String,
    scope: String,
    /// RFC 3339, UTC.
    created_at: String,
    /// RFC 3339, UTC: no refresh token of it outlives this.
    expires_at: String,
}

impl From<Family> for SessionView {
    fn from(family: Family) -> Self {
        Self {
            id: family.id,
            scope: family.scope,
            created_at: shared::db::timestamp(family.created_at),
            expires_at: shared::db::timestamp(family.expires_at),
        }
    }
}

/// A page of sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct SessionPage {
    items: Vec<SessionView>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// A user's live sessions (logins).
#[utoipa::path(
    get,
    path = "/v1/admin/users/{id}/sessions",
    tag = "admin",
    params(("id" = String, Path, description = "The user's id."), PageQuery),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "A page of sessions.", body = SessionPage),
        shared::openapi::PageRefusals,
        AdminRefusals,
        NoSuchUser,
    ),
)]
pub(in crate::routes) async fn list_sessions(
    _caller: AdminCaller,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(query.limit)?;
    let after = cursor(query.cursor.as_deref())?;
    if admin.store.find_by_id(&id).await?.is_none() {
        return Err(AdminError::NotFound("no user has this id").into());
    }
    let now = admin.clock.now_ms();
    let rows = admin
        .store
        .list_sessions(&id, now, after.as_deref(), limit + 1)
        .await?;
    let page = page::split(rows, limit, |f| page::cursor_of(&f.id));
    let (items, next_cursor) = views(page, SessionView::from);
    Ok(HttpResponse::Ok().json(SessionPage { items, next_cursor }))
}

/// End every session of a user: their refresh tokens stop working at once,
/// and their access tokens on this service.
#[utoipa::path(
    delete,
    path = "/v1/admin/users/{id}/sessions",
    tag = "admin",
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 204, description = "Every session ended."),
        AdminRefusals,
        NoSuchUser,
    ),
)]
pub(in crate::routes) async fn revoke_sessions(
    caller: AdminCaller,
    client: ClientAddress,
    id: web::Path<String>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    admin.revoke_sessions(&id, &actor(&caller, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
