//! RFC 9457 problem details: the error body of every v1 endpoint.
//!
//! `type` is always `about:blank`, so `title` is the status's reason phrase
//! and `detail` says what was wrong with this request. Field-level input
//! errors go in `errors`, keyed by the field's path. A problem never carries
//! internal text (database messages, causes): those are logged, not sent.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError};
use serde_json::{Map, Value};

/// The media type of a problem body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An HTTP error answered as `application/problem+json`.
///
/// ```
/// use actix_web::{http::StatusCode, ResponseError};
/// use shared::problem::Problem;
///
/// let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "the item is invalid")
///     .with_field_error("price", "must be zero or more");
/// assert_eq!(problem.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
/// assert_eq!(problem.body()["errors"]["price"][0], "must be zero or more");
/// ```
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    detail: String,
    errors: BTreeMap<String, Vec<String>>,
    extensions: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem with this status and a sentence saying what was wrong.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use shared::problem::Problem;
    ///
    /// let problem = Problem::new(StatusCode::CONFLICT, "the name is taken");
    /// assert_eq!(problem.body()["title"], "Conflict");
    /// ```
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            errors: BTreeMap::new(),
            extensions: Map::new(),
            headers: Vec::new(),
        }
    }

    /// 422 with one message per invalid field.
    ///
    /// ```
    /// use shared::problem::Problem;
    /// let p = Problem::invalid_fields([("username", "is taken".to_string())]);
    /// assert_eq!(p.body()["status"], 422);
    /// ```
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
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use shared::problem::Problem;
    ///
    /// let problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "the price is invalid")
    ///     .with_field_error("price", "must be zero or more");
    /// assert_eq!(problem.body()["errors"]["price"][0], "must be zero or more");
    /// ```
    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.errors
            .entry(field.into())
            .or_default()
            .push(message.into());
        self
    }

    /// Adds an extension member to the body (RFC 9457 3.2).
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use shared::problem::Problem;
    ///
    /// let problem = Problem::new(StatusCode::TOO_MANY_REQUESTS, "slow down")
    ///     .with_extension("retry_after", 30);
    /// assert_eq!(problem.body()["retry_after"], 30);
    /// ```
    pub fn with_extension(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a response header (e.g. `WWW-Authenticate`, `Retry-After`).
    ///
    /// ```
    /// use actix_web::http::header::{HeaderValue, RETRY_AFTER};
    /// use actix_web::http::StatusCode;
    /// use actix_web::ResponseError as _;
    /// use shared::problem::Problem;
    ///
    /// let problem = Problem::new(StatusCode::TOO_MANY_REQUESTS, "slow down")
    ///     .with_header(RETRY_AFTER, HeaderValue::from(30));
    /// assert_eq!(problem.error_response().headers().get("Retry-After").expect("set"), "30");
    /// ```
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The `detail` sentence.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use shared::problem::Problem;
    ///
    /// assert_eq!(Problem::new(StatusCode::NOT_FOUND, "no such item").detail(), "no such item");
    /// ```
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The JSON body this problem answers with.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use shared::problem::Problem;
    ///
    /// let body = Problem::new(StatusCode::NOT_FOUND, "no such item").body();
    /// assert_eq!(body["status"], 404);
    /// assert_eq!(body["type"], "about:blank");
    /// ```
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("type".into(), "about:blank".into());
        body.insert(
            "title".into(),
            self.status.canonical_reason().unwrap_or("Error").into(),
        );
        body.insert("status".into(), self.status.as_u16().into());
        body.insert("detail".into(), self.detail.clone().into());
        if !self.errors.is_empty() {
            let errors = serde_json::to_value(&self.errors).unwrap_or(Value::Null);
            body.insert("errors".into(), errors);
        }
        for (name, value) in &self.extensions {
            body.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(body)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((CONTENT_TYPE, PROBLEM_JSON));
        for (name, value) in &self.headers {
            response.append_header((name.clone(), value.clone()));
        }
        response.body(self.body().to_string())
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
///
/// ```
/// use actix_web::ResponseError;
/// assert_eq!(shared::problem::unavailable().status_code().as_u16(), 503);
/// ```
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
///
/// ```
/// use actix_web::ResponseError;
/// assert_eq!(shared::problem::internal().status_code().as_u16(), 500);
/// ```
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
