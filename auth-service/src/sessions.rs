//! Access tokens and the refresh tokens that renew them. Refresh tokens
//! (RFC 9700 4.14): opaque, 256 bits from the OS CSPRNG, stored only as
//! SHA-256 hashes, rotated on every use within a family that starts at
//! login. Returns domain errors; `routes` turns them into HTTP. Imports the
//! store and the signer; never `accounts` (a caller checks credentials
//! there first).
//!
//! Reuse detection: a spent token presented again revokes its family, except
//! within the grace window after its rotation while its successor is unused,
//! when it yields the same successor again (racing tabs, a retry after a
//! lost response). That works without storing the successor: it is derived
//! from the presented token and a random salt kept with the spent row, so
//! only a holder of the spent token can derive it.

use std::sync::Arc;

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use shared::clock::Clock;
use shared::token::{Claims, IssuedToken, TokenSigner, TokenVerifier};

use crate::audit::{self, Actor, NewEvent};
use crate::domain::scope::{self, ADMIN_SCOPE, INTROSPECT_SCOPE};
use crate::domain::{Factors, SignedIn};
use crate::failure::Failure;
use crate::secret;
use crate::settings::TokenSettings;
use crate::store::{AuthStore, Client, Family, NewRefreshToken, RefreshToken, StoreError, User};

/// The sessions service, shared by every worker.
pub struct Sessions {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// Issues access tokens.
    pub signer: TokenSigner,
    /// Refresh-token lifetimes.
    pub lifetimes: SessionLifetimes,
    /// Where "now" comes from.
    pub clock: Clock,
    /// The scopes of a user registered before per-user scopes
    /// (`AUTH__TOKENS__DEFAULT_SCOPES`).
    pub default_scope: String,
    /// Scopes granted only in a session signed in with a second factor
    /// (`AUTH__MFA__REQUIRED_SCOPES`), space-separated.
    pub mfa_required_scopes: String,
}

/// Refresh-token lifetimes, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct SessionLifetimes {
    idle: i64,
    absolute: i64,
    grace: i64,
}

impl SessionLifetimes {
    /// From the `AUTH__TOKENS__*` settings.
    pub fn from_settings(tokens: &TokenSettings) -> Self {
        let ms = |seconds: u64| i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        Self {
            idle: ms(tokens.refresh_idle_seconds),
            absolute: ms(tokens.refresh_absolute_seconds),
            grace: ms(tokens.refresh_reuse_grace_seconds),
        }
    }
}

/// An access token with the refresh token that renews it.
#[derive(Debug)]
pub struct TokenPair {
    /// The signed access token.
    pub access: IssuedToken,
    /// The opaque refresh token (only ever shown to the client).
    pub refresh_token: String,
    /// The granted scopes.
    pub scope: String,
}

/// What a new session is: its id, the client it is issued to (which alone
/// may refresh it), the browser session it comes from (signing that browser
/// out ends it), and how the user signed in.
#[derive(Debug)]
pub struct NewSession<'a> {
    /// The family's id ([`Family::new_id`]).
    pub family_id: String,
    /// The client, if any.
    pub client_id: Option<&'a str>,
    /// The browser session's hash (the code flow).
    pub browser_session_hash: Option<&'a [u8]>,
    /// The sign-in.
    pub signed_in: &'a SignedIn,
}

/// A refresh grant refused (RFC 6749 `invalid_grant` / `invalid_scope`).
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Not valid any more, or never was; why, for the client.
    #[error("{0}")]
    InvalidGrant(&'static str),
    /// A scope beyond the login's.
    #[error("{0}")]
    InvalidScope(String),
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for RefreshError {
    fn from(error: StoreError) -> Self {
        Self::Failed(error.into())
    }
}

/// What `POST /v1/revoke` did (RFC 7009).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// A session was ended, or the token was already of an ended one.
    Ended,
    /// Not a token of ours: nothing to do (RFC 7009 2.2 answers it alike).
    Unknown,
    /// A valid access token that holds no session (`/auth`'s, a client's):
    /// it cannot be ended, only outlived.
    NoSession,
}

/// A new refresh token: 256 random bits.
fn random_token() -> String {
    secret::random(32)
}

fn successor_of(token: &str, salt: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"refresh-successor:")
        .chain_update(salt)
        .chain_update(token.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(digest)
}

