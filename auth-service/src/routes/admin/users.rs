//! `/v1/admin/users` and `/v1/admin/users/{id}`: find, change, disable
//! and delete users.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::page;
use shared::problem::ApiError;

use super::nullable_scope_names_schema;
use super::{AdminRefusals, LastAdminConflict, NoSuchUser, actor, cursor, limit, views};
use crate::accounts::Accounts;
use crate::admin::{Admin, AdminError};
use crate::domain::Username;
use crate::routes::client_address::ClientAddress;
use crate::routes::live_token::AdminCaller;
use crate::store::User;
/// A user as an administrator sees it: never the hash.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct AdminUser {
    /// A UUID; the `sub` of the user's tokens.
    id: String,
    username: String,
    /// Granted scopes.
    scopes: Vec<String>,
    /// A disabled user gets no token by any grant.
    disabled: bool,
    /// RFC 3339, UTC.
    created_at: String,
    /// RFC 3339, UTC; null before the first login.
    last_login_at: Option<String>,
    /// The user's address, if any.
    #[schema(format = Email)]
    email: Option<String>,
    /// Whether its link was followed.
    email_verified: bool,
}

impl AdminUser {
    /// `user` as shown, with the scopes `accounts` says they are granted.
    fn of(user: &User, accounts: &Accounts) -> Self {
        Self {
            id: user.id.clone(),
            username: user.username.clone(),
            scopes: accounts
                .granted(user)
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            disabled: user.disabled_at.is_some(),
            created_at: user.created_at.clone(),
            last_login_at: user.last_login_at.map(shared::db::timestamp),
            email: user.email.clone(),
            email_verified: user.email_verified(),
        }
    }
}

/// A page of users.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct UserPage {
    items: Vec<AdminUser>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// `?limit&cursor&prefix`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(in crate::routes) struct UsersQuery {
    /// Rows per page, 1 to 200 (larger is capped); 50 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (base64url).
    #[param(pattern = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$")]
    cursor: Option<String>,
    /// Only names starting with this, ignoring case.
    prefix: Option<String>,
}

/// `PATCH /v1/admin/users/{id}` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// true: no token by any grant, every session ended at once.
    disabled: Option<bool>,
    /// Replaces the granted scopes; null or absent keeps them.
    #[schema(schema_with = nullable_scope_names_schema)]
    scopes: Option<Vec<String>>,
}

/// List users, in name order.
#[utoipa::path(
    get,
    path = "/v1/admin/users",
    tag = "admin",
    params(UsersQuery),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "A page of users.", body = UserPage),
        shared::openapi::PageRefusals,
        AdminRefusals,
    ),
)]
pub(in crate::routes) async fn list_users(
    _caller: AdminCaller,
    query: web::Query<UsersQuery>,
    admin: web::Data<Admin>,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(query.limit)?;
    let after = cursor(query.cursor.as_deref())?;
    let prefix = query.prefix.as_deref().map(Username::key_of);
    let rows = admin
        .store
        .list_users(prefix.as_deref(), after.as_deref(), limit + 1)
        .await?;
    let page = page::split(rows, limit, |user| page::cursor_of(&user.username_key));
    let (items, next_cursor) = views(page, |u| AdminUser::of(&u, &accounts));
    Ok(HttpResponse::Ok().json(UserPage { items, next_cursor }))
}

/// One user.
#[utoipa::path(
    get,
    path = "/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "The user.", body = AdminUser),
        AdminRefusals,
        NoSuchUser,
    ),
)]
pub(in crate::routes) async fn get_user(
    _caller: AdminCaller,
    id: web::Path<String>,
    admin: web::Data<Admin>,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, ApiError> {
    match admin.store.find_by_id(&id).await? {
        Some(user) => Ok(HttpResponse::Ok().json(AdminUser::of(&user, &accounts))),
        None => Err(AdminError::NotFound("no user has this id").into()),
    }
}

/// Disable or enable a user, or set their scopes.
///
/// Disabling ends every session of the user at once; a disabled user gets
/// no token by any grant. 409 when the change would leave no enabled user
/// with `auth:admin`.
#[utoipa::path(
    patch,
    path = "/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "The user's id.")),
    request_body = UserPatch,
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "The user after.", body = AdminUser),
        shared::openapi::JsonBodyRefusals,
        AdminRefusals,
        NoSuchUser,
        LastAdminConflict,
        (status = 422, description = "An unknown member, or not a scope name.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(in crate::routes) async fn change_user(
    caller: AdminCaller,
    client: ClientAddress,
    id: web::Path<String>,
    admin: web::Data<Admin>,
    accounts: web::Data<Accounts>,
    Json(patch): Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let user = admin
        .change_user(
            &id,
            patch.disabled,
            patch.scopes.as_deref(),
            &actor(&caller, &client),
        )
        .await?;
    Ok(HttpResponse::Ok().json(AdminUser::of(&user, &accounts)))
}

/// Delete a user, their sessions and their password hash.
#[utoipa::path(
    delete,
    path = "/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 204, description = "Deleted."),
        AdminRefusals,
        NoSuchUser,
        LastAdminConflict,
    ),
)]
pub(in crate::routes) async fn delete_user(
    caller: AdminCaller,
    client: ClientAddress,
    id: web::Path<String>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    admin.delete_user(&id, &actor(&caller, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}
