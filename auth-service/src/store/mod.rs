//! All SQL lives here, behind [`AuthStore`]. One implementation,
//! [`SqlAuthStore`], serves SQLite and PostgreSQL: each statement is written
//! once with `$N` placeholders, which both drivers bind. Times passed in and
//! out as `i64` are milliseconds since the Unix epoch. The store knows
//! nothing of HTTP; `routes` maps [`StoreError`] to 503.

mod sql;

use async_trait::async_trait;

pub use sql::{SqlAuthStore, MIGRATIONS};

/// A stored user.
#[derive(Debug, Clone)]
pub struct User {
    /// UUID, as text.
    pub id: String,
    /// The name as registered.
    pub username: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Granted scopes, space-separated; `None`: the configured defaults.
    pub scopes: Option<String>,
}

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
}

/// A throttle key and the failures it may have in a window.
#[derive(Debug, Clone)]
pub struct ThrottleKey {
    /// `account:<name key>` or `client:<address>`.
    pub key: String,
    /// Failures allowed in one window.
    pub max_failures: i64,
}

/// The database failed or could not be reached; the cause is for the log.
#[derive(Debug, thiserror::Error)]
#[error("the auth store failed")]
pub struct StoreError(#[source] pub anyhow::Error);

/// Why a user could not be added.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    /// The case-insensitive name is taken.
    #[error("the username is taken")]
    UsernameTaken,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The service's tables, whatever the database.
#[async_trait]
pub trait AuthStore: Send + Sync + 'static {
    /// Adds a user; the unique key on the lower-cased name decides races.
    async fn insert_user(&self, user: &User, username_key: &str) -> Result<(), InsertUserError>;
    /// The user with this lower-cased name.
    async fn find_by_key(&self, username_key: &str) -> Result<Option<User>, StoreError>;
    /// The user with this id.
    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// Replaces the user's granted scopes.
    async fn set_scopes(&self, user_id: &str, scopes: &str, now: &str) -> Result<(), StoreError>;
    /// Replaces a password hash with a stronger one for the same password.
    async fn upgrade_hash(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError>;
    /// Sets a new password and revokes every refresh family of the user, at once.
    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Starts a family with its first token.
    async fn create_family(
        &self,
        family: &Family,
        first: &NewRefreshToken,
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
    ) -> Result<bool, StoreError>;
    /// Revokes a family (logout, reuse detected).
    async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), StoreError>;
    /// Whether the family exists, is not revoked and has not reached its
    /// absolute lifetime at `now`.
    async fn session_live(&self, family_id: &str, now: i64) -> Result<bool, StoreError>;

    /// The latest window end among keys that used up their failures, if any.
    async fn throttled_until(
        &self,
        keys: &[ThrottleKey],
        now: i64,
    ) -> Result<Option<i64>, StoreError>;
    /// Counts a failure against each key (a new window starts when the last ended).
    async fn record_failure(
        &self,
        keys: &[ThrottleKey],
        now: i64,
        window: i64,
    ) -> Result<(), StoreError>;
    /// Forgets a key's failures (a successful login).
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;

    /// Deletes ended families (and their tokens) and ended throttle windows.
    async fn purge_expired(&self, now: i64) -> Result<(), StoreError>;
}
