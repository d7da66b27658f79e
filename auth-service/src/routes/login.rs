//! `POST /auth`, as Flask-JWT answers it.

use actix_web::http::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use shared::body::Json;
use shared::problem::ApiError;

use super::openapi::{FlaskError, FlaskToken};
use crate::accounts::Accounts;
use crate::throttle::client_address;

/// `POST /auth` body (Flask-JWT).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlaskLogin {
    username: Option<String>,
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<SecretString>,
}

/// 200 `{"access_token"}`, or Flask-JWT's 401 body for any bad credentials.
#[utoipa::path(
    post,
    path = "/auth",
    tag = "flask",
    request_body = FlaskLogin,
    responses(
        (status = 200, description = "Logged in.", body = super::openapi::FlaskToken<'static>),
        (status = 401, description = "Wrong or missing credentials (Flask-JWT's body).", body = super::openapi::FlaskError<'static>),
(status = 400, description = "The body is not JSON.", body = shared::openapi::FlaskMessage),
        (status = 413, description = "The body is over 16 KiB.", body = shared::openapi::FlaskMessage),
        (status = 415, description = "The body is not `application/json`.", body = shared::openapi::FlaskMessage),
        (status = 422, description = "The body has a member other than `username` and `password`.", body = shared::openapi::FlaskMessage),
        (status = 429, description = "Too many failed logins; see `Retry-After`.", body = shared::openapi::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn flask_login(
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    Json(login): Json<FlaskLogin>,
) -> Result<HttpResponse, ApiError> {
    let (Some(username), Some(password)) = (login.username, login.password) else {
        return Ok(invalid_credentials());
    };
    let client = client_address(&req, accounts.throttle.trusted_proxy_hops());
    let Some(user) = accounts.login(&username, password, &client).await? else {
        return Ok(invalid_credentials());
    };
    let issued = accounts.issue(&user, &accounts.default_scope)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(FlaskToken {
            access_token: &issued.access_token,
        }))
}

fn invalid_credentials() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((WWW_AUTHENTICATE, "Bearer realm=\"auth-service\""))
        .json(FlaskError {
            description: "Invalid credentials",
            error: "Bad Request",
            status_code: 401,
        })
}
