//! `grant_type=password` (RFC 6749 4.3): a user's name and password start
//! a session.

use actix_web::HttpRequest;
use shared::problem::ApiError;

use super::{Issued, TokenRequest};
use secrecy::ExposeSecret as _;

use crate::accounts::{Accounts, LoginError};
use crate::audit::Actor;
use crate::domain::{SignedIn, scope};
use crate::mfa::{Mfa, MfaError};
use crate::routes::client_address::ClientAddress;
use crate::routes::oauth_error::{OAuthCode, TokenError};
use crate::routes::refresh_cookie::RefreshCookie;
use crate::sessions::Sessions;

pub(super) async fn grant(
    req: &HttpRequest,
    client: &ClientAddress,
    (accounts, sessions, mfa): (&Accounts, &Sessions, &Mfa),
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
    let actor = Actor::from_address(&client.0);
    let otp = request.otp.as_ref().map(|otp| otp.expose_secret());
    let factors = match mfa.after_password(&user, otp, &actor).await {
        Ok(factors) => factors,
        Err(MfaError::Required) => {
            return Err(TokenError::oauth(
                OAuthCode::MfaRequired,
                MfaError::Required.to_string(),
            ));
        }
        Err(MfaError::WrongCode) => {
            return Err(TokenError::oauth(
                OAuthCode::InvalidGrant,
                "the one-time code is wrong or was already used",
            ));
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let signed_in = SignedIn {
        factors,
        at_ms: sessions.clock.now_ms(),
    };
    let scope = scope::narrow(
        &sessions.granted_after(&user, factors),
        request.scope.as_deref(),
    )
    .map_err(|why| TokenError::oauth(OAuthCode::InvalidScope, why))?;
    let pair = sessions
        .start(&user, scope, None, &signed_in, &actor)
        .await
        .map_err(ApiError::from)?;
    Ok(pair.into())
}
