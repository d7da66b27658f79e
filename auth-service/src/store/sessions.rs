//! The `refresh_families` and `refresh_tokens` tables: sessions (one
//! login's family) and their rotating refresh tokens, stored as hashes.

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{
    Filter, Tx, commit_event, decode_all, decode_one, failed, revoke_user_families, set_last_login,
};
use super::users::{USER_COLUMNS, User, user_from};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// A refresh-token family: what one login started.
#[derive(Debug, Clone)]
pub struct Family {
    /// UUID, as text.
    pub id: String,
    /// Whose it is.
    pub user_id: String,
    /// The scopes every access token of the family carries.
    pub scope: String,
    /// When the login happened.
    pub created_at: i64,
    /// The absolute end of the family.
    pub expires_at: i64,
    /// The client it was issued to; `None` for a password login without
    /// client authentication.
    pub client_id: Option<String>,
    /// The browser session it came from (the code flow), as its hash.
    pub browser_session_hash: Option<Vec<u8>>,
    /// How the user signed in: RFC 8176 methods, space-separated.
    pub amr: String,
    /// When the user signed in (before `created_at` for a browser session's).
    pub auth_time: i64,
}

impl Family {
    /// A new family's id: a UUID, as text.
    pub fn new_id() -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// A refresh token to store.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// Its family.
    pub family_id: String,
    /// The idle end of this token.
    pub expires_at: i64,
}

/// A stored refresh token with what its family says.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    /// Its family.
    pub family_id: String,
    /// Whose it is.
    pub user_id: String,
    /// The family's scopes.
    pub scope: String,
    /// The idle end of this token.
    pub expires_at: i64,
    /// When it was rotated, if it was.
    pub spent_at: Option<i64>,
    /// Set when it was rotated: derives the successor from the token.
    pub successor_salt: Option<Vec<u8>>,
    /// The family's absolute end.
    pub family_expires_at: i64,
    /// Whether the family was revoked.
    pub family_revoked: bool,
    /// The client the family was issued to, if any.
    pub client_id: Option<String>,
    /// How the user signed in (the family's `amr`).
    pub amr: String,
    /// When the user signed in.
    pub auth_time: i64,
}

