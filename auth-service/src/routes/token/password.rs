//! `grant_type=password` (RFC 6749 4.3): a user's name and password start
//! a session.

use actix_web::HttpRequest;
use shared::problem::ApiError;

use super::{Issued, TokenRequest};
use crate::accounts::{Accounts, LoginError};
use crate::audit::Actor;
use crate::domain::scope;
use crate::routes::client_address::ClientAddress;
use crate::routes::oauth_error::{OAuthCode, TokenError};
use crate::routes::refresh_cookie::RefreshCookie;
use crate::sessions::Sessions;

pub(super) async fn grant(
    req: &HttpRequest,
    client: &ClientAddress,
    accounts: &Accounts,
    sessions: &Sessions,
    cookie: &RefreshCookie,
    request: TokenRequest,
) -> Result<Issued, TokenError> {
    cookie.check_login(req)?;
    let (Some(username), Some(password)) = (request.username, request.password) else {
        return Err(TokenError::oauth(
            OAuthCode::InvalidRequest,
            "the password grant needs `username` and `password`",
        ));
    };
    let user = match accounts.login(&username, password, &client.0).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Err(TokenError::oauth(
                OAuthCode::InvalidGrant,
                "the username or password is wrong",
            ));
        }
        Err(LoginError::Disabled) => {
            return Err(TokenError::oauth(
                OAuthCode::InvalidGrant,
                LoginError::Disabled.to_string(),
            ));
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let scope = scope::narrow(accounts.granted(&user), request.scope.as_deref())
        .map_err(|why| TokenError::oauth(OAuthCode::InvalidScope, why))?;
    let pair = sessions
        .start(&user, scope, None, &Actor::from_address(&client.0))
        .await
        .map_err(ApiError::from)?;
    Ok(pair.into())
}
