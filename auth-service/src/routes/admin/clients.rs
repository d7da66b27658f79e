//! `/v1/admin/clients`: register, list and delete service clients.

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::page;
use shared::problem::ApiError;

use super::scope_names_schema;
use super::{AdminRefusals, PageQuery, actor, cursor, limit, views};
use crate::admin::Admin;
use crate::routes::client_address::ClientAddress;
use crate::routes::live_token::AdminCaller;
use crate::store::Client;
/// A service client, without its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct ClientView {
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
pub(in crate::routes) struct CreatedClient {
    #[serde(flatten)]
    client: ClientView,
    /// Store it now: only its hash is kept.
    client_secret: String,
}

/// A page of clients.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct ClientPage {
    items: Vec<ClientView>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
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

/// Register a service client (RFC 6749 4.4): its secret is shown once.
#[utoipa::path(
    post,
    path = "/v1/admin/clients",
    tag = "admin",
    request_body = NewClientRequest,
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 201, description = "Registered; `client_secret` is shown this once.", body = CreatedClient),
        shared::openapi::JsonBodyRefusals,
        AdminRefusals,
        (status = 422, description = "A bad name or scope.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(in crate::routes) async fn create_client(
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
        shared::openapi::PageRefusals,
        AdminRefusals,
    ),
)]
pub(in crate::routes) async fn list_clients(
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
pub(in crate::routes) async fn delete_client(
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
