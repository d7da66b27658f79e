//! The caller of auth-service's own routes: a valid access token whose
//! session is still live. A token of an ended session (logout, password
//! change, reuse detection, revocation) is 401 `invalid_token` here, while
//! other services, which hold no sessions, accept it until it expires.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use shared::auth::{AuthError, Caller};
use shared::problem::ApiError;

use crate::sessions::Sessions;

/// A [`Caller`] whose token's session (`sid`) is live. Tokens without a
/// session (the Flask-JWT login's) live out their lifetime.
pub(super) struct LiveCaller(Caller);

impl Deref for LiveCaller {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl FromRequest for LiveCaller {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let caller = caller.await?;
            let Some(sid) = caller.claims().sid.as_deref() else {
                return Ok(Self(caller));
            };
            let sessions = req
                .app_data::<web::Data<Sessions>>()
                .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("no Sessions registered")))?;
            if sessions.is_live(sid).await.map_err(ApiError::from)? {
                return Ok(Self(caller));
            }
            Err(AuthError::invalid_token(
                &req,
                "session_ended",
                "the session of this access token has ended (logout, password change or \
                 revocation): log in again",
            )
            .into())
        })
    }
}
