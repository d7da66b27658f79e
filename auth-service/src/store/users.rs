//! The `users` table: names, password hashes, granted scopes, the
//! disabled flag. A change that could remove an administrator is judged
//! inside its transaction by the rule its caller gives
//! ([`AdminRule`]; the rule itself is `admin::keeps_an_admin`).

use async_trait::async_trait;
use shared::db::is_unique_violation;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{
    Filter, Tx, commit_event, commit_events, decode_all, decode_one, failed, revoke_user_families,
    set_last_login, spend_reset_links,
};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;
use crate::domain::EmailAddress;
use crate::domain::scope::{self, ADMIN_SCOPE};

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
    /// The address as given, if any.
    pub email: Option<String>,
    /// When its link was followed; `None`: unverified (or no address).
    pub email_verified_at: Option<i64>,
}

impl User {
    /// The scopes the user holds: their own, or `defaults` for a user
    /// registered before per-user scopes.
    pub fn granted<'a>(&'a self, defaults: &'a str) -> &'a str {
        self.scopes.as_deref().unwrap_or(defaults)
    }

    /// Whether the address on the account was verified.
    pub fn email_verified(&self) -> bool {
        self.email.is_some() && self.email_verified_at.is_some()
    }
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

/// Judges a change to a user inside its transaction: given the user as
/// read there, under a lock that serialises such changes, and the number
/// of enabled users holding `auth:admin` then, whether it may be made.
pub type AdminRule<'a> = &'a (dyn Fn(&User, usize) -> bool + Send + Sync);

/// The users.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
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
        rule: AdminRule<'_>,
    ) -> Result<Changed, StoreError>;

    /// Deletes a user, their sessions and their hash.
    async fn delete_user(
        &self,
        user_id: &str,
        event: &NewEvent,
        rule: AdminRule<'_>,
    ) -> Result<Changed, StoreError>;

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
}

pub(super) const USER_COLUMNS: &str = "SELECT id, username, username_key, password_hash, created_at, \
                            scopes, disabled_at, last_login_at, email, email_verified_at FROM users";

pub(super) fn user_from(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        username_key: row.try_get("username_key")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        scopes: row.try_get("scopes")?,
        disabled_at: row.try_get("disabled_at")?,
        last_login_at: row.try_get("last_login_at")?,
        email: row.try_get("email")?,
        email_verified_at: row.try_get("email_verified_at")?,
    })
}

/// Whether a user's stored scopes hold the admin scope (`None`, the
/// defaults, never does), as `admin_count` counts it.
pub(crate) fn holds_admin(scopes: Option<&str>) -> bool {
    scopes.is_some_and(|s| scope::includes(s, ADMIN_SCOPE))
}

/// The least string above every string that starts with `prefix` (byte
/// order), if there is one.
fn after_every_extension_of(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

impl SqlAuthStore {
    /// Serialises changes that could remove the last admin: SQLite's write
    /// transaction already does; PostgreSQL takes a transaction lock.
    async fn lock_admins(&self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.db.backend == shared::db::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7164)")
                .execute(&mut **tx)
                .await
                .map_err(failed("locking the admin count"))?;
        }
        Ok(())
    }

    /// Enabled users holding the admin scope, compared exactly: `LIKE`
    /// only narrows the rows (SQLite's ignores ASCII case, so it would count
    /// `AUTH:ADMIN`), the exact test is [`holds_admin`].
    async fn admin_count(tx: &mut Tx) -> Result<usize, StoreError> {
        let candidates: Vec<Option<String>> = sqlx::query_scalar(
            "SELECT scopes FROM users WHERE disabled_at IS NULL \
             AND (' ' || scopes || ' ') LIKE $1",
        )
        .bind(format!("% {ADMIN_SCOPE} %"))
        .fetch_all(&mut **tx)
        .await
        .map_err(failed("counting admins"))?;
        Ok(candidates
            .iter()
            .filter(|scopes| holds_admin(scopes.as_deref()))
            .count())
    }

    /// Locks and reads the user, and whether `rule` allows the change.
    async fn user_for_change(
        &self,
        tx: &mut Tx,
        user_id: &str,
        rule: AdminRule<'_>,
    ) -> Result<Result<User, Changed>, StoreError> {
        self.lock_admins(tx).await?;
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE id = $1"))
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(failed("finding a user to change"))?;
        let Some(user) = decode_one(row.as_ref(), user_from, "decoding a user")? else {
            return Ok(Err(Changed::NoSuchUser));
        };
        if !rule(&user, Self::admin_count(tx).await?) {
            return Ok(Err(Changed::LastAdmin));
        }
        Ok(Ok(user))
    }
}

