//! RFC 9457 problem details: the error body of every v1 endpoint.
//!
//! `type` is always `about:blank`, so `title` is the status's reason phrase
//! and `detail` says what was wrong with this request. Field-level input
//! errors go in `errors`, keyed by the field's path. A problem never carries
//! internal text (database messages, causes): those are logged, not sent.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use serde::Serialize;

/// The media type of a problem body.
pub const PROBLEM_JSON: &str = "application/problem+json";

// The one type that is both sent and shown in the OpenAPI documents.
/// An RFC 9457 problem (`application/problem+json`): every error outside
/// the Flask-compatible routes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "about:blank", "title": "Unprocessable Entity", "status": 422,
    "detail": "the field `price` is invalid: must be zero or more",
    "errors": {"price": ["must be zero or more"]}
})))]
pub struct ProblemDetails {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(rename = "type"))]
    pub problem_type: String,
    /// The status code's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong, for a person.
    pub detail: String,
    /// Messages per invalid field, when input was invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

/// An HTTP error answered as `application/problem+json`.
///
/// ```
/// use actix_web::http::header::{HeaderValue, RETRY_AFTER};
/// use actix_web::{http::StatusCode, ResponseError};
/// use shared::problem::Problem;
///
/// let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "the item is invalid")
///     .with_field_error("price", "must be zero or more");
/// assert_eq!(problem.details().title, "Unprocessable Entity");
/// assert_eq!(problem.details().errors.as_ref().expect("errors")["price"], ["must be zero or more"]);
///
/// let throttled = Problem::new(StatusCode::TOO_MANY_REQUESTS, "slow down")
///     .with_header(RETRY_AFTER, HeaderValue::from(30));
/// let response = throttled.error_response();
/// assert_eq!(response.headers().get("Content-Type").expect("set"), "application/problem+json");
/// assert_eq!(response.headers().get("Retry-After").expect("set"), "30");
/// ```
#[derive(Debug, Clone)]
pub struct Problem {
    // Boxed: a problem travels in the `Err` of every handler's result.
    details: Box<ProblemDetails>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem with this status and a sentence saying what was wrong.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            details: Box::new(ProblemDetails {
                problem_type: "about:blank".to_owned(),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                errors: None,
            }),
            headers: Vec::new(),
        }
    }

    /// 422 with one message per invalid field.
    pub fn invalid_fields<I, K>(errors: I) -> Self
    where
        I: IntoIterator<Item = (K, String)>,
        K: Into<String>,
    {
        errors.into_iter().fold(
            Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the request has invalid fields; see `errors`",
            ),
            |problem, (field, message)| problem.with_field_error(field, message),
        )
    }

    /// Adds a message for one field (`errors.<field>`).
    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.details
            .errors
            .get_or_insert_with(BTreeMap::new)
            .entry(field.into())
            .or_default()
            .push(message.into());
        self
    }

    /// Adds a response header (e.g. `WWW-Authenticate`, `Retry-After`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The body this problem answers with.
    pub fn details(&self) -> &ProblemDetails {
        &self.details
    }

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.details.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status(), self.details.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        for (name, value) in &self.headers {
            response.append_header((name.clone(), value.clone()));
        }
        // `json` sets `application/json`; the media type is set after it.
        let mut response = response.json(&self.details);
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl Responder for Problem {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.error_response()
    }
}

/// The 503 every service answers when a dependency (the database) fails:
/// a fixed text, with the cause left to the log.
pub fn unavailable() -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the service cannot answer right now; try again shortly",
    )
    .with_header(
        actix_web::http::header::RETRY_AFTER,
        HeaderValue::from_static("1"),
    )
}

/// The 500 for a bug: a fixed text, with the cause left to the log.
pub fn internal() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "an unexpected error occurred",
    )
}

/// What a handler fails with: a problem to answer as it is, or a failure
/// below whose cause chain is logged here, once (as text: a backtrace per
/// error, with RUST_BACKTRACE set, cost seconds under a database outage),
/// and answered with a fixed text.
///
/// ```
/// use actix_web::{http::StatusCode, ResponseError};
/// use shared::problem::{ApiError, Problem};
///
/// let client: ApiError = Problem::new(StatusCode::NOT_FOUND, "no such item").into();
/// assert_eq!(client.status_code(), StatusCode::NOT_FOUND);
/// let down = ApiError::Unavailable(anyhow::anyhow!("connection refused"));
/// assert_eq!(down.status_code(), StatusCode::SERVICE_UNAVAILABLE);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A response that says what was wrong (mostly 4xx).
    #[error("{0}")]
    Problem(Problem),
    /// A dependency (the database) failed: 503.
    #[error("a dependency failed")]
    Unavailable(#[source] anyhow::Error),
    /// A bug: 500.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Problem(problem)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Problem(problem) => problem.status_code(),
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Problem(problem) => problem.error_response(),
            Self::Unavailable(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "dependency failure");
                unavailable().error_response()
            }
            Self::Unexpected(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "unexpected failure");
                internal().error_response()
            }
        }
    }
}
