//! `GET /v1/me`, and the caller's sessions: `GET /v1/me/sessions`,
//! `DELETE /v1/me/sessions/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::problem::{ApiError, Problem};

use super::client_address::ClientAddress;
use super::live_token::LiveCaller;
use super::live_token::LiveTokenRefusal;
use super::users::UserView;
use crate::accounts::Accounts;
use crate::audit::Actor;
use crate::domain::Factors;
use crate::sessions::Sessions;

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

/// How many of the caller's sessions are listed (the newest first).
const SESSIONS_SHOWN: u32 = 100;

/// One of the caller's live sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct OwnSessionView {
    /// The `sid` of its access tokens.
    id: String,
    /// The app it was issued to; none for a password login.
    client_id: Option<String>,
    /// `aal1` (a password) or `aal2` (and a second factor).
    acr: &'static str,
    /// RFC 3339, UTC: when it started.
    created_at: String,
    /// RFC 3339, UTC: no refresh token of it outlives this.
    expires_at: String,
    /// The session of the token that asked.
    current: bool,
}

/// The caller's sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct OwnSessions {
    /// Newest first, at most 100.
    items: Vec<OwnSessionView>,
}

/// The caller's live sessions (logins), newest first.
#[utoipa::path(
    get,
    path = "/v1/me/sessions",
    tag = "users",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The caller's live sessions.", body = OwnSessions),
        LiveTokenRefusal,
    ),
)]
pub(super) async fn sessions(
    caller: LiveCaller,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, ApiError> {
    let now = sessions.clock.now_ms();
    let mut families = sessions
        .store
        .list_sessions(caller.user_id(), now, None, SESSIONS_SHOWN)
        .await?;
    families.sort_by_key(|family| std::cmp::Reverse(family.created_at));
    let current = caller.claims().sid.as_deref();
    let items = families
        .into_iter()
        .map(|family| OwnSessionView {
            current: current == Some(family.id.as_str()),
            acr: Factors::from_stored(&family.amr).acr(),
            created_at: shared::db::timestamp(family.created_at),
            expires_at: shared::db::timestamp(family.expires_at),
            client_id: family.client_id,
            id: family.id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(OwnSessions { items }))
}

/// End one of the caller's sessions: its refresh token stops working, and
/// its access tokens on this service.
#[utoipa::path(
    delete,
    path = "/v1/me/sessions/{id}",
    tag = "users",
    params(("id" = String, Path, description = "The session's id (`sid`).")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Ended."),
        LiveTokenRefusal,
        (status = 404, description = "The caller has no live session with this id.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn end_own_session(
    caller: LiveCaller,
    client: ClientAddress,
    id: web::Path<String>,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::from_address(&client.0);
    if sessions.end_own(caller.user_id(), &id, &actor).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            "you have no live session with this id",
        )
        .into())
    }
}
