//! The service's error: client errors carry their problem; failures below
//! are logged here, once, with their cause chain, and answered with a fixed
//! text.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared::problem::{self, Problem};

use crate::passwords::HashError;
use crate::store::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A 4xx that says what was wrong.
    #[error("{0}")]
    Client(Problem),
    /// Too many password checks are queued.
    #[error("too many password checks are waiting")]
    Busy,
    /// The database failed.
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    /// A bug.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        Self::Client(problem)
    }
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            HashError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Client(problem) => problem.status_code(),
            Self::Busy | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Client(problem) => problem.error_response(),
            Self::Busy => {
                tracing::warn!("password hashing queue full; refusing");
                problem::unavailable().error_response()
            }
            Self::Unavailable(e) => {
                tracing::error!(error = ?e, "database failure");
                problem::unavailable().error_response()
            }
            Self::Unexpected(e) => {
                tracing::error!(error = ?e, "unexpected failure");
                problem::internal().error_response()
            }
        }
    }
}