impl Sessions {
    /// An access token of the session (refresh family) `sid`, if any,
    /// saying how the user signed in.
    fn issue_in(
        &self,
        sid: Option<&str>,
        user: &User,
        scope: &str,
        signed_in: &SignedIn,
    ) -> Result<IssuedToken, Failure> {
        Ok(self.signer.issue_signed_in(
            sid,
            &user.id,
            &user.username,
            scope,
            &signed_in.claims(),
        )?)
    }

    fn token_expiry(&self, now: i64, family_expires_at: i64) -> i64 {
        now.saturating_add(self.lifetimes.idle)
            .min(family_expires_at)
    }

    /// Starts a refresh family for a fresh login; `client_id`: the client
    /// it is issued to, which alone may refresh it.
    pub async fn start(
        &self,
        user: &User,
        scope: String,
        client_id: Option<&str>,
        signed_in: &SignedIn,
        actor: &Actor,
    ) -> Result<TokenPair, Failure> {
        let event = actor.event(audit::LOGIN_SUCCEEDED, self.clock.now_ms());
        let session = NewSession {
            family_id: Family::new_id(),
            client_id,
            browser_session_hash: None,
            signed_in,
        };
        self.start_as(&session, user, scope, event).await
    }

    /// [`Self::start`] as `session` says, with `event` (its user and the
    /// session are added) written with it.
    pub async fn start_as(
        &self,
        session: &NewSession<'_>,
        user: &User,
        scope: String,
        event: NewEvent,
    ) -> Result<TokenPair, Failure> {
        let now = self.clock.now_ms();
        let family = Family {
            id: session.family_id.clone(),
            user_id: user.id.clone(),
            scope,
            created_at: now,
            expires_at: now.saturating_add(self.lifetimes.absolute),
            client_id: session.client_id.map(str::to_owned),
            browser_session_hash: session.browser_session_hash.map(<[u8]>::to_vec),
            amr: session.signed_in.factors.stored().to_owned(),
            auth_time: session.signed_in.at_ms,
        };
        let refresh_token = random_token();
        let first = NewRefreshToken {
            hash: secret::stored_hash(&refresh_token),
            family_id: family.id.clone(),
            expires_at: self.token_expiry(now, family.expires_at),
        };
        let event = event
            .user(&user.id)
            .detail(serde_json::json!({"session": family.id, "scope": family.scope}));
        self.store.create_family(&family, &first, &event).await?;
        Ok(TokenPair {
            access: self.issue_in(Some(&family.id), user, &family.scope, session.signed_in)?,
            refresh_token,
            scope: family.scope,
        })
    }

    /// A Flask-JWT login: an access token with no session. `auth:admin` is
    /// left out: a token that no session holds could not be ended if its
    /// holder lost the scope.
    pub async fn issue_without_session(
        &self,
        user: &User,
        scope: &str,
        signed_in: &SignedIn,
        actor: &Actor,
    ) -> Result<IssuedToken, Failure> {
        let event = actor
            .event(audit::LOGIN_SUCCEEDED, self.clock.now_ms())
            .user(&user.id)
            .detail(serde_json::json!({"scope": scope}));
        self.store.record_login(&user.id, &event).await?;
        self.issue_in(None, user, &scope::without(scope, ADMIN_SCOPE), signed_in)
    }

