//! `/v1/admin/...`: users, their sessions, service clients and the audit
//! log, for a live token granting `auth:admin`. Lists are keyset pages.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::page::{self, Page};
use shared::problem::{ApiError, Problem};

use super::client::ClientAddress;
use super::session::AdminCaller;
use crate::accounts::Accounts;
use crate::admin::{Admin, AdminError};
use crate::audit::{self, Actor};
use crate::domain::Username;
use crate::store::{AuditEvent, AuditFilter, Client, Family, User};

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

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

/// A user as an administrator sees it: never the hash.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct AdminUser {
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
        }
    }
}

/// A live login of a user (a refresh-token family).
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SessionView {
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

/// A service client, without its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ClientView {
    client_id: String,
    name: String,
    /// The scopes its tokens may carry.
    scopes: Vec<String>,
    /// RFC 3339, UTC.
    created_at: String,
}

impl From<Client> for ClientView {
    fn from(client: Client) -> Self {
        Self {
            client_id: client.client_id,
            name: client.name,
            scopes: client
                .scopes
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
            created_at: shared::db::timestamp(client.created_at),
        }
    }
}

/// A new client: the secret is shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CreatedClient {
    #[serde(flatten)]
    client: ClientView,
    /// Store it now: only its hash is kept.
    client_secret: String,
}

/// A page of users.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UserPage {
    items: Vec<AdminUser>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// A page of sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SessionPage {
    items: Vec<SessionView>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// A page of clients.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ClientPage {
    items: Vec<ClientView>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// A page of audit events, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct AuditPage {
    items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// `?limit&cursor`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
    /// Rows per page, 1 to 200 (larger is capped); 50 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (base64url).
    #[param(pattern = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$")]
    cursor: Option<String>,
}

/// `?limit&cursor&prefix`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UsersQuery {
    /// Rows per page, 1 to 200 (larger is capped); 50 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (base64url).
    #[param(pattern = "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$")]
    cursor: Option<String>,
    /// Only names starting with this, ignoring case.
    prefix: Option<String>,
}

/// `?limit&cursor&user_id&event`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Rows per page, 1 to 200 (larger is capped); 50 when absent.
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page: the id of its last event.
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
    /// Only events concerning this user.
    user_id: Option<String>,
    /// Only this event.
    #[param(schema_with = event_schema)]
    event: Option<String>,
}

/// The audit events there are.
fn event_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(audit::EVENTS.iter().copied()))
        .examples(["login_failed"])
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

fn scope_names_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    scope_names()
}

fn nullable_scope_names_schema(
) -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    use utoipa::openapi::schema::{SchemaType, Type};
    scope_names().schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
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

/// `POST /v1/admin/clients` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClientRequest {
    /// 1 to 100 characters, for people; not blank, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    name: String,
    /// The scopes its tokens may carry (not `auth:admin`).
    #[schema(schema_with = scope_names_schema)]
    scopes: Vec<String>,
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, error.to_string()).into()
            }
            AdminError::LastAdmin => Problem::new(StatusCode::CONFLICT, error.to_string()).into(),
            AdminError::Invalid(field, why) => Problem::invalid_fields([(field, why)]).into(),
            AdminError::Store(e) => e.into(),
        }
    }
}

fn actor(caller: &AdminCaller, client: &ClientAddress) -> Actor {
    Actor {
        user_id: Some(caller.user_id().to_owned()),
        client_id: None,
        address: Some(client.0.clone()),
    }
}

fn limit(requested: Option<i64>) -> Result<u32, ApiError> {
    page::limit(requested, DEFAULT_LIMIT, MAX_LIMIT)
}

fn cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor.map(page::decode_cursor).transpose()
}

