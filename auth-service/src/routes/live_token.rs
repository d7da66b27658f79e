//! The caller of auth-service's own routes: a valid access token whose
//! session is still live and whose user is still enabled. A token of an
//! ended session (logout, password change, reuse detection, revocation, a
//! disabled user) is 401 `invalid_token` here, while other services, which
//! hold no sessions, accept it until it expires.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use shared::auth::{AuthError, Authorized, Caller, RequiredScope};
use shared::problem::ApiError;

use crate::domain::scope::{ADMIN_SCOPE, OPENID_SCOPE};
use crate::sessions::Sessions;

/// A caller as an extractor gives it.
pub(super) trait Authenticated {
    fn caller(&self) -> &Caller;
}

impl Authenticated for Caller {
    fn caller(&self) -> &Caller {
        self
    }
}

impl<S> Authenticated for Authorized<S> {
    fn caller(&self) -> &Caller {
        self
    }
}

/// What a route for a live token answers without one.
#[derive(utoipa::IntoResponses)]
#[expect(dead_code, reason = "only the OpenAPI document reads it")]
pub(super) enum LiveTokenRefusal {
    /// No valid access token, or its session has ended.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(shared::problem::ProblemDetails),
}

/// `auth:admin`.
pub(super) struct AdminScope;

impl RequiredScope for AdminScope {
    const SCOPE: &'static str = ADMIN_SCOPE;
}

/// `openid`: the caller may read who they are at userinfo.
pub(super) struct OpenIdScope;

impl RequiredScope for OpenIdScope {
    const SCOPE: &'static str = OPENID_SCOPE;
}

/// A caller with a live token granting `openid`.
pub(super) type OpenIdCaller = Live<Authorized<OpenIdScope>>;

/// What `C` extracts, once its token is known to be live.
pub(super) struct Live<C>(C);

/// Any caller with a live token.
pub(super) type LiveCaller = Live<Caller>;
/// A caller with a live token granting `auth:admin`.
pub(super) type AdminCaller = Live<Authorized<AdminScope>>;

impl<C: Authenticated> Deref for Live<C> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        self.0.caller()
    }
}

impl<C> FromRequest for Live<C>
where
    C: FromRequest + Authenticated + 'static,
    C::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let extracted = C::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let extracted = extracted.await.map_err(Into::into)?;
            let sessions = req
                .app_data::<web::Data<Sessions>>()
                .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no Sessions registered")))?;
            if sessions
                .is_token_live(extracted.caller().claims())
                .await
                .map_err(ApiError::from)?
            {
                return Ok(Self(extracted));
            }
            Err(AuthError::invalid_token(
                &req,
                "session_ended",
                "the session of this access token has ended (logout, password change, \
                 revocation, or the account was disabled or deleted): log in again",
            )
            .into())
        })
    }
}