    /// Rotates a refresh token: a new access token and a new refresh token.
    /// `client_id`: the client presenting it, which must be the one it was
    /// issued to (none for a password login's, OAuth 2.1 4.3.1).
    pub async fn refresh(
        &self,
        presented: &str,
        requested_scope: Option<&str>,
        client_id: Option<&str>,
        actor: &Actor,
    ) -> Result<TokenPair, RefreshError> {
        let hash = secret::stored_hash(presented);
        // A lost race to spend the token sends us round once more, to the spent path.
        for _ in 0..2 {
            let now = self.clock.now_ms();
            let token = self
                .store
                .find_refresh(&hash)
                .await?
                .ok_or(RefreshError::InvalidGrant("the refresh token is not valid"))?;
            if token.client_id.as_deref() != client_id {
                return Err(RefreshError::InvalidGrant(
                    "the refresh token was issued to another client",
                ));
            }
            if token.family_revoked {
                return Err(RefreshError::InvalidGrant(
                    "the refresh token has been revoked",
                ));
            }
            if now >= token.family_expires_at {
                return Err(RefreshError::InvalidGrant(
                    "the session has ended; log in again",
                ));
            }
            // What the user holds now bounds every refresh: a scope taken
            // away since the login is not minted again.
            let user = self.holder(&token).await?;
            let factors = Factors::from_stored(&token.amr);
            let allowed = scope::intersection(&token.scope, &self.granted_after(&user, factors));
            let scope =
                scope::narrow(&allowed, requested_scope).map_err(RefreshError::InvalidScope)?;
            match (token.spent_at, &token.successor_salt) {
                (None, _) => {
                    if now >= token.expires_at {
                        return Err(RefreshError::InvalidGrant("the refresh token has expired"));
                    }
                    let mut salt = [0u8; 32];
                    OsRng.fill_bytes(&mut salt);
                    let successor = successor_of(presented, &salt);
                    let stored = NewRefreshToken {
                        hash: secret::stored_hash(&successor),
                        family_id: token.family_id.clone(),
                        expires_at: self.token_expiry(now, token.family_expires_at),
                    };
                    let event = actor
                        .event(audit::TOKEN_REFRESHED, now)
                        .user(&token.user_id)
                        .detail(serde_json::json!({"session": token.family_id}));
                    if self
                        .store
                        .spend_refresh(&hash, &salt, &stored, now, &event)
                        .await?
                    {
                        return self.pair_for(&token, &user, successor, scope);
                    }
                }
                (Some(spent_at), Some(salt)) => {
                    let successor = successor_of(presented, salt);
                    if self.lifetimes.grace > 0 && now - spent_at <= self.lifetimes.grace {
                        let next = self
                            .store
                            .find_refresh(&secret::stored_hash(&successor))
                            .await?;
                        if next.is_some_and(|next| next.spent_at.is_none()) {
                            return self.pair_for(&token, &user, successor, scope);
                        }
                    }
                    return Err(self.reuse_detected(&token, now, actor).await);
                }
                (Some(_), None) => return Err(self.reuse_detected(&token, now, actor).await),
            }
        }
        Err(RefreshError::InvalidGrant("the refresh token is not valid"))
    }

    async fn reuse_detected(&self, token: &RefreshToken, now: i64, actor: &Actor) -> RefreshError {
        tracing::warn!(
            family_id = %token.family_id,
            user_id = %token.user_id,
            "refresh token reuse detected; revoking its family"
        );
        let event = actor
            .event(audit::REFRESH_REUSE_DETECTED, now)
            .user(&token.user_id)
            .detail(serde_json::json!({"session": token.family_id}));
        match self
            .store
            .revoke_family(&token.family_id, now, &event)
            .await
        {
            Ok(_) => RefreshError::InvalidGrant(
                "the refresh token was already used; the session is revoked",
            ),
            Err(e) => e.into(),
        }
    }

    /// The user a refresh token belongs to, if they may still refresh.
    async fn holder(&self, token: &RefreshToken) -> Result<User, RefreshError> {
        let user = self
            .store
            .find_by_id(&token.user_id)
            .await?
            .ok_or(RefreshError::InvalidGrant("the user no longer exists"))?;
        if user.disabled_at.is_some() {
            return Err(RefreshError::InvalidGrant(
                "the account is disabled; ask an administrator",
            ));
        }
        Ok(user)
    }

    fn pair_for(
        &self,
        token: &RefreshToken,
        user: &User,
        refresh_token: String,
        scope: String,
    ) -> Result<TokenPair, RefreshError> {
        let signed_in = SignedIn {
            factors: Factors::from_stored(&token.amr),
            at_ms: token.auth_time,
        };
        Ok(TokenPair {
            access: self.issue_in(Some(&token.family_id), user, &scope, &signed_in)?,
            refresh_token,
            scope,
        })
    }

    /// The scopes `user` holds now.
    pub fn granted<'a>(&'a self, user: &'a User) -> &'a str {
        user.granted(&self.default_scope)
    }

