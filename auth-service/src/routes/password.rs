//! `PUT /v1/me/password`.

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;
use shared::body::Json;
use shared::problem::ApiError;

use super::client_address::ClientAddress;
use super::live_token::LiveCaller;
use super::live_token::LiveTokenRefusal;
use crate::accounts::Accounts;

/// `PUT /v1/me/password` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    /// 8 to 256 characters, not a common password, not the username.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 256)]
    new_password: SecretString,
}

/// Change the caller's password.
///
/// 204; 403 when the current password is wrong; 422 when the new one is
/// weak. Every refresh family of the user is revoked; access tokens already
/// issued live out their (short) lifetime.
#[utoipa::path(
    put,
    path = "/v1/me/password",
    tag = "users",
    request_body = ChangePassword,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Changed; every refresh token of the user revoked."),
        shared::openapi::JsonBodyRefusals,
        LiveTokenRefusal,
        (status = 403, description = "The current password is wrong.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed password checks; see `Retry-After`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The new password is weak.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn change_password(
    caller: LiveCaller,
    client: ClientAddress,
    accounts: web::Data<Accounts>,
    Json(request): Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    accounts
        .change_password(
            caller.user_id(),
            request.current_password,
            request.new_password,
            &client.0,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
