//! `POST /auth`, as Flask-JWT answers it.

use actix_web::http::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use shared::body::{BodyError, Json};
use shared::problem::ApiError;
use utoipa::ToSchema;

use super::PasswordGrant;
use super::client_address::ClientAddress;
use crate::accounts::{Accounts, LoginError};
use crate::audit::Actor;
use crate::domain::SignedIn;
use crate::mfa::{Mfa, MfaError};
use crate::sessions::Sessions;

/// `POST /auth` body (Flask-JWT).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlaskLogin {
    username: Option<String>,
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<SecretString>,
    /// For an account with a second factor: a code of its authenticator,
    /// or a recovery code.
    #[schema(value_type = Option<String>, format = Password)]
    otp: Option<SecretString>,
}

/// `POST /auth`'s answer.
#[derive(Serialize, ToSchema)]
pub(super) struct FlaskToken<'a> {
    access_token: &'a str,
}

/// Flask-JWT's error body.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"description": "Invalid credentials", "error": "Bad Request", "status_code": 401}))]
pub(super) struct FlaskError<'a> {
    description: &'a str,
    error: &'a str,
    status_code: u16,
}

/// Log in as Flask-JWT does.
///
/// 200 `{"access_token"}`; any bad credentials get Flask-JWT's 401 body.
#[utoipa::path(
    post,
    path = "/auth",
    tag = "flask",
    request_body = FlaskLogin,
    responses(
        (status = 200, description = "Logged in.", body = FlaskToken<'static>),
        (status = 401, description = "Wrong or missing credentials (Flask-JWT's body); `Account disabled` for the right password of a disabled user; `One-time code required` for the right password of an account with a second factor and no `otp`, `Invalid one-time code` for a wrong one.", body = FlaskError<'static>),
        (status = 400, description = "The body is not JSON.", body = shared::body::FlaskMessage),
        (status = 413, description = "The body is over 16 KiB.", body = shared::body::FlaskMessage),
        (status = 415, description = "The body is not `application/json`.", body = shared::body::FlaskMessage),
        (status = 422, description = "The body has a member other than `username`, `password` and `otp`.", body = shared::body::FlaskMessage),
        (status = 429, description = "Too many failed logins; see `Retry-After`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn flask_login(
    req: HttpRequest,
    client: ClientAddress,
    (accounts, sessions, mfa): (web::Data<Accounts>, web::Data<Sessions>, web::Data<Mfa>),
    login: Result<Json<FlaskLogin>, BodyError>,
) -> Result<HttpResponse, actix_web::Error> {
    // Off, the route answers as if it did not exist, whatever the body.
    if !PasswordGrant::of(&req) {
        return Err(ApiError::from(shared::http::not_found().await).into());
    }
    let Json(login) = login?;
    let (Some(username), Some(password)) = (login.username, login.password) else {
        return Ok(invalid_credentials("Invalid credentials"));
    };
    let user = match accounts.login(&username, password, &client.0).await {
        Ok(Some(user)) => user,
        Ok(None) => return Ok(invalid_credentials("Invalid credentials")),
        Err(LoginError::Disabled) => return Ok(invalid_credentials("Account disabled")),
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let actor = Actor::from_address(&client.0);
    let otp = login.otp.as_ref().map(|otp| otp.expose_secret());
    let factors = match mfa.after_password(&user, otp, &actor).await {
        Ok(factors) => factors,
        Err(MfaError::Required) => return Ok(invalid_credentials("One-time code required")),
        Err(MfaError::WrongCode) => return Ok(invalid_credentials("Invalid one-time code")),
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let signed_in = SignedIn {
        factors,
        at_ms: sessions.clock.now_ms(),
    };
    let issued = sessions
        .issue_without_session(
            &user,
            &sessions.granted_after(&user, factors),
            &signed_in,
            &actor,
        )
        .await
        .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(FlaskToken {
            access_token: &issued.access_token,
        }))
}

fn invalid_credentials(description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((WWW_AUTHENTICATE, "Bearer realm=\"auth-service\""))
        .json(FlaskError {
            description,
            error: "Bad Request",
            status_code: 401,
        })
}
