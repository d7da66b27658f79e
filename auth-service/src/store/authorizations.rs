//! The `authorization_codes` and `browser_sessions` tables: what the
//! sign-in page hands out. Both are stored as SHA-256 hashes of what the
//! browser or the client holds; both live in the database, so any replica
//! finishes what another started.

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{commit_event, decode_one, failed, set_last_login};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// An authorization code, bound to all that the request said.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationCode {
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
    /// The client it was issued to.
    pub client_id: String,
    /// The user who signed in.
    pub user_id: String,
    /// The redirect URI of the request, as sent.
    pub redirect_uri: String,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The scopes granted, space-separated.
    pub scope: String,
    /// OpenID Connect `nonce`, when the request had one.
    pub nonce: Option<String>,
    /// When the user last typed the password.
    pub auth_time: i64,
    /// The browser session it came from, if any.
    pub session_hash: Option<Vec<u8>>,
    /// At most 60 s after issue.
    pub expires_at: i64,
    /// When it was exchanged; a code is exchanged once.
    pub used_at: Option<i64>,
    /// The refresh family its exchange started: a replay ends it.
    pub family_id: Option<String>,
    /// How the user signed in (RFC 8176 methods, space-separated).
    pub amr: String,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    /// SHA-256 of the cookie's value.
    pub id_hash: Vec<u8>,
    /// Whose.
    pub user_id: String,
    /// When the user last typed the password.
    pub auth_time: i64,
    /// Its end.
    pub expires_at: i64,
    /// How the user signed in (RFC 8176 methods, space-separated).
    pub amr: String,
}

/// Codes and browser sessions.
#[async_trait]
pub trait AuthorizationStore: Send + Sync + 'static {
    /// Stores a new code.
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError>;

    /// The code with this hash.
    async fn find_code(&self, code_hash: &[u8]) -> Result<Option<AuthorizationCode>, StoreError>;

    /// Marks an unspent code spent, with the family its exchange starts;
    /// of concurrent calls one returns true.
    async fn spend_code(
        &self,
        code_hash: &[u8],
        family_id: &str,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Stores a new browser session: a sign-in (the user's last login time
    /// is set, and `event` written, in its transaction).
    async fn insert_browser_session(
        &self,
        session: &BrowserSession,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// The browser session with this hash, if it has not ended at `now`.
    async fn find_browser_session(
        &self,
        id_hash: &[u8],
        now: i64,
    ) -> Result<Option<BrowserSession>, StoreError>;

    /// Ends a browser session and the sessions of the apps it signed in to
    /// (`event` written when it was live); whether it was.
    async fn end_browser_session(
        &self,
        id_hash: &[u8],
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;
}

const CODE_COLUMNS: &str = "SELECT code_hash, client_id, user_id, redirect_uri, code_challenge, \
     scope, nonce, auth_time, session_hash, expires_at, used_at, family_id, amr \
     FROM authorization_codes";

fn code_from(row: &AnyRow) -> Result<AuthorizationCode, sqlx::Error> {
    Ok(AuthorizationCode {
        code_hash: row.try_get("code_hash")?,
        client_id: row.try_get("client_id")?,
        user_id: row.try_get("user_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        code_challenge: row.try_get("code_challenge")?,
        scope: row.try_get("scope")?,
        nonce: row.try_get("nonce")?,
        auth_time: row.try_get("auth_time")?,
        session_hash: row.try_get("session_hash")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        family_id: row.try_get("family_id")?,
        amr: row.try_get("amr")?,
    })
}

fn session_from(row: &AnyRow) -> Result<BrowserSession, sqlx::Error> {
    Ok(BrowserSession {
        id_hash: row.try_get("id_hash")?,
        user_id: row.try_get("user_id")?,
        auth_time: row.try_get("auth_time")?,
        expires_at: row.try_get("expires_at")?,
        amr: row.try_get("amr")?,
    })
}

#[async_trait]
impl AuthorizationStore for SqlAuthStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, client_id, user_id, redirect_uri, \
             code_challenge, scope, nonce, auth_time, session_hash, expires_at, amr) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&code.code_hash)
        .bind(&code.client_id)
        .bind(&code.user_id)
        .bind(&code.redirect_uri)
        .bind(&code.code_challenge)
        .bind(&code.scope)
        .bind(code.nonce.as_deref())
        .bind(code.auth_time)
        .bind(code.session_hash.as_deref())
        .bind(code.expires_at)
        .bind(&code.amr)
        .execute(&self.db.pool)
        .await
        .map(drop)
        .map_err(failed("storing an authorization code"))
    }

    async fn find_code(&self, code_hash: &[u8]) -> Result<Option<AuthorizationCode>, StoreError> {
        let row = sqlx::query(&format!("{CODE_COLUMNS} WHERE code_hash = $1"))
            .bind(code_hash)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("reading an authorization code"))?;
        decode_one(row.as_ref(), code_from, "decoding an authorization code")
    }

    async fn spend_code(
        &self,
        code_hash: &[u8],
        family_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let spent = sqlx::query(
            "UPDATE authorization_codes SET used_at = $2, family_id = $3 \
             WHERE code_hash = $1 AND used_at IS NULL",
        )
        .bind(code_hash)
        .bind(now)
        .bind(family_id)
        .execute(&self.db.pool)
        .await
        .map_err(failed("spending an authorization code"))?
        .rows_affected();
        Ok(spent == 1)
    }

    async fn insert_browser_session(
        &self,
        session: &BrowserSession,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a sign-in").await?;
        sqlx::query(
            "INSERT INTO browser_sessions (id_hash, user_id, auth_time, expires_at, amr) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.id_hash)
        .bind(&session.user_id)
        .bind(session.auth_time)
        .bind(session.expires_at)
        .bind(&session.amr)
        .execute(&mut *tx)
        .await
        .map_err(failed("storing a browser session"))?;
        set_last_login(&mut tx, &session.user_id, session.auth_time).await?;
        commit_event(tx, event, "committing a sign-in").await
    }

    async fn find_browser_session(
        &self,
        id_hash: &[u8],
        now: i64,
    ) -> Result<Option<BrowserSession>, StoreError> {
        let row = sqlx::query(
            "SELECT id_hash, user_id, auth_time, expires_at, amr FROM browser_sessions \
             WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(failed("reading a browser session"))?;
        decode_one(row.as_ref(), session_from, "decoding a browser session")
    }

    async fn end_browser_session(
        &self,
        id_hash: &[u8],
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a sign-out").await?;
        let ended = sqlx::query(
            "UPDATE browser_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL",
        )
        .bind(id_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("ending a browser session"))?
        .rows_affected()
            > 0;
        if !ended {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 \
             WHERE browser_session_hash = $1 AND revoked_at IS NULL",
        )
        .bind(id_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("ending a browser's app sessions"))?;
        commit_event(tx, event, "committing a sign-out").await?;
        Ok(true)
    }
}