#[async_trait]
impl UserStore for SqlAuthStore {
    async fn insert_user(&self, user: &User, event: &NewEvent) -> Result<(), InsertUserError> {
        let mut tx = self.begin("starting a registration").await?;
        let result = sqlx::query(
            "INSERT INTO users \
             (id, username, username_key, password_hash, created_at, updated_at, scopes, \
              email, email_key) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.username_key)
        .bind(&user.password_hash)
        .bind(&user.created_at)
        .bind(&user.scopes)
        .bind(&user.email)
        .bind(user.email.as_deref().map(EmailAddress::key_of))
        .execute(&mut *tx)
        .await;
        match result {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(InsertUserError::UsernameTaken),
            Err(e) => return Err(failed("inserting a user")(e).into()),
        }
        Ok(commit_event(tx, event, "committing a registration").await?)
    }

    async fn find_by_key(&self, username_key: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE username_key = $1"))
            .bind(username_key)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a user by name"))?;
        decode_one(row.as_ref(), user_from, "decoding a user")
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a user by id"))?;
        decode_one(row.as_ref(), user_from, "decoding a user")
    }

    async fn update_user(
        &self,
        user_id: &str,
        change: &UserChange,
        now: i64,
        events: &[NewEvent],
        rule: AdminRule<'_>,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.begin("starting a user change").await?;
        if let Err(refused) = self.user_for_change(&mut tx, user_id, rule).await? {
            return Ok(refused);
        }
        sqlx::query(
            "UPDATE users SET \
               disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, $3) \
                                  WHEN $4 THEN NULL ELSE disabled_at END, \
               scopes = COALESCE($5, scopes), updated_at = $6 \
             WHERE id = $1",
        )
        .bind(user_id)
        .bind(change.disabled == Some(true))
        .bind(now)
        .bind(change.disabled == Some(false))
        .bind(&change.scopes)
        .bind(shared::db::timestamp(now))
        .execute(&mut *tx)
        .await
        .map_err(failed("changing a user"))?;
        if change.disabled == Some(true) {
            revoke_user_families(&mut tx, user_id, now).await?;
        }
        commit_events(tx, events, "committing a user change").await?;
        Ok(Changed::Yes)
    }

    async fn delete_user(
        &self,
        user_id: &str,
        event: &NewEvent,
        rule: AdminRule<'_>,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.begin("starting a user deletion").await?;
        if let Err(refused) = self.user_for_change(&mut tx, user_id, rule).await? {
            return Ok(refused);
        }
        // Sessions and their tokens go by ON DELETE CASCADE; say so for SQLite
        // connections that were opened without foreign keys.
        sqlx::query("DELETE FROM refresh_families WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("deleting a user's sessions"))?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("deleting a user"))?;
        commit_event(tx, event, "committing a user deletion").await?;
        Ok(Changed::Yes)
    }

    async fn list_users(
        &self,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        // Byte order on both databases (PostgreSQL's collation may order
        // otherwise): the same pages everywhere, and a prefix is a range the
        // index seeks (PostgreSQL has an index in this order, migration 4).
        let key = match self.db.backend {
            shared::db::Backend::Sqlite => "username_key",
            shared::db::Backend::Postgres => "username_key COLLATE \"C\"",
        };
        let mut filter = Filter::default();
        if let Some(after) = after {
            filter.text(&format!("{key} >"), after);
        }
        if let Some(prefix) = prefix {
            filter.text(&format!("{key} >="), prefix);
            if let Some(upper) = after_every_extension_of(prefix) {
                filter.text(&format!("{key} <"), &upper);
            }
        }
        let sql = format!(
            "{USER_COLUMNS}{} ORDER BY {key} LIMIT {limit}",
            filter.clause()
        );
        let rows = filter
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing users"))?;
        decode_all(&rows, user_from, "decoding users")
    }

    async fn record_login(&self, user_id: &str, event: &NewEvent) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a login").await?;
        set_last_login(&mut tx, user_id, event.at).await?;
        commit_event(tx, event, "committing a login").await
    }

    async fn upgrade_hash(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        let upgrade = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash);
        self.write_one(upgrade, "upgrading a password hash")
            .await
            .map(drop)
    }

    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a password change").await?;
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .bind(shared::db::timestamp(now))
            .execute(&mut *tx)
            .await
            .map_err(failed("changing a password"))?;
        spend_reset_links(&mut tx, user_id).await?;
        revoke_user_families(&mut tx, user_id, now).await?;
        commit_event(tx, event, "committing a password change").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_of_a_prefix_holds_every_extension_and_nothing_else() {
        assert_eq!(after_every_extension_of("bo").as_deref(), Some("bp"));
        assert_eq!(
            after_every_extension_of("a\u{10FFFF}").as_deref(),
            Some("b")
        );
        assert_eq!(after_every_extension_of("\u{10FFFF}"), None);
        let upper = after_every_extension_of("bo").unwrap_or_default();
        for name in ["bo", "bob", "bo\u{10FFFF}"] {
            assert!(name >= "bo" && name < upper.as_str(), "{name}");
        }
        assert!("bp" >= upper.as_str());
    }
}
