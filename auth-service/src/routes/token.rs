//! `POST /v1/token`, the OAuth 2.0 token endpoint (RFC 6749 4.3, 5.1, 5.2).
//!
//! Grants: `password` (starts a refresh family), `refresh_token` (rotates
//! it), and `client_credentials` (a service client's own token, RFC 6749
//! 4.4). Unknown parameters are ignored (RFC 6749 3.2); the password and
//! refresh grants need no client, so a `client_id` sent along is ignored.

use std::fmt;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use shared::body::{BodyError, JsonOrForm};
use shared::problem::ApiError;
use shared::token::IssuedToken;
use utoipa::ToSchema;

use super::client::ClientAddress;
use super::client_auth;
use crate::accounts::{Accounts, LoginError};
use crate::audit::Actor;
use crate::domain::scope;
use crate::sessions::{RefreshError, Sessions, TokenPair};

/// `POST /v1/token` body (RFC 6749 4.3 and 6), JSON or form-encoded.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// `password` or `refresh_token` (RFC 6749 4.3, 6).
    #[schema(schema_with = grant_type_schema, required = true)]
    grant_type: Option<String>,
    /// For the password grant.
    username: Option<String>,
    /// For the password grant.
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<SecretString>,
    /// For the refresh_token grant.
    #[schema(value_type = Option<String>)]
    refresh_token: Option<SecretString>,
    /// Space-separated scopes, no more than the user (or client) has.
    #[schema(example = "items:read")]
    scope: Option<String>,
    /// For the client_credentials grant, without HTTP Basic.
    client_id: Option<String>,
    /// For the client_credentials grant, without HTTP Basic.
    #[schema(value_type = Option<String>, format = Password)]
    client_secret: Option<SecretString>,
}

/// The grant types this endpoint serves; any other is
/// `unsupported_grant_type`.
fn grant_type_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["password", "refresh_token", "client_credentials"]))
        .examples(["password"])
}

/// RFC 6749 5.1.
#[derive(Serialize, ToSchema)]
pub(super) struct TokenResponse<'a> {
    access_token: &'a str,
    /// `Bearer`.
    token_type: &'a str,
    /// Seconds the access token lives.
    expires_in: u64,
    /// Single use: each refresh returns the next one. None for a client.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    /// The granted scopes, space-separated.
    scope: &'a str,
}

/// RFC 6749 5.2, with the problem-details members beside it: every non-2xx
/// answer of the token endpoint.
#[derive(Serialize, ToSchema)]
pub(super) struct OAuthError<'a> {
    /// `invalid_request`, `invalid_client` (401), `invalid_grant`,
    /// `invalid_scope`, `unsupported_grant_type`; `temporarily_unavailable`
    /// (429, 503) or `server_error` (500).
    error: &'a str,
    error_description: &'a str,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    problem_type: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

