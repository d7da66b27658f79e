//! `grant_type=client_credentials` (RFC 6749 4.4): an authenticated service
//! client's own token, within its scopes, with no refresh token.

use actix_web::HttpRequest;
use shared::problem::ApiError;

use super::{Issued, TokenRequest};
use crate::clients::Clients;
use crate::domain::{GrantType, scope};
use crate::routes::client_address::ClientAddress;
use crate::routes::client_auth;
use crate::routes::oauth_error::{OAuthCode, TokenError};
use crate::sessions::Sessions;

pub(super) async fn grant(
    req: &HttpRequest,
    address: &ClientAddress,
    clients: &Clients,
    sessions: &Sessions,
    request: TokenRequest,
) -> Result<Issued, TokenError> {
    let client = client_auth::authenticated(
        req,
        clients,
        &address.0,
        request.client_id.as_deref(),
        request.client_secret,
    )
    .await?;
    client_auth::allowed(&client, GrantType::ClientCredentials)?;
    let scope = scope::narrow(&client.scopes, request.scope.as_deref())
        .map_err(|why| TokenError::oauth(OAuthCode::InvalidScope, why))?;
    let access = sessions
        .issue_to_client(&client, &scope)
        .map_err(ApiError::from)?;
    Ok(Issued {
        access,
        refresh_token: None,
        scope,
        id_token: None,
    })
}
