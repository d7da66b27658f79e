//! All SQL lives here, behind [`AuthStore`]. One implementation,
//! [`SqlAuthStore`], serves SQLite and PostgreSQL: each statement is written
//! once with `$N` placeholders, which both drivers bind. Times passed in and
//! out as `i64` are milliseconds since the Unix epoch. The store knows
//! nothing of HTTP; `routes` maps [`StoreError`] to 503.

mod sql;

use async_trait::async_trait;

use crate::audit::NewEvent;

pub use sql::{SqlAuthStore, MIGRATIONS};

/// A stored user.
#[derive(Debug, Clone)]
pub struct User {
    /// UUID, as text.
    pub id: String,
    /// The name as registered.
    pub username: String,
    /// The key that is unique among names (`Username::key`).
    pub username_key: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Granted scopes, space-separated; `None`: the configured defaults.
    pub scopes: Option<String>,
    /// When the user was disabled; `None`: enabled.
    pub disabled_at: Option<i64>,
    /// The last successful login.
    pub last_login_at: Option<i64>,
}

impl User {
    /// The scopes the user holds: their own, or `defaults` for a user
    /// registered before per-user scopes.
    pub fn granted<'a>(&'a self, defaults: &'a str) -> &'a str {
        self.scopes.as_deref().unwrap_or(defaults)
    }
}

/// A service client (RFC 6749 4.4).
#[derive(Debug, Clone)]
pub struct Client {
    /// Its public id.
    pub client_id: String,
    /// What the administrator called it.
    pub name: String,
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
    /// The scopes its tokens may carry, space-separated.
    pub scopes: String,
    /// When it was registered.
    pub created_at: i64,
}

/// A stored audit event, as the admin API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// Increasing.
    pub id: i64,
    /// When (RFC 3339, UTC).
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: i64,
    /// What happened.
    pub event: String,
    /// The user it concerns.
    pub user_id: Option<String>,
    /// The user who did it, when not the user it concerns.
    pub actor_id: Option<String>,
    /// The client it concerns or that did it.
    pub client_id: Option<String>,
    /// Where the request came from.
    pub client_address: Option<String>,
    /// More, as JSON.
    pub detail: Option<serde_json::Value>,
}

fn rfc3339<S: serde::Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&shared::db::timestamp(*ms))
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this user's.
    pub user_id: Option<String>,
    /// Only this event.
    pub event: Option<String>,
    /// Only events older than this id (the keyset cursor).
    pub before: Option<i64>,
}

/// What an administrator changes on a user.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// Disable (and end every session) or enable.
    pub disabled: Option<bool>,
    /// Replace the granted scopes.
    pub scopes: Option<String>,
}

/// Whether a change to a user was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// Made.
    Yes,
    /// No user has this id.
    NoSuchUser,
    /// It would leave no enabled holder of `auth:admin`; nothing was made.
    LastAdmin,
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
    /// Adds a user; the unique key on the name's key decides races.
    async fn insert_user(&self, user: &User, event: &NewEvent) -> Result<(), InsertUserError>;
    /// The user with this name key.
    async fn find_by_key(&self, username_key: &str) -> Result<Option<User>, StoreError>;
    /// The user with this id.
    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// Disables, enables or sets the scopes of a user, with its events; a
    /// disable revokes every session in the same transaction.
    async fn update_user(
        &self,
        user_id: &str,
        change: &UserChange,
        now: i64,
        events: &[NewEvent],
    ) -> Result<Changed, StoreError>;
    /// Deletes a user, their sessions and their hash.
    async fn delete_user(&self, user_id: &str, event: &NewEvent) -> Result<Changed, StoreError>;
    /// Users by lower-cased name, after `after`, starting with `prefix`.
    async fn list_users(
        &self,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError>;
    /// Records a login that starts no session (the Flask-JWT login).
    async fn record_login(&self, user_id: &str, event: &NewEvent) -> Result<(), StoreError>;
    /// Replaces a password hash with a stronger one for the same password.
    async fn upgrade_hash(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError>;
    /// Sets a new password and revokes every refresh family of the user, at once.
    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

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

    /// Adds a client.
    async fn insert_client(&self, client: &Client, event: &NewEvent) -> Result<(), StoreError>;
    /// The client with this id.
    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
    /// Clients by id, after `after`.
    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Client>, StoreError>;
    /// Deletes a client; whether there was one.
    async fn delete_client(&self, client_id: &str, event: &NewEvent) -> Result<bool, StoreError>;

    /// Writes an event that records no change of ours (a throttled login).
    async fn record(&self, event: &NewEvent) -> Result<(), StoreError>;
    /// Audit events, newest first.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError>;

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
        event: &NewEvent,
    ) -> Result<(), StoreError>;
    /// Forgets a key's failures (a successful login).
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;

    /// Deletes ended families (and their tokens), ended throttle windows,
    /// and audit events from before `audit_before`.
    async fn purge_expired(&self, now: i64, audit_before: i64) -> Result<Purged, StoreError>;
}

/// What one purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub audit_events: u64,
    /// Refresh families, each with its tokens.
    pub sessions: u64,
    pub throttle_windows: u64,
}
