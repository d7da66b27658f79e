//! `DELETE /v1/admin/users/{id}/mfa`: an administrator's reset of a
//! user's second factor.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use shared::problem::{ApiError, Problem};

use super::{AdminRefusals, actor};
use crate::mfa::Mfa;
use crate::routes::client_address::ClientAddress;
use crate::routes::live_token::AdminCaller;

/// Reset a user's second factor: it goes, and every session of the user
/// ends; they sign in with the password and may enrol again.
#[utoipa::path(
    delete,
    path = "/v1/admin/users/{id}/mfa",
    tag = "admin",
    params(("id" = String, Path, description = "The user's id.")),
    security(("bearer" = []), ("oauth2" = ["auth:admin"])),
    responses(
        (status = 204, description = "Reset; the user's sessions ended."),
        AdminRefusals,
        (status = 404, description = "No such user, or no second factor to reset.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(in crate::routes) async fn reset(
    caller: AdminCaller,
    client: ClientAddress,
    user_id: web::Path<String>,
    mfa: web::Data<Mfa>,
) -> Result<HttpResponse, ApiError> {
    if mfa.store.find_by_id(&user_id).await?.is_none() {
        return Err(Problem::new(StatusCode::NOT_FOUND, "no user has this id").into());
    }
    if !mfa.reset(&user_id, &actor(&caller, &client)).await? {
        return Err(Problem::new(StatusCode::NOT_FOUND, "the user has no second factor").into());
    }
    Ok(HttpResponse::NoContent().finish())
}
