//! `GET /v1/me`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use shared::problem::{ApiError, Problem};

use super::live_token::LiveCaller;
use super::live_token::LiveTokenRefusal;
use super::users::UserView;
use crate::accounts::Accounts;

/// The caller's account.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The caller.", body = UserView<'static>),
        LiveTokenRefusal,
        (status = 404, description = "The user no longer exists.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn me(
    caller: LiveCaller,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, ApiError> {
    match accounts.store.find_by_id(caller.user_id()).await? {
        Some(user) => Ok(HttpResponse::Ok().json(UserView::from(&user))),
        None => Err(Problem::new(StatusCode::NOT_FOUND, "the user no longer exists").into()),
    }
}