fn views<T, V>(page: Page<T>, view: impl Fn(T) -> V) -> (Vec<V>, Option<String>) {
    (page.items.into_iter().map(view).collect(), page.next_cursor)
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
        (status = 400, description = "A bad limit or cursor.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
    ),
)]
pub(super) async fn list_users(
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
        (status = 404, description = "No user has this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn get_user(
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
        (status = 400, description = "The body is not JSON.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 16 KiB.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
        (status = 404, description = "No user has this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "It would remove the last enabled `auth:admin` holder.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "An unknown member, or not a scope name.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn change_user(
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
        (status = 404, description = "No user has this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "It would remove the last enabled `auth:admin` holder.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn delete_user(
    caller: AdminCaller,
    client: ClientAddress,
    id: web::Path<String>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    admin.delete_user(&id, &actor(&caller, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
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
        (status = 400, description = "A bad limit or cursor.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
        (status = 404, description = "No user has this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn list_sessions(
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
        (status = 404, description = "No user has this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn revoke_sessions(
    caller: AdminCaller,
    client: ClientAddress,
    id: web::Path<String>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    admin.revoke_sessions(&id, &actor(&caller, &client)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Register a service client (RFC 6749 4.4): its secret is shown once.
#[utoipa::path(
    post,
    path = "/v1/admin/clients",
    tag = "admin",
    request_body = NewClientRequest,
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 201, description = "Registered; `client_secret` is shown this once.", body = CreatedClient),
        (status = 400, description = "The body is not JSON.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 16 KiB.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
        (status = 422, description = "A bad name or scope.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn create_client(
    caller: AdminCaller,
    client: ClientAddress,
    admin: web::Data<Admin>,
    Json(request): Json<NewClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = admin
        .create_client(&request.name, &request.scopes, &actor(&caller, &client))
        .await?;
    let location = format!("/v1/admin/clients/{}", created.client.client_id);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(CreatedClient {
            client_secret: created.secret.expose_secret().to_owned(),
            client: ClientView::from(created.client),
        }))
}

/// List service clients, by id.
#[utoipa::path(
    get,
    path = "/v1/admin/clients",
    tag = "admin",
    params(PageQuery),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "A page of clients.", body = ClientPage),
        (status = 400, description = "A bad limit or cursor.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
    ),
)]
pub(super) async fn list_clients(
    _caller: AdminCaller,
    query: web::Query<PageQuery>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(query.limit)?;
    let after = cursor(query.cursor.as_deref())?;
    let rows = admin
        .store
        .list_clients(after.as_deref(), limit + 1)
        .await?;
    let page = page::split(rows, limit, |c| page::cursor_of(&c.client_id));
    let (items, next_cursor) = views(page, ClientView::from);
    Ok(HttpResponse::Ok().json(ClientPage { items, next_cursor }))
}

/// Delete a service client: it gets no more tokens, and its tokens stop
/// introspecting active.
#[utoipa::path(
    delete,
    path = "/v1/admin/clients/{client_id}",
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id.")),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 204, description = "Deleted."),
        AdminRefusals,
        (status = 404, description = "No client has this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn delete_client(
    caller: AdminCaller,
    client: ClientAddress,
    client_id: web::Path<String>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    admin
        .delete_client(&client_id, &actor(&caller, &client))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The audit log, newest first.
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    tag = "admin",
    params(AuditQuery),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "A page of events.", body = AuditPage),
        (status = 400, description = "A bad limit, cursor or event name.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        AdminRefusals,
    ),
)]
pub(super) async fn audit_log(
    _caller: AdminCaller,
    query: web::Query<AuditQuery>,
    admin: web::Data<Admin>,
) -> Result<HttpResponse, ApiError> {
    let AuditQuery {
        limit: requested,
        cursor: raw_cursor,
        user_id,
        event,
    } = query.into_inner();
    let limit = limit(requested)?;
    let before = raw_cursor
        .map(|id| {
            id.parse::<i64>().map_err(|_| {
                ApiError::from(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "the cursor is not one this API issued; pass `next_cursor` as it was returned",
                ))
            })
        })
        .transpose()?;
    if let Some(event) = event.as_deref().filter(|e| !audit::EVENTS.contains(e)) {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!(
                "`{event}` is not an audit event; one of: {}",
                audit::EVENTS.join(", ")
            ),
        )
        .into());
    }
    let filter = AuditFilter {
        user_id,
        event,
        before,
    };
    let rows = admin.store.list_audit(&filter, limit + 1).await?;
    // The cursor is the last id itself: a number needs no encoding.
    let page = page::split(rows, limit, |e| e.id.to_string());
    Ok(HttpResponse::Ok().json(AuditPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
