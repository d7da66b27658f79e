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
    /// 1 to 64 characters; compared ignoring case.
    #[schema(example = "jose")]
    username: String,
    /// 8 to 1024 bytes, not a common password.
    #[schema(value_type = String, format = Password, example = "a long passphrase")]
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
