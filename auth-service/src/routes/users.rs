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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    username: String,
    password: SecretString,
}

/// `POST /v1/users`: 201 with the user, 409 when the name is taken.
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
