//! `/v1/admin/clients`: register, list, change and delete clients: service
//! clients (RFC 6749 4.4) and apps that sign users in (the code flow).

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpResponse, web};
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::page;
use shared::problem::ApiError;

use super::{AdminRefusals, PageQuery, actor, cursor, limit, views};
use super::{nullable_scope_names_schema, scope_names_schema};
use crate::admin::{Admin, ClientFields, NewClient};
use crate::routes::client_address::ClientAddress;
use crate::routes::live_token::AdminCaller;
use crate::store::Client;
/// What a route naming a client answers when there is none.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum NoSuchClient {
    /// No client has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(shared::problem::ProblemDetails),
}

/// What a change or a deletion of the console's own client answers.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum BuiltInClient {
    /// `console`, the admin console's client, follows the public URL.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(shared::problem::ProblemDetails),
}

/// What a registration or a change answers for a field the rules refuse.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum BadClientFields {
    /// A bad name, scope, grant type or redirect URI (named).
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(shared::problem::ProblemDetails),
}

/// A client, without its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct ClientView {
    client_id: String,
    name: String,
    /// The scopes its tokens may carry.
    scopes: Vec<String>,
    /// The grants it may use.
    grant_types: Vec<String>,
    /// Where the code flow may send the browser back (exact match; any
    /// port for `http` on a loopback host).
    redirect_uris: Vec<String>,
    /// Where end-session may send the browser.
    post_logout_redirect_uris: Vec<String>,
    /// No secret: a single-page or native app.
    public: bool,
    /// `none` for a public client; `client_secret_basic` (or
    /// `client_secret_post`) for a confidential one.
    token_endpoint_auth_method: &'static str,
    /// How its ID tokens are signed: `ES256` or `RS256`.
    id_token_signed_response_alg: String,
    /// RFC 3339, UTC.
    created_at: String,
}

fn words(list: &str) -> Vec<String> {
    list.split_ascii_whitespace().map(str::to_owned).collect()
}

impl From<Client> for ClientView {
    fn from(client: Client) -> Self {
        Self {
            client_id: client.client_id,
            name: client.name,
            scopes: words(&client.scopes),
            grant_types: words(&client.grant_types),
            redirect_uris: words(&client.redirect_uris),
            post_logout_redirect_uris: words(&client.post_logout_redirect_uris),
            public: client.public,
            token_endpoint_auth_method: match client.public {
                true => "none",
                false => "client_secret_basic",
            },
            id_token_signed_response_alg: client.id_token_signed_response_alg,
            created_at: shared::db::timestamp(client.created_at),
        }
    }
}

/// A client with a new secret, shown this once (absent for a public client).
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::routes) struct ClientWithSecret {
    #[serde(flatten)]
    client: ClientView,
    /// Store it now: only its hash is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl From<NewClient> for ClientWithSecret {
    fn from(new: NewClient) -> Self {
        Self {
            client_secret: new.secret.map(|s| s.expose_secret().to_owned()),
            client: ClientView::from(new.client),
        }
    }
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
    /// The scopes its tokens may carry (not `auth:admin`). The OpenID
    /// scopes (`openid`, `profile`, `email`) need not be listed.
    #[schema(schema_with = scope_names_schema)]
    scopes: Vec<String>,
    /// Among `authorization_code`, `refresh_token`, `client_credentials`,
    /// `password`; default `["client_credentials"]`.
    #[schema(example = json!(["authorization_code", "refresh_token"]))]
    grant_types: Option<Vec<String>>,
    /// Absolute, no fragment; `https`, `http` on a loopback host, or a
    /// private scheme with a dot (RFC 8252). At most 20.
    #[schema(example = json!(["https://app.example.com/callback"]))]
    redirect_uris: Option<Vec<String>>,
    /// Where end-session may send the browser: the same rules.
    post_logout_redirect_uris: Option<Vec<String>>,
    /// No secret (a single-page or native app); default false.
    public: Option<bool>,
    /// How its ID tokens are signed: `ES256` (default), or `RS256` where
    /// the server has an RSA key (`AUTH__OIDC__RS256_KEY_FILE`), for
    /// relying parties that verify nothing else.
    #[schema(example = "ES256")]
    id_token_signed_response_alg: Option<String>,
}