/// The sessions and their refresh tokens.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Starts a family with its first token (a login: the user's last
    /// login time is set).
    async fn create_family(
        &self,
        family: &Family,
        first: &NewRefreshToken,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// The refresh token with this hash.
    async fn find_refresh(&self, hash: &[u8]) -> Result<Option<RefreshToken>, StoreError>;

    /// Marks the token spent and stores its successor, atomically and only if
    /// it was unspent: of many concurrent calls one returns true.
    async fn spend_refresh(
        &self,
        hash: &[u8],
        successor_salt: &[u8],
        successor: &NewRefreshToken,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Revokes a family (logout, reuse detected); whether it was live. The
    /// event is written only when it was.
    async fn revoke_family(
        &self,
        family_id: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Revokes every live family of a user; how many.
    async fn revoke_sessions(
        &self,
        user_id: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<u64, StoreError>;

    /// The user of the family, if it exists, is not revoked and has not
    /// reached its absolute lifetime at `now` (whether the user is enabled,
    /// and what they hold, is the caller's to check).
    async fn session_user(&self, family_id: &str, now: i64) -> Result<Option<User>, StoreError>;

    /// A user's live families, by id, after `after`.
    async fn list_sessions(
        &self,
        user_id: &str,
        now: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Family>, StoreError>;
}

fn family_from(row: &AnyRow) -> Result<Family, sqlx::Error> {
    Ok(Family {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        client_id: row.try_get("client_id")?,
        browser_session_hash: row.try_get("browser_session_hash")?,
        amr: row.try_get("amr")?,
        auth_time: row.try_get("auth_time")?,
    })
}

/// A family's columns, `auth_time` as the login time where none was kept.
const FAMILY_COLUMNS: &str = "SELECT id, user_id, scope, created_at, expires_at, client_id, \
     browser_session_hash, amr, COALESCE(auth_time, created_at) AS auth_time FROM refresh_families";

async fn insert_token(tx: &mut Tx, token: &NewRefreshToken) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(&token.hash)
    .bind(&token.family_id)
    .bind(token.expires_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
    .map_err(failed("inserting a refresh token"))
}

#[async_trait]
impl SessionStore for SqlAuthStore {
    async fn create_family(
        &self,
        family: &Family,
        first: &NewRefreshToken,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a session").await?;
        sqlx::query(
            "INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at, client_id, \
             browser_session_hash, amr, auth_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&family.id)
        .bind(&family.user_id)
        .bind(&family.scope)
        .bind(family.created_at)
        .bind(family.expires_at)
        .bind(family.client_id.as_deref())
        .bind(family.browser_session_hash.as_deref())
        .bind(&family.amr)
        .bind(family.auth_time)
        .execute(&mut *tx)
        .await
        .map_err(failed("inserting a refresh family"))?;
        insert_token(&mut tx, first).await?;
        set_last_login(&mut tx, &family.user_id, family.created_at).await?;
        commit_event(tx, event, "committing a session").await
    }

    async fn find_refresh(&self, hash: &[u8]) -> Result<Option<RefreshToken>, StoreError> {
        let row = sqlx::query(
            "SELECT t.family_id, t.expires_at, t.spent_at, t.successor_salt, \
                    f.user_id, f.scope, f.expires_at AS family_expires_at, f.revoked_at, \
                    f.client_id, f.amr, COALESCE(f.auth_time, f.created_at) AS auth_time \
             FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id \
             WHERE t.token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(failed("finding a refresh token"))?;
        let Some(row) = row else { return Ok(None) };
        let decode = || -> Result<RefreshToken, sqlx::Error> {
            Ok(RefreshToken {
                family_id: row.try_get("family_id")?,
                user_id: row.try_get("user_id")?,
                scope: row.try_get("scope")?,
                expires_at: row.try_get("expires_at")?,
                spent_at: row.try_get("spent_at")?,
                successor_salt: row.try_get("successor_salt")?,
                family_expires_at: row.try_get("family_expires_at")?,
                family_revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                client_id: row.try_get("client_id")?,
                amr: row.try_get("amr")?,
                auth_time: row.try_get("auth_time")?,
            })
        };
        decode()
            .map(Some)
            .map_err(failed("decoding a refresh token"))
    }

    async fn spend_refresh(
        &self,
        hash: &[u8],
        successor_salt: &[u8],
        successor: &NewRefreshToken,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        // IMMEDIATE takes the write lock first, so racing spends queue here
        // and each sees the one before it committed.
        let mut tx = self.begin("starting a rotation").await?;
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET spent_at = $2, successor_salt = $3 \
             WHERE token_hash = $1 AND spent_at IS NULL",
        )
        .bind(hash)
        .bind(now)
        .bind(successor_salt)
        .execute(&mut *tx)
        .await
        .map_err(failed("spending a refresh token"))?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        insert_token(&mut tx, successor).await?;
        commit_event(tx, event, "committing a rotation").await?;
        Ok(true)
    }

    async fn revoke_family(
        &self,
        family_id: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a revocation").await?;
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("revoking a refresh family"))?
        .rows_affected()
            > 0;
        if revoked {
            commit_event(tx, event, "committing a revocation").await?;
        }
        Ok(revoked)
    }

    async fn revoke_sessions(
        &self,
        user_id: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin("starting a revocation").await?;
        let revoked = revoke_user_families(&mut tx, user_id, now).await?;
        commit_event(tx, event, "committing a revocation").await?;
        Ok(revoked)
    }

    async fn session_user(&self, family_id: &str, now: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "{USER_COLUMNS} WHERE id = (SELECT user_id FROM refresh_families \
             WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2)"
        ))
        .bind(family_id)
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(failed("checking a session"))?;
        decode_one(row.as_ref(), user_from, "decoding a session's user")
    }

    async fn list_sessions(
        &self,
        user_id: &str,
        now: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Family>, StoreError> {
        let mut filter = Filter::default();
        filter.text("user_id =", user_id);
        filter.integer("expires_at >", now);
        if let Some(after) = after {
            filter.text("id >", after);
        }
        let sql = format!(
            "{FAMILY_COLUMNS}{} AND revoked_at IS NULL ORDER BY id LIMIT {limit}",
            filter.clause()
        );
        let rows = filter
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing sessions"))?;
        decode_all(&rows, family_from, "decoding sessions")
    }
}
