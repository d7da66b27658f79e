//! `grant_type=refresh_token` (RFC 6749 6): rotates a session's refresh
//! token, read from the body or, with the refresh cookie on, the cookie.
//! A token issued to a client is refreshed by that client only (OAuth 2.1
//! 4.3.1), and only while it has the `refresh_token` grant.

use actix_web::HttpRequest;
use secrecy::ExposeSecret as _;

use super::{Issued, TokenRequest};
use crate::audit::Actor;
use crate::clients::Clients;
use crate::domain::GrantType;
use crate::routes::client_address::ClientAddress;
use crate::routes::client_auth;
use crate::routes::oauth_error::{OAuthCode, TokenError};
use crate::routes::refresh_cookie::RefreshCookie;
use crate::sessions::{RefreshError, Sessions};

pub(super) async fn grant(
    req: &HttpRequest,
    address: &ClientAddress,
    clients: &Clients,
    sessions: &Sessions,
    cookie: &RefreshCookie,
    mut request: TokenRequest,
) -> Result<Issued, TokenError> {
    let client = request.client(req, clients, address).await?;
    if let Some(client) = &client {
        client_auth::allowed(client, GrantType::RefreshToken)?;
    }
    let actor = Actor::from_address(&address.0);
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
        .refresh(
            presented.expose_secret(),
            request.scope.as_deref(),
            client.as_ref().map(|client| client.client_id.as_str()),
            &actor,
        )
        .await
        .map_err(|e| match e {
            RefreshError::InvalidGrant(why) => TokenError::oauth(OAuthCode::InvalidGrant, why),
            RefreshError::InvalidScope(why) => TokenError::oauth(OAuthCode::InvalidScope, why),
            RefreshError::Failed(e) => TokenError::Failed(e.into()),
        })?;
    Ok(pair.into())
}
