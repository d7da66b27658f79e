//! The authorization code flow (OAuth 2.1 4.1, RFC 7636, RFC 9700 2.1):
//! browser sessions, codes, and their exchange. Returns domain errors;
//! `routes` turns them into pages, redirects and RFC 6749 5.2 answers.
//!
//! Policy:
//! - A code is 256 random bits, stored as its SHA-256, single use, valid
//!   [`CODE_SECONDS`], bound to the client, the redirect URI, the PKCE S256
//!   challenge, the nonce and the user. A second exchange of a code ends
//!   the session its first exchange started (RFC 6749 4.1.2, RFC 9700
//!   4.5.1): whoever replays it gets nothing, and the first holder's
//!   refresh tokens stop working.
//! - A browser session (a cookie holding 256 random bits, stored as its
//!   SHA-256) lets the same browser sign in to another client without the
//!   password. It ends at its lifetime, at sign-out, and with every other
//!   session of its user (a disable, a password change, an admin's revoke).
//! - Every code is issued for a user as they are at that moment: a disabled
//!   user gets none, and the scopes are what they hold then.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use shared::clock::Clock;

use crate::audit::{self, Actor};
use crate::domain::Factors;
use crate::failure::Failure;
use crate::secret;
use crate::store::{
    AuthStore, AuthorizationCode, BrowserSession, Client, Family, StoreError, User,
};

/// How long a code may wait for its exchange.
pub const CODE_SECONDS: i64 = 60;

/// How long the sign-in page waits for a second factor after a password.
pub const CHALLENGE_SECONDS: i64 = 300;

/// The code flow's state, shared by every worker.
pub struct Authorizations {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// Where "now" comes from.
    pub clock: Clock,
    /// How long a browser session lasts, in milliseconds.
    pub browser_session_ms: i64,
}

/// What a code is issued for.
#[derive(Debug)]
pub struct CodeRequest<'a> {
    /// The client that asked.
    pub client: &'a Client,
    /// The redirect URI of the request, as sent.
    pub redirect_uri: &'a str,
    /// The PKCE S256 challenge.
    pub code_challenge: &'a str,
    /// The scopes granted.
    pub scope: &'a str,
    /// OpenID Connect `nonce`.
    pub nonce: Option<&'a str>,
}

/// What the token endpoint was given for a code.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// The code.
    pub code: &'a str,
    /// The client presenting it (authenticated, or public by its id).
    pub client: &'a Client,
    /// `redirect_uri` as the token request sent it.
    pub redirect_uri: Option<&'a str>,
    /// The PKCE verifier.
    pub code_verifier: Option<&'a str>,
}

/// A code spent: the session to start for it (`routes` starts it through
/// `sessions`), for whom, and what the code was bound to.
#[derive(Debug)]
pub struct Redeemed {
    /// The id the session must have: a replay of the code ends it.
    pub session_id: String,
    /// The user who signed in, enabled.
    pub user: User,
    /// The code's binding (scope, nonce, auth_time).
    pub code: AuthorizationCode,
}

