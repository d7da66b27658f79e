//! `POST /v1/users`, and the user as every route shows it.

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::problem::ApiError;

use super::client_address::ClientAddress;
use crate::accounts::Accounts;
use crate::store::User;

/// A user as the API shows it: never the hash.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UserView<'a> {
    /// A UUID; the `sub` of the user's tokens.
    id: &'a str,
    username: &'a str,
    /// RFC 3339, UTC.
    created_at: &'a str,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(user: &'a User) -> Self {
        Self {
            id: &user.id,
            username: &user.username,
            created_at: &user.created_at,
        }
    }
}

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

/// Register a user.
///
/// 201 with the user; 409 when the name is taken.
#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered.", body = UserView<'static>),
        shared::openapi::JsonBodyRefusals,
        (status = 409, description = "The name is taken.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "An invalid name or a weak password.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn register(
    client: ClientAddress,
    accounts: web::Data<Accounts>,
    Json(request): Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts
        .register(&request.username, request.password, &client.0)
        .await?;
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}
