use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use shared::auth::Caller;
use shared::body::Json;
use shared::problem::ApiError;

use crate::accounts::Accounts;
use crate::throttle::client_address;

/// `PUT /v1/me/password` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: SecretString,
    new_password: SecretString,
}

/// `PUT /v1/me/password`: 204; 403 when the current password is wrong; 422
/// when the new one is weak. Every refresh family of the user is revoked;
/// access tokens already issued live out their (short) lifetime.
pub(super) async fn change_password(
    caller: Caller,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    Json(request): Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let client = client_address(&req, accounts.throttle.trusted_proxy_hops());
    accounts
        .change_password(
            caller.user_id(),
            request.current_password,
            request.new_password,
            &client,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
