//! `POST /v1/logout`.

use actix_web::{web, HttpResponse};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use shared::body::Json;
use shared::problem::ApiError;

use super::client::ClientAddress;
use crate::audit::{self, Actor};
use crate::sessions::Sessions;

/// `POST /v1/logout` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    #[schema(value_type = String)]
    refresh_token: SecretString,
}

/// Log out: revoke a refresh token and its session.
///
/// 204 whether or not the token was known (RFC 7009 2.2), so it reveals
/// nothing.
#[utoipa::path(
    post,
    path = "/v1/logout",
    tag = "tokens",
    request_body = LogoutRequest,
    responses(
        (status = 204, description = "Revoked, or was never valid (RFC 7009)."),
        (status = 400, description = "The body is not JSON.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 16 KiB.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The body is not `{\"refresh_token\"}`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn logout(
    client: ClientAddress,
    sessions: web::Data<Sessions>,
    Json(request): Json<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    // RFC 7009 2.2: an unknown token is answered alike.
    let actor = Actor::from_address(&client.0);
    let _known = sessions
        .revoke_by_refresh(request.refresh_token.expose_secret(), audit::LOGOUT, &actor)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
