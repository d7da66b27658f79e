//! `grant_type=refresh_token` (RFC 6749 6): rotates a session's refresh
//! token, read from the body or, with the refresh cookie on, the cookie.

use actix_web::HttpRequest;
use secrecy::ExposeSecret as _;

use super::{Issued, TokenRequest};
use crate::audit::Actor;
use crate::routes::oauth_error::{OAuthCode, TokenError};
use crate::routes::refresh_cookie::RefreshCookie;
use crate::sessions::{RefreshError, Sessions};

pub(super) async fn grant(
    req: &HttpRequest,
    actor: &Actor,
    sessions: &Sessions,
    cookie: &RefreshCookie,
    request: TokenRequest,
) -> Result<Issued, TokenError> {
    let presented = match request.refresh_token {
        Some(in_body) => in_body,
        None => cookie.read(req)?.ok_or_else(|| {
            TokenError::oauth(
                OAuthCode::InvalidRequest,
                "the refresh_token grant needs `refresh_token`",
            )
        })?,
    };
    let pair = sessions
        .refresh(presented.expose_secret(), request.scope.as_deref(), actor)
        .await
        .map_err(|e| match e {
            RefreshError::InvalidGrant(why) => TokenError::oauth(OAuthCode::InvalidGrant, why),
            RefreshError::InvalidScope(why) => TokenError::oauth(OAuthCode::InvalidScope, why),
            RefreshError::Failed(e) => TokenError::Failed(e.into()),
        })?;
    Ok(pair.into())
}
