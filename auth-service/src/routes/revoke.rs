//! `POST /v1/revoke` (RFC 7009): ends a session, by its refresh token or by
//! one of its access tokens. No client authentication: a public client
//! revokes what it holds (a `client_id` sent along is ignored). An access
//! token that holds no session (the Flask `/auth` login's, a client's)
//! cannot be revoked: RFC 7009 2.2.1 `unsupported_token_type`, rather than
//! a 200 that would let its holder believe it ended.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use shared::auth::Authenticator;
use shared::body::{BodyError, JsonOrForm};
use shared::problem::ApiError;

use super::client_address::ClientAddress;
use super::oauth_error::{OAuthCode, OAuthError, TokenError};
use crate::audit::Actor;
use crate::sessions::{Revocation, Sessions};

/// `POST /v1/revoke` body (RFC 7009 2.1), form-encoded or JSON.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RevokeRequest {
    /// The refresh token or access token to revoke.
    #[schema(value_type = String, required = true)]
    token: Option<SecretString>,
    /// `refresh_token` or `access_token`: where to look first.
    #[schema(example = "refresh_token")]
    token_type_hint: Option<String>,
}

/// Revoke a token (RFC 7009).
///
/// A refresh token ends its session (its family: every refresh token of
/// that login); an access token ends the session it belongs to. 200 for
/// any well-formed request: an unknown, expired or already revoked token is
/// answered alike. An access token stays valid on other services until it
/// expires: they hold no sessions.
#[utoipa::path(
    post,
    path = "/v1/revoke",
    tag = "tokens",
    request_body(content(
        (RevokeRequest = "application/x-www-form-urlencoded"),
        (RevokeRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke."),
        (status = 400, description = "An RFC 6749 5.2 error: `invalid_request` (no `token`, or a body that does not parse), or RFC 7009 `unsupported_token_type` (an access token with no session: it lives out its lifetime).", body = OAuthError<'static>),
        (status = 413, description = "The body is over 16 KiB.", body = OAuthError<'static>),
        (status = 415, description = "Neither form-encoded nor JSON.", body = OAuthError<'static>),
        (status = 503, description = "The database cannot answer now. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
    ),
)]
pub(super) async fn revoke(
    client: ClientAddress,
    sessions: web::Data<Sessions>,
    authenticator: web::Data<Authenticator>,
    request: Result<JsonOrForm<RevokeRequest>, BodyError>,
) -> Result<HttpResponse, TokenError> {
    let JsonOrForm(request) = request.map_err(|e| TokenError::invalid_request_body(&e))?;
    let token = request
        .token
        .ok_or_else(|| TokenError::oauth(OAuthCode::InvalidRequest, "`token` is required"))?;
    let revocation = sessions
        .revoke(
            token.expose_secret(),
            request.token_type_hint.as_deref(),
            authenticator.verifier(),
            &Actor::from_address(&client.0),
        )
        .await
        .map_err(ApiError::from)?;
    match revocation {
        Revocation::Ended | Revocation::Unknown => Ok(HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .finish()),
        Revocation::NoSession => Err(TokenError::oauth(
            OAuthCode::UnsupportedTokenType,
            "this access token holds no session (a Flask `/auth` login or a client's token), \
             so it cannot be revoked; it expires at the end of its lifetime",
        )),
    }
}