/// Get tokens: the OAuth 2.0 token endpoint.
///
/// The `password` grant starts a session; the `refresh_token` grant rotates
/// its refresh token; the `client_credentials` grant (client authentication
/// by HTTP Basic or `client_id` + `client_secret`) gives a service client a
/// token of its own, without a refresh token. 200 with the RFC 6749 5.1
/// body, or a 5.2 error.
#[utoipa::path(
    post,
    path = "/v1/token",
    tag = "tokens",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "An access token and a refresh token (RFC 6749 5.1).", body = TokenResponse<'static>),
        (status = 400, description = "An RFC 6749 5.2 error: `invalid_request`, `invalid_grant`, `invalid_scope`, `unsupported_grant_type`.", body = OAuthError<'static>),
        (status = 401, description = "`invalid_client`: the client_credentials grant without a known client and its secret.", body = OAuthError<'static>),
        (status = 413, description = "The body is over 16 KiB.", body = OAuthError<'static>),
        (status = 415, description = "Neither form-encoded nor JSON.", body = OAuthError<'static>),
        (status = 429, description = "Too many failed logins; see `Retry-After`. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
        (status = 503, description = "The database or the password hashing queue cannot take the request now. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
    ),
)]
pub(super) async fn token(
    req: HttpRequest,
    client: ClientAddress,
    accounts: web::Data<Accounts>,
    sessions: web::Data<Sessions>,
    request: Result<JsonOrForm<TokenRequest>, BodyError>,
) -> Result<HttpResponse, TokenError> {
    let JsonOrForm(request) = request.map_err(|e| TokenError::invalid_request_body(&e))?;
    if request.grant_type.as_deref() == Some("client_credentials") {
        return client_credentials_grant(&req, &sessions, request).await;
    }
    let pair = match request.grant_type.as_deref() {
        Some("password") => password_grant(&client, &accounts, &sessions, request).await?,
        Some("refresh_token") => {
            let presented = request.refresh_token.ok_or_else(|| {
                TokenError::oauth(
                    "invalid_request",
                    "the refresh_token grant needs `refresh_token`",
                )
            })?;
            sessions
                .refresh(
                    presented.expose_secret(),
                    request.scope.as_deref(),
                    &Actor::from_address(&client.0),
                )
                .await
                .map_err(|e| match e {
                    RefreshError::InvalidGrant(why) => TokenError::oauth("invalid_grant", why),
                    RefreshError::InvalidScope(why) => TokenError::oauth("invalid_scope", why),
                    RefreshError::Failed(e) => TokenError::Failed(e.into()),
                })?
        }
        Some(_) => {
            return Err(TokenError::oauth(
                "unsupported_grant_type",
                "grant_type must be `password`, `refresh_token` or `client_credentials`",
            ))
        }
        None => {
            return Err(TokenError::oauth(
                "invalid_request",
                "grant_type is required",
            ))
        }
    };
    Ok(issued(&pair.access, Some(&pair.refresh_token), &pair.scope))
}

fn issued(access: &IssuedToken, refresh_token: Option<&str>, scope: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: &access.access_token,
            token_type: "Bearer",
            expires_in: access.expires_in,
            refresh_token,
            scope,
        })
}

async fn client_credentials_grant(
    req: &HttpRequest,
    sessions: &Sessions,
    request: TokenRequest,
) -> Result<HttpResponse, TokenError> {
    let client = client_auth::authenticated(
        req,
        sessions.store.as_ref(),
        request.client_id.as_deref(),
        request.client_secret,
    )
    .await?;
    let scope = scope::narrow(&client.scopes, request.scope.as_deref())
        .map_err(|why| TokenError::oauth("invalid_scope", why))?;
    let access = sessions
        .issue_to_client(&client, &scope)
        .map_err(ApiError::from)?;
    Ok(issued(&access, None, &scope))
}

async fn password_grant(
    client: &ClientAddress,
    accounts: &Accounts,
    sessions: &Sessions,
    request: TokenRequest,
) -> Result<TokenPair, TokenError> {
    let (Some(username), Some(password)) = (request.username, request.password) else {
        return Err(TokenError::oauth(
            "invalid_request",
            "the password grant needs `username` and `password`",
        ));
    };
    let user = match accounts.login(&username, password, &client.0).await {
        Ok(user) => user,
        Err(LoginError::Disabled) => {
            return Err(TokenError::oauth(
                "invalid_grant",
                LoginError::Disabled.to_string(),
            ))
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    let Some(user) = user else {
        return Err(TokenError::oauth(
            "invalid_grant",
            "the username or password is wrong",
        ));
    };
    let scope = scope::narrow(accounts.granted(&user), request.scope.as_deref())
        .map_err(|why| TokenError::oauth("invalid_scope", why))?;
    let actor = Actor::from_address(&client.0);
    Ok(sessions
        .start(&user, scope, &actor)
        .await
        .map_err(ApiError::from)?)
}

/// An RFC 6749 5.2 error (also carrying the problem-details members), or a
/// failure below: how the token and revocation endpoints refuse.
#[derive(Debug)]
pub(super) enum TokenError {
    OAuth {
        status: StatusCode,
        code: &'static str,
        description: String,
    },
    Failed(ApiError),
}

impl TokenError {
    pub(super) fn oauth(code: &'static str, description: impl Into<String>) -> Self {
        Self::OAuth {
            status: StatusCode::BAD_REQUEST,
            code,
            description: description.into(),
        }
    }

    /// 401 `invalid_client` (RFC 6749 5.2), with a Basic challenge.
    pub(super) fn invalid_client(description: impl Into<String>) -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            code: "invalid_client",
            description: description.into(),
        }
    }

    pub(super) fn invalid_request_body(error: &BodyError) -> Self {
        let status = match error.status_code() {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                error.status_code()
            }
            _ => StatusCode::BAD_REQUEST,
        };
        Self::OAuth {
            status,
            code: "invalid_request",
            description: error.detail().to_owned(),
        }
    }
}

impl From<ApiError> for TokenError {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth {
                code, description, ..
            } => write!(f, "{code}: {description}"),
            Self::Failed(e) => e.fmt(f),
        }
    }
}

impl ResponseError for TokenError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::OAuth { status, .. } => *status,
            Self::Failed(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::OAuth {
                status,
                code,
                description,
            } => {
                let mut response = HttpResponse::build(*status);
                if *status == StatusCode::UNAUTHORIZED {
                    response.insert_header((WWW_AUTHENTICATE, "Basic realm=\"auth-service\""));
                }
                response
                    // OAuth clients parse `application/json` (RFC 6749 5.2).
                    .insert_header((CONTENT_TYPE, "application/json"))
                    .insert_header((CACHE_CONTROL, "no-store"))
                    .insert_header((PRAGMA, "no-cache"))
                    .json(OAuthError {
                        error: code,
                        error_description: description,
                        problem_type: "about:blank",
                        title: status.canonical_reason().unwrap_or("Error"),
                        status: status.as_u16(),
                        detail: description,
                    })
            }
            // The answer below (429 with `Retry-After`, 503), with the RFC 6749
            // 5.2 members added, so OAuth libraries raise instead of reading a token.
            Self::Failed(e) => {
                let below = e.error_response();
                let status = below.status();
                let description = match e {
                    ApiError::Problem(problem) => problem.details().detail.clone(),
                    _ => shared::problem::unavailable().details().detail.clone(),
                };
                let code = match status {
                    StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                        "temporarily_unavailable"
                    }
                    _ => "server_error",
                };
                let oauth = Self::OAuth {
                    status,
                    code,
                    description,
                };
                let mut response = oauth.error_response();
                for (name, value) in below.headers() {
                    if name != CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
                        response.headers_mut().insert(name.clone(), value.clone());
                    }
                }
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_below_is_an_oauth_error_with_its_status() {
        let unavailable = TokenError::Failed(ApiError::Unavailable(anyhow::anyhow!("db down")));
        let response = unavailable.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .expect("a ready body")
            .expect("bytes");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["error"], "temporarily_unavailable");
        assert!(!body.to_string().contains("db down"), "{body}");
    }
}
