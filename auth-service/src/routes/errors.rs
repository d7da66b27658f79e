//! Domain errors as HTTP answers: the one place that gives them statuses,
//! headers and bodies. A failure below is logged once, by `ApiError`.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use shared::problem::{ApiError, Problem};

use crate::accounts::{ChangePasswordError, LoginError, RegisterError};
use crate::failure::Failure;
use crate::mfa::MfaError;
use crate::passwords::HashError;
use crate::store::StoreError;
use crate::throttle::ThrottleError;

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Store(e) => e.into(),
            Failure::Hashing(HashError::Busy) => {
                tracing::warn!("password hashing queue full; refusing");
                shared::problem::unavailable().into()
            }
            Failure::Hashing(HashError::Unexpected(e)) => Self::Unexpected(e),
            Failure::Signing(e) => Self::Unexpected(e.into()),
            Failure::IdToken(e) => Self::Unexpected(e.into()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error.0)
    }
}

/// 429 with `Retry-After`.
fn too_many(detail: String, retry_after_seconds: u64) -> ApiError {
    Problem::new(StatusCode::TOO_MANY_REQUESTS, detail)
        .with_header(RETRY_AFTER, HeaderValue::from(retry_after_seconds))
        .into()
}

impl From<ThrottleError> for ApiError {
    fn from(error: ThrottleError) -> Self {
        match error {
            ThrottleError::Throttled {
                retry_after_seconds,
            } => too_many(error.to_string(), retry_after_seconds),
            ThrottleError::Store(e) => e.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::Throttled {
                retry_after_seconds,
            } => too_many(error.to_string(), retry_after_seconds),
            LoginError::Disabled => Problem::new(StatusCode::FORBIDDEN, error.to_string()).into(),
            LoginError::Failed(failure) => failure.into(),
        }
    }
}

impl From<MfaError> for ApiError {
    fn from(error: MfaError) -> Self {
        match error {
            MfaError::Throttled {
                retry_after_seconds,
            } => too_many(error.to_string(), retry_after_seconds),
            MfaError::WrongCode => Problem::invalid_fields([("code", error.to_string())]).into(),
            MfaError::Required => Problem::new(StatusCode::BAD_REQUEST, error.to_string()).into(),
            MfaError::AlreadyOn | MfaError::NotEnrolled(_) => {
                Problem::new(StatusCode::CONFLICT, error.to_string()).into()
            }
            MfaError::Failed(failure) => failure.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::Invalid(errors) => Problem::invalid_fields(errors).into(),
            RegisterError::Taken => Problem::new(
                StatusCode::CONFLICT,
                "the username is taken (names are compared ignoring case)",
            )
            .with_field_error("username", "is taken")
            .into(),
            RegisterError::Failed(failure) => failure.into(),
        }
    }
}

impl From<ChangePasswordError> for ApiError {
    fn from(error: ChangePasswordError) -> Self {
        match error {
            ChangePasswordError::NoSuchUser => {
                Problem::new(StatusCode::NOT_FOUND, "the user no longer exists").into()
            }
            ChangePasswordError::WrongPassword => {
                Problem::new(StatusCode::FORBIDDEN, "the current password is wrong")
                    .with_field_error("current_password", "is wrong")
                    .into()
            }
            ChangePasswordError::WeakPassword(why) => {
                Problem::invalid_fields([("new_password", why)]).into()
            }
            ChangePasswordError::Login(e) => e.into(),
        }
    }
}
