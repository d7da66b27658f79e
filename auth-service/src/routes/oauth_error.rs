//! How the OAuth 2.0 endpoints (token, revocation, introspection) refuse:
//! RFC 6749 5.2 errors, with the problem-details members beside them, so
//! OAuth libraries raise an error instead of reading the body as a token.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use shared::body::BodyError;
use shared::problem::ApiError;
use utoipa::ToSchema;

/// The `error` codes of RFC 6749 5.2 and RFC 7009 2.2.1 this service
/// answers: one name each, spelled once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OAuthCode {
    InvalidRequest,
    /// 401, with a Basic challenge.
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    /// The client's `grant_types` do not include what it asked for.
    UnauthorizedClient,
    UnsupportedGrantType,
    /// RFC 6749 4.1.2.1: only `code` is served.
    UnsupportedResponseType,
    /// OpenID Connect Core 3.1.2.6: `prompt=none` and no browser session.
    LoginRequired,
    /// OpenID Connect Core 3.1.2.6: no request objects here.
    RequestNotSupported,
    /// The same, by reference.
    RequestUriNotSupported,
    /// RFC 7009 2.2.1: a token this server cannot revoke.
    UnsupportedTokenType,
    /// The password was right; the account's second factor is missing.
    MfaRequired,
    /// 429 and 503.
    TemporarilyUnavailable,
    ServerError,
}

impl OAuthCode {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidScope => "invalid_scope",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::LoginRequired => "login_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::MfaRequired => "mfa_required",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }
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

/// An RFC 6749 5.2 error (also carrying the problem-details members), or a
/// failure below: how the token and revocation endpoints refuse.
#[derive(Debug)]
pub(super) enum TokenError {
    OAuth {
        status: StatusCode,
        code: OAuthCode,
        description: String,
    },
    Failed(ApiError),
}

impl TokenError {
    /// A 400 with `code`.
    pub(super) fn oauth(code: OAuthCode, description: impl Into<String>) -> Self {
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
            code: OAuthCode::InvalidClient,
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
            code: OAuthCode::InvalidRequest,
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
            } => write!(f, "{}: {description}", code.as_str()),
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
                        error: code.as_str(),
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
                        OAuthCode::TemporarilyUnavailable
                    }
                    _ => OAuthCode::ServerError,
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
