use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use shared::body::Json;
use shared::problem::Problem;

use super::UserView;
use crate::accounts::{Accounts, RegisterError};
use shared::problem::ApiError;

/// `POST /v1/users` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3 to 64 characters, no control characters, no white space at either
    /// end; compared ignoring case.
    #[schema(
        example = "jose",
        min_length = 3,
        max_length = 64,
        pattern = r"^(?=[^\u0000-\u001F\u007F-\u009F]*$)\S(?:.*\S)?$"
    )]
    username: String,
    /// 8 to 256 characters, not a common password, not the username.
    #[schema(value_type = String, format = Password, example = "a long passphrase", min_length = 8, max_length = 256)]
    password: SecretString,
}

/// `POST /v1/users`: 201 with the user, 409 when the name is taken.
#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered.", body = super::UserView<'static>),
(status = 400, description = "The body is not JSON.", body = shared::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 16 KiB.", body = shared::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`.", body = shared::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken.", body = shared::openapi::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "An invalid name or a weak password.", body = shared::openapi::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn register(
    accounts: web::Data<Accounts>,
    Json(request): Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    match accounts.register(&request.username, request.password).await {
        Ok(user) => Ok(HttpResponse::Created().json(UserView::from(&user))),
        Err(RegisterError::Invalid(errors)) => Err(Problem::invalid_fields(errors).into()),
        Err(RegisterError::Taken) => Err(Problem::new(
            StatusCode::CONFLICT,
            "the username is taken (names are compared ignoring case)",
        )
        .with_field_error("username", "is taken")
        .into()),
        Err(RegisterError::Failed(e)) => Err(e),
    }
}
