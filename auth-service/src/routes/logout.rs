//! `POST /v1/logout`.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use shared::body::{BodyError, Json};
use shared::problem::ApiError;

use super::client_address::ClientAddress;
use super::refresh_cookie::RefreshCookie;
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
/// nothing. With the refresh cookie on, a browser sends no body: the cookie
/// is read, and cleared in the answer.
#[utoipa::path(
    post,
    path = "/v1/logout",
    tag = "tokens",
    request_body = LogoutRequest,
    responses(
        (status = 204, description = "Revoked, or was never valid (RFC 7009)."),
        // After the set: this 400 says more than its.
        shared::openapi::JsonBodyRefusals,
        (status = 400, description = "The body is not JSON; or, with the refresh cookie on, the request carries more than one refresh cookie (cookie tossing), and nothing is revoked.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 403, description = "With the refresh cookie on, a browser request from a page that is neither this service's nor an allowed CORS origin.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The body is not `{\"refresh_token\"}`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn logout(
    req: HttpRequest,
    client: ClientAddress,
    sessions: web::Data<Sessions>,
    cookie: web::Data<RefreshCookie>,
    request: Result<Json<LogoutRequest>, BodyError>,
) -> Result<HttpResponse, ApiError> {
    let refresh_token = match request {
        Ok(Json(request)) => request.refresh_token,
        Err(refused) => match has_no_body(&req).then(|| cookie.read(&req)) {
            Some(Ok(Some(from_cookie))) => from_cookie,
            Some(Err(refused)) => return Err(refused.into()),
            _ => return Err(refused.to_problem().into()),
        },
    };
    // RFC 7009 2.2: an unknown token is answered alike.
    let actor = Actor::from_address(&client.0);
    let _known = sessions
        .revoke_by_refresh(refresh_token.expose_secret(), audit::LOGOUT, &actor)
        .await?;
    let mut response = HttpResponse::NoContent();
    if cookie.enabled() {
        cookie.clear(&mut response);
    }
    Ok(response.finish())
}

/// A body-less POST, as `fetch` sends one with no `body`.
fn has_no_body(req: &HttpRequest) -> bool {
    let headers = req.headers();
    !headers.contains_key(CONTENT_TYPE)
        && headers
            .get(CONTENT_LENGTH)
            .is_none_or(|length| length.as_bytes() == b"0")
}