    /// The scopes a sign-in of `user` with `factors` may carry: what they
    /// hold, less those that need a second factor when there was none.
    pub fn granted_after(&self, user: &User, factors: Factors) -> String {
        let held = self.granted(user);
        if factors.is_multi() {
            return held.to_owned();
        }
        held.split_ascii_whitespace()
            .filter(|granted| !scope::includes(&self.mfa_required_scopes, granted))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Revokes the family of `presented`, if it is a refresh token we know;
    /// whether it was one. `event`: `logout` or `token_revoked`.
    pub async fn revoke_by_refresh(
        &self,
        presented: &str,
        event: &'static str,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let Some(token) = self
            .store
            .find_refresh(&secret::stored_hash(presented))
            .await?
        else {
            return Ok(false);
        };
        self.end_family(&token.family_id, &token.user_id, event, actor)
            .await?;
        Ok(true)
    }

    /// Ends the session `family_id` if it is a live one of `user_id`;
    /// whether it was.
    pub async fn end_own(
        &self,
        user_id: &str,
        family_id: &str,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let owner = self
            .store
            .session_user(family_id, self.clock.now_ms())
            .await?;
        if owner.is_none_or(|owner| owner.id != user_id) {
            return Ok(false);
        }
        self.end_family(family_id, user_id, audit::LOGOUT, actor)
            .await?;
        Ok(true)
    }

    /// RFC 7009: ends the session of `presented`, a refresh token or one of
    /// its access tokens. `hint` (`token_type_hint`) says where to look
    /// first, not where to stop (2.1).
    pub async fn revoke(
        &self,
        presented: &str,
        hint: Option<&str>,
        verifier: &TokenVerifier,
        actor: &Actor,
    ) -> Result<Revocation, StoreError> {
        let access_first = hint == Some("access_token");
        let by_refresh = || self.revoke_by_refresh(presented, audit::TOKEN_REVOKED, actor);
        if !access_first && by_refresh().await? {
            return Ok(Revocation::Ended);
        }
        match verifier.verify(presented) {
            Ok(Claims {
                sid: Some(sid),
                sub,
                ..
            }) => {
                self.end_family(&sid, &sub, audit::TOKEN_REVOKED, actor)
                    .await?;
                Ok(Revocation::Ended)
            }
            Ok(_) => Ok(Revocation::NoSession),
            Err(_) if access_first && by_refresh().await? => Ok(Revocation::Ended),
            Err(_) => Ok(Revocation::Unknown),
        }
    }

    /// RFC 7662: the claims of `presented` if it is an access token that
    /// stands here ([`Self::is_token_live`]), for a client allowed to read
    /// them (one holding `auth:introspect`, RFC 7662 4); refresh tokens and
    /// anything else are inactive.
    pub async fn introspect(
        &self,
        presented: &str,
        caller: &Client,
        verifier: &TokenVerifier,
    ) -> Result<Option<Claims>, StoreError> {
        if !scope::includes(&caller.scopes, INTROSPECT_SCOPE) {
            return Ok(None);
        }
        let Ok(claims) = verifier.verify(presented) else {
            return Ok(None);
        };
        Ok(self.is_token_live(&claims).await?.then_some(claims))
    }

    async fn end_family(
        &self,
        family_id: &str,
        user_id: &str,
        event: &'static str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let event = actor
            .event(event, now)
            .user(user_id)
            .detail(serde_json::json!({"session": family_id}));
        self.store.revoke_family(family_id, now, &event).await?;
        Ok(())
    }

    /// Whether a verified access token still stands here: its holder still
    /// holds every scope it carries (a scope taken away ends it at once),
    /// and, for a session's token, the session is live (not ended by logout,
    /// password change, reuse, revocation or a disable, nor past its
    /// absolute lifetime) and its user enabled; for a client's, the client
    /// exists; for any other (the Flask-JWT login's), its user exists,
    /// enabled, and the token does not carry `auth:admin`.
    pub async fn is_token_live(&self, claims: &Claims) -> Result<bool, StoreError> {
        if let Some(client_id) = &claims.client_id {
            let client = self.store.find_client(client_id).await?;
            return Ok(client.is_some_and(|c| scope::within(&claims.scope, &c.scopes)));
        }
        let user = match &claims.sid {
            Some(sid) => self.store.session_user(sid, self.clock.now_ms()).await?,
            None if scope::includes(&claims.scope, ADMIN_SCOPE) => return Ok(false),
            None => self.store.find_by_id(&claims.sub).await?,
        };
        Ok(user.is_some_and(|user| {
            user.disabled_at.is_none() && scope::within(&claims.scope, self.granted(&user))
        }))
    }

    /// A service client's own access token (no refresh token, no session,
    /// never `auth:admin`).
    pub fn issue_to_client(&self, client: &Client, scope: &str) -> Result<IssuedToken, Failure> {
        let scope = scope::without(scope, ADMIN_SCOPE);
        Ok(self.signer.issue_to_client(&client.client_id, &scope)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_carry_256_bits_and_differ() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()).ok(), Some(32));
        assert_ne!(a, b);
    }

    #[test]
    fn the_successor_depends_on_the_token_and_the_salt() {
        let token = random_token();
        assert_eq!(successor_of(&token, b"salt"), successor_of(&token, b"salt"));
        assert_ne!(
            successor_of(&token, b"salt"),
            successor_of(&token, b"pepper")
        );
        assert_ne!(
            successor_of(&token, b"salt"),
            successor_of(&random_token(), b"salt")
        );
    }
}
