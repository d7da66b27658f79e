//! `POST /v1/introspect` (RFC 7662): whether an access token stands, for an
//! authenticated service client holding `auth:introspect` (RFC 7662 4: the
//! server decides who may see a token's details; any other client gets
//! `{"active": false}`). Active means: the signature, issuer, audience and
//! lifetime verify, and the token is live here (its session, user or
//! client not ended, disabled or deleted, no scope taken away). Anything
//! else, refresh tokens included, is `{"active": false}`.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use shared::auth::Authenticator;
use shared::body::{BodyError, JsonOrForm};
use shared::problem::ApiError;
use shared::token::{Audience, Claims};

use super::client_address::ClientAddress;
use super::client_auth;
use super::oauth_error::{OAuthCode, OAuthError, TokenError};
use crate::clients::Clients;
use crate::sessions::Sessions;

/// `POST /v1/introspect` body (RFC 7662 2.1), form-encoded or JSON.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct IntrospectRequest {
    /// The token to look at.
    #[schema(value_type = String, required = true)]
    token: Option<SecretString>,
    /// `access_token` or `refresh_token`; a hint only.
    token_type_hint: Option<String>,
    /// Client authentication without HTTP Basic.
    client_id: Option<String>,
    /// Client authentication without HTTP Basic.
    #[schema(value_type = Option<String>, format = Password)]
    client_secret: Option<SecretString>,
}

/// RFC 7662 2.2: every member but `active` only when active.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Introspection<'a> {
    active: bool,
    #[serde(flatten)]
    #[schema(inline)]
    token: Option<ActiveToken<'a>>,
}

/// What an active token says.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ActiveToken<'a> {
    scope: &'a str,
    /// Set for a service client's own token.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    username: &'a str,
    sub: &'a str,
    exp: u64,
    iat: u64,
    iss: &'a str,
    #[schema(value_type = Vec<String>)]
    aud: &'a Audience,
    jti: &'a str,
    /// The session (login), when the token has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    /// `Bearer`.
    token_type: &'static str,
}

impl<'a> From<&'a Claims> for ActiveToken<'a> {
    fn from(claims: &'a Claims) -> Self {
        Self {
            scope: &claims.scope,
            client_id: claims.client_id.as_deref(),
            username: &claims.username,
            sub: &claims.sub,
            exp: claims.exp,
            iat: claims.iat,
            iss: &claims.iss,
            aud: &claims.aud,
            jti: &claims.jti,
            sid: claims.sid.as_deref(),
            token_type: "Bearer",
        }
    }
}

/// Introspect a token (RFC 7662), as an authenticated service client.
///
/// Only a client holding the scope `auth:introspect` is told a token's
/// details; any other gets `{"active": false}`.
#[utoipa::path(
    post,
    path = "/v1/introspect",
    tag = "tokens",
    request_body(content(
        (IntrospectRequest = "application/x-www-form-urlencoded"),
        (IntrospectRequest = "application/json"),
    )),
    security((), ("client" = [])),
    responses(
        (status = 200, description = "`{\"active\": true, ...claims}` or `{\"active\": false}`.", body = Introspection<'static>),
        (status = 400, description = "An RFC 6749 5.2 error: `invalid_request`.", body = OAuthError<'static>),
        (status = 401, description = "`invalid_client`: no known client and its secret.", body = OAuthError<'static>),
        (status = 429, description = "Too many failed client authentications; see `Retry-After`. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
        (status = 413, description = "The body is over 16 KiB.", body = OAuthError<'static>),
        (status = 415, description = "Neither form-encoded nor JSON.", body = OAuthError<'static>),
        (status = 503, description = "The database cannot answer now. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
    ),
)]
pub(super) async fn introspect(
    req: HttpRequest,
    address: ClientAddress,
    sessions: web::Data<Sessions>,
    clients: web::Data<Clients>,
    authenticator: web::Data<Authenticator>,
    request: Result<JsonOrForm<IntrospectRequest>, BodyError>,
) -> Result<HttpResponse, TokenError> {
    let JsonOrForm(request) = request.map_err(|e| TokenError::invalid_request_body(&e))?;
    let caller = client_auth::authenticated(
        &req,
        &clients,
        &address.0,
        request.client_id.as_deref(),
        request.client_secret,
    )
    .await?;
    let token = request
        .token
        .ok_or_else(|| TokenError::oauth(OAuthCode::InvalidRequest, "`token` is required"))?;
    // Only access tokens can be active here, so the hint changes nothing.
    let _hint = request.token_type_hint;
    let active = sessions
        .introspect(token.expose_secret(), &caller, authenticator.verifier())
        .await
        .map_err(ApiError::from)?;
    let active = active.as_ref();
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(Introspection {
            active: active.is_some(),
            token: active.map(ActiveToken::from),
        }))
}
