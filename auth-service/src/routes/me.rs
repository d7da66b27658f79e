use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use shared::auth::Caller;
use shared::problem::Problem;

use super::UserView;
use crate::accounts::Accounts;
use shared::problem::ApiError;

/// `GET /v1/me`: the caller's user record.
pub(super) async fn me(
    caller: Caller,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, ApiError> {
    match accounts.store.find_by_id(caller.user_id()).await? {
        Some(user) => Ok(HttpResponse::Ok().json(UserView::from(&user))),
        None => Err(Problem::new(StatusCode::NOT_FOUND, "the user no longer exists").into()),
    }
}