/// A code refused (`invalid_grant`); why, for the client.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The code, its binding or the verifier is wrong.
    #[error("{0}")]
    InvalidGrant(&'static str),
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for ExchangeError {
    fn from(error: StoreError) -> Self {
        Self::Failed(error.into())
    }
}

/// Whether `verifier` is a PKCE verifier (RFC 7636 4.1) whose S256
/// challenge is `challenge`.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// Whether `challenge` can be an S256 challenge: 43 base64url characters.
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Authorizations {
    /// The live browser session whose cookie holds `id`, with its user, if
    /// the user may still sign in.
    pub async fn browser_session(
        &self,
        id: &str,
    ) -> Result<Option<(BrowserSession, User)>, StoreError> {
        let now = self.clock.now_ms();
        let Some(session) = self
            .store
            .find_browser_session(&secret::stored_hash(id), now)
            .await?
        else {
            return Ok(None);
        };
        let user = self.store.find_by_id(&session.user_id).await?;
        Ok(user
            .filter(|user| user.disabled_at.is_none())
            .map(|user| (session, user)))
    }

    /// Starts a browser session for `user`, who just signed in with
    /// `factors`; the cookie's value and the session.
    pub async fn sign_in(
        &self,
        user: &User,
        client: &Client,
        factors: Factors,
        actor: &Actor,
    ) -> Result<(String, BrowserSession), StoreError> {
        let now = self.clock.now_ms();
        let id = secret::random(32);
        let session = BrowserSession {
            id_hash: secret::stored_hash(&id),
            user_id: user.id.clone(),
            auth_time: now,
            expires_at: now.saturating_add(self.browser_session_ms),
            amr: factors.stored().to_owned(),
        };
        let event = actor
            .event(audit::LOGIN_SUCCEEDED, now)
            .user(&user.id)
            .client(&client.client_id)
            .detail(serde_json::json!({"via": "sign-in page"}));
        self.store.insert_browser_session(&session, &event).await?;
        Ok((id, session))
    }

    /// A right password of `user`, who has a second factor: the challenge
    /// the code form carries.
    pub async fn start_challenge(&self, user: &User) -> Result<String, StoreError> {
        let id = secret::random(32);
        let expires_at = self.clock.now_ms().saturating_add(CHALLENGE_SECONDS * 1000);
        self.store
            .insert_challenge(&secret::stored_hash(&id), &user.id, expires_at)
            .await?;
        Ok(id)
    }

    /// The user whose password the live challenge `id` stands for, if they
    /// may still sign in.
    pub async fn challenge_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let now = self.clock.now_ms();
        let Some(user_id) = self
            .store
            .challenge_user(&secret::stored_hash(id), now)
            .await?
        else {
            return Ok(None);
        };
        let user = self.store.find_by_id(&user_id).await?;
        Ok(user.filter(|user| user.disabled_at.is_none()))
    }

    /// Spends the challenge `id`; whether this call did.
    pub async fn end_challenge(&self, id: &str) -> Result<bool, StoreError> {
        self.store.end_challenge(&secret::stored_hash(id)).await
    }

    /// Ends the browser session whose cookie holds `id`, and the sessions
    /// of the apps it signed in to; whether it was live.
    pub async fn sign_out(&self, id: &str, actor: &Actor) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let hash = secret::stored_hash(id);
        let Some(session) = self.store.find_browser_session(&hash, now).await? else {
            return Ok(false);
        };
        let event = actor
            .event(audit::LOGOUT, now)
            .user(&session.user_id)
            .detail(serde_json::json!({"via": "end-session"}));
        self.store.end_browser_session(&hash, now, &event).await
    }

    /// Ends the session (refresh family) `session_id` of `user_id`, named
    /// by an app signing out; whether it was live.
    pub async fn end_app_session(
        &self,
        user_id: &str,
        session_id: &str,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let event = actor
            .event(audit::LOGOUT, now)
            .user(user_id)
            .detail(serde_json::json!({"session": session_id, "via": "end-session"}));
        self.store.revoke_family(session_id, now, &event).await
    }

    /// A new code for `user`, signed in by `session`.
    pub async fn issue_code(
        &self,
        request: &CodeRequest<'_>,
        user: &User,
        session: &BrowserSession,
    ) -> Result<String, StoreError> {
        let now = self.clock.now_ms();
        let code = secret::random(32);
        let stored = AuthorizationCode {
            code_hash: secret::stored_hash(&code),
            client_id: request.client.client_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: request.redirect_uri.to_owned(),
            code_challenge: request.code_challenge.to_owned(),
            scope: request.scope.to_owned(),
            nonce: request.nonce.map(str::to_owned),
            auth_time: session.auth_time,
            session_hash: Some(session.id_hash.clone()),
            expires_at: now.saturating_add(CODE_SECONDS * 1000),
            used_at: None,
            family_id: None,
            amr: session.amr.clone(),
        };
        self.store.insert_code(&stored).await?;
        Ok(code)
    }

    /// Spends a code for its client: checked against all it is bound to,
    /// spent once; a replay ends the session the first exchange started.
    pub async fn redeem(
        &self,
        exchange: &Exchange<'_>,
        actor: &Actor,
    ) -> Result<Redeemed, ExchangeError> {
        let hash = secret::stored_hash(exchange.code);
        let Some(code) = self.store.find_code(&hash).await? else {
            return Err(ExchangeError::InvalidGrant("the code is not valid"));
        };
        if code.used_at.is_some() {
            return Err(self.replayed(&code, actor).await);
        }
        let now = self.clock.now_ms();
        if now >= code.expires_at {
            return Err(ExchangeError::InvalidGrant("the code has expired"));
        }
        if code.client_id != exchange.client.client_id {
            return Err(ExchangeError::InvalidGrant(
                "the code was issued to another client",
            ));
        }
        if exchange.redirect_uri != Some(code.redirect_uri.as_str()) {
            return Err(ExchangeError::InvalidGrant(
                "redirect_uri must be the one of the authorization request",
            ));
        }
        let verifier = exchange.code_verifier.ok_or(ExchangeError::InvalidGrant(
            "code_verifier is required (PKCE)",
        ))?;
        if !pkce_matches(verifier, &code.code_challenge) {
            return Err(ExchangeError::InvalidGrant(
                "the code_verifier does not match the code_challenge",
            ));
        }
        let user = self
            .store
            .find_by_id(&code.user_id)
            .await?
            .filter(|user| user.disabled_at.is_none())
            .ok_or(ExchangeError::InvalidGrant(
                "the user can no longer sign in",
            ))?;
        let session_id = Family::new_id();
        if !self.store.spend_code(&hash, &session_id, now).await? {
            // Another exchange of the same code won the race.
            let code = self.store.find_code(&hash).await?.unwrap_or(code);
            return Err(self.replayed(&code, actor).await);
        }
        Ok(Redeemed {
            session_id,
            user,
            code,
        })
    }

    /// A spent code presented again: its session ends.
    async fn replayed(&self, code: &AuthorizationCode, actor: &Actor) -> ExchangeError {
        let now = self.clock.now_ms();
        tracing::warn!(
            client_id = %code.client_id,
            user_id = %code.user_id,
            "an authorization code was used twice; ending the session it started"
        );
        if let Some(family_id) = &code.family_id {
            let event = actor
                .event(audit::CODE_REUSE_DETECTED, now)
                .user(&code.user_id)
                .client(&code.client_id)
                .detail(serde_json::json!({"session": family_id}));
            if let Err(error) = self.store.revoke_family(family_id, now, &event).await {
                return error.into();
            }
        }
        ExchangeError::InvalidGrant("the code was already used; what it issued is revoked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_by_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(challenge, challenge));
        assert!(!pkce_matches("short", challenge));
        let spaced = format!("{verifier} ");
        assert!(!pkce_matches(&spaced, challenge));
        assert!(!is_s256_challenge(verifier.get(..42).expect("42")));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"
        ));
    }
}
