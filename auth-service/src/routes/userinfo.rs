//! `GET`/`POST /v1/userinfo` (OpenID Connect Core 5.3): who the holder of an
//! access token with the scope `openid` is.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::problem::ApiError;

use super::live_token::OpenIdCaller;
use crate::accounts::Accounts;
use crate::domain::scope;
use crate::id_tokens::EmailClaims;

/// What userinfo answers a token it does not take.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
enum OpenIdRefusals {
    /// No valid access token, or its session has ended.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(shared::problem::ProblemDetails),
    /// `insufficient_scope`: the token lacks `openid`.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(shared::problem::ProblemDetails),
}

/// OpenID Connect standard claims this service knows.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UserInfo<'a> {
    /// The user's id, as in the ID token.
    sub: &'a str,
    /// With the scope `profile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    /// With the scope `email`, when the user has an address.
    #[serde(flatten)]
    email: EmailClaims<'a>,
}

/// Who the caller is (OpenID Connect userinfo).
#[utoipa::path(
    get,
    path = "/v1/userinfo",
    tag = "sign-in",
    security(("bearer" = []), ("oauth2" = ["openid"])),
    responses(
        (status = 200, description = "`sub`; `preferred_username` with the scope `profile`; `email` and `email_verified` with the scope `email`.", body = UserInfo<'static>),
        OpenIdRefusals,
    ),
)]
pub(super) async fn userinfo(
    caller: OpenIdCaller,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, ApiError> {
    let claims = caller.claims();
    // The address as it is now, which the token does not carry.
    let user = match scope::includes(&claims.scope, "email") {
        true => accounts.store.find_by_id(&claims.sub).await?,
        false => None,
    };
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(UserInfo {
            sub: &claims.sub,
            preferred_username: scope::includes(&claims.scope, "profile")
                .then_some(claims.username.as_str()),
            email: user
                .as_ref()
                .map(|user| EmailClaims::of(user, &claims.scope))
                .unwrap_or_default(),
        }))
}

/// The same, posted (OpenID Connect Core 5.3.1).
#[utoipa::path(
    post,
    path = "/v1/userinfo",
    tag = "sign-in",
    security(("bearer" = []), ("oauth2" = ["openid"])),
    responses(
        (status = 200, description = "As `GET`.", body = UserInfo<'static>),
        OpenIdRefusals,
    ),
)]
pub(super) async fn userinfo_post(
    caller: OpenIdCaller,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, ApiError> {
    userinfo(caller, accounts).await
}
