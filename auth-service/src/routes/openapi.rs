//! auth-service's OpenAPI 3.1 document, served at `/openapi.json` with the
//! shared operations added, and the response bodies that are not domain
//! types. The operations are described beside their handlers.

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// OAuth 2.0 clients get tokens here, on this service.
const SECURITY: shared::openapi::Security<'static> = shared::openapi::Security {
    token_url: "/v1/token",
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-service",
        description = "Registers users and issues JWT access tokens and rotating refresh tokens. \
                       Errors are RFC 9457 problem details, except on the Flask-JWT route `/auth` \
                       and the OAuth 2.0 token endpoint (RFC 6749 5.2 errors)."
    ),
    paths(
        super::users::register,
        super::login::flask_login,
        super::token::token,
        super::logout::logout,
        super::me::me,
        super::password::change_password,
    ),
    modifiers(&SECURITY),
    tags(
        (name = "users", description = "Registration and the caller's account."),
        (name = "tokens", description = "OAuth 2.0 token endpoint and logout."),
        (name = "flask", description = "The Flask-JWT login, unchanged for its clients."),
    ),
)]
pub struct ApiDoc;

/// `POST /auth`'s answer.
#[derive(Serialize, ToSchema)]
pub(super) struct FlaskToken<'a> {
    pub(super) access_token: &'a str,
}

/// Flask-JWT's error body.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"description": "Invalid credentials", "error": "Bad Request", "status_code": 401}))]
pub(super) struct FlaskError<'a> {
    pub(super) description: &'a str,
    pub(super) error: &'a str,
    pub(super) status_code: u16,
}

/// RFC 6749 5.1.
#[derive(Serialize, ToSchema)]
pub(super) struct TokenResponse<'a> {
    pub(super) access_token: &'a str,
    /// `Bearer`.
    pub(super) token_type: &'a str,
    /// Seconds the access token lives.
    pub(super) expires_in: u64,
    /// Single use: each refresh returns the next one.
    pub(super) refresh_token: &'a str,
    /// The granted scopes, space-separated.
    pub(super) scope: &'a str,
}

/// RFC 6749 5.2, with the problem-details members beside it.
#[derive(Serialize, ToSchema)]
pub(super) struct OAuthError<'a> {
    /// `invalid_request`, `invalid_grant`, `invalid_scope` or `unsupported_grant_type`.
    pub(super) error: &'a str,
    pub(super) error_description: &'a str,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub(super) problem_type: &'a str,
    pub(super) title: &'a str,
    pub(super) status: u16,
    pub(super) detail: &'a str,
}