impl NewClientRequest {
    fn fields(&self) -> ClientFields<'_> {
        ClientFields {
            name: Some(&self.name),
            scopes: Some(&self.scopes),
            grant_types: self.grant_types.as_deref(),
            redirect_uris: self.redirect_uris.as_deref(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.as_deref(),
            public: self.public,
            id_token_signed_response_alg: self.id_token_signed_response_alg.as_deref(),
        }
    }
}

/// `PATCH /v1/admin/clients/{client_id}` body: what to change; absent or
/// null keeps a field.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    /// A new name.
    name: Option<String>,
    /// New scopes.
    #[schema(schema_with = nullable_scope_names_schema)]
    scopes: Option<Vec<String>>,
    /// Among `authorization_code`, `refresh_token`, `client_credentials`,
    /// `password`; default `["client_credentials"]`.
    #[schema(example = json!(["authorization_code", "refresh_token"]))]
    grant_types: Option<Vec<String>>,
    /// Absolute, no fragment; `https`, `http` on a loopback host, or a
    /// private scheme with a dot (RFC 8252). At most 20.
    #[schema(example = json!(["https://app.example.com/callback"]))]
    redirect_uris: Option<Vec<String>>,
    /// Where end-session may send the browser: the same rules.
    post_logout_redirect_uris: Option<Vec<String>>,
    /// Made public, the client's secret is dropped; made confidential, it
    /// gets one, shown once in the answer.
    public: Option<bool>,
    /// `ES256` or `RS256` (where the server has an RSA key).
    #[schema(example = "RS256")]
    id_token_signed_response_alg: Option<String>,
}

impl ClientPatch {
    fn fields(&self) -> ClientFields<'_> {
        ClientFields {
            name: self.name.as_deref(),
            scopes: self.scopes.as_deref(),
            grant_types: self.grant_types.as_deref(),
            redirect_uris: self.redirect_uris.as_deref(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.as_deref(),
            public: self.public,
            id_token_signed_response_alg: self.id_token_signed_response_alg.as_deref(),
        }
    }
}

/// Register a client: a service client (RFC 6749 4.4, the default) or an
/// app that signs users in; a confidential client's secret is shown once.
#[utoipa::path(
    post,
    path = "/v1/admin/clients",
    tag = "admin",
    request_body = NewClientRequest,
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 201, description = "Registered; `client_secret` (a confidential client's) is shown this once.", body = ClientWithSecret),
        shared::openapi::JsonBodyRefusals,
        AdminRefusals,
        BadClientFields,
    ),
)]
pub(in crate::routes) async fn create_client(
    caller: AdminCaller,
    client: ClientAddress,
    admin: web::Data<Admin>,
    Json(request): Json<NewClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = admin
        .create_client(&request.fields(), &actor(&caller, &client))
        .await?;
    let location = format!("/v1/admin/clients/{}", created.client.client_id);
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(ClientWithSecret::from(created)))
}

/// Change a client: any field but its secret. Made confidential, it gets a
/// secret, shown this once; made public, its secret is dropped.
#[utoipa::path(
    patch,
    path = "/v1/admin/clients/{client_id}",
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id.")),
    request_body = ClientPatch,
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 200, description = "The client as it is now; `client_secret` only when it was made confidential.", body = ClientWithSecret),
        shared::openapi::JsonBodyRefusals,
        AdminRefusals,
        NoSuchClient,
        BuiltInClient,
        BadClientFields,
    ),
)]
pub(in crate::routes) async fn change_client(
    caller: AdminCaller,
    client: ClientAddress,
    client_id: web::Path<String>,
    admin: web::Data<Admin>,
    Json(patch): Json<ClientPatch>,
) -> Result<HttpResponse, ApiError> {
    let changed = admin
        .change_client(&client_id, &patch.fields(), &actor(&caller, &client))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(ClientWithSecret::from(changed)))
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
        NoSuchClient,
        BuiltInClient,
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
