use async_trait::async_trait;
use shared::db::{is_unique_violation, Database, Migrations};
use sqlx::any::AnyRow;
use sqlx::migrate::Migrator;
use sqlx::Row as _;

use super::{
    AuthStore, Family, InsertUserError, NewRefreshToken, RefreshToken, StoreError, ThrottleKey,
    User,
};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The schema per dialect: the numbered files of `migrations/`.
pub const MIGRATIONS: Migrations<'static> = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// The auth tables in a SQL database (one statement text for SQLite and
/// PostgreSQL: sqlx binds `$N` on both).
#[derive(Debug, Clone)]
pub struct SqlAuthStore {
    db: Database,
}

impl SqlAuthStore {
    /// A store over an open, migrated database.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn failed(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError(anyhow::Error::new(e).context(context))
}

fn user_from(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        scopes: row.try_get("scopes")?,
    })
}

const USER_COLUMNS: &str = "SELECT id, username, password_hash, created_at, scopes FROM users";

#[async_trait]
impl AuthStore for SqlAuthStore {
    async fn insert_user(&self, user: &User, username_key: &str) -> Result<(), InsertUserError> {
        let result = sqlx::query(
            "INSERT INTO users \
             (id, username, username_key, password_hash, created_at, updated_at, scopes) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(username_key)
        .bind(&user.password_hash)
        .bind(&user.created_at)
        .bind(&user.scopes)
        .execute(&self.db.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(InsertUserError::UsernameTaken),
            Err(e) => Err(failed("inserting a user")(e).into()),
        }
    }

    async fn find_by_key(&self, username_key: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE username_key = $1"))
            .bind(username_key)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a user by name"))?;
        row.as_ref()
            .map(user_from)
            .transpose()
            .map_err(failed("decoding a user"))
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a user by id"))?;
        row.as_ref()
            .map(user_from)
            .transpose()
            .map_err(failed("decoding a user"))
    }

    async fn set_scopes(&self, user_id: &str, scopes: &str, now: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET scopes = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(scopes)
            .bind(now)
            .execute(&self.db.pool)
            .await
            .map(|_| ())
            .map_err(failed("setting a user's scopes"))
    }

    async fn upgrade_hash(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .execute(&self.db.pool)
            .await
            .map(|_| ())
            .map_err(failed("upgrading a password hash"))
    }

    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .db
            .begin_write()
            .await
            .map_err(failed("starting a password change"))?;
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(password_hash)
            .bind(shared::db::timestamp(now))
            .execute(&mut *tx)
            .await
            .map_err(failed("changing a password"))?;
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("revoking a user's sessions"))?;
        tx.commit()
            .await
            .map_err(failed("committing a password change"))
    }

    async fn create_family(
        &self,
        family: &Family,
        first: &NewRefreshToken,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .db
            .begin_write()
            .await
            .map_err(failed("starting a session"))?;
        sqlx::query(
            "INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&family.id)
        .bind(&family.user_id)
        .bind(&family.scope)
        .bind(family.created_at)
        .bind(family.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(failed("inserting a refresh family"))?;
        insert_token(&mut tx, first).await?;
        tx.commit().await.map_err(failed("committing a session"))
    }

    async fn find_refresh(&self, hash: &[u8]) -> Result<Option<RefreshToken>, StoreError> {
        let row = sqlx::query(
            "SELECT t.family_id, t.expires_at, t.spent_at, t.successor_salt, \
                    f.user_id, f.scope, f.expires_at AS family_expires_at, f.revoked_at \
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
    ) -> Result<bool, StoreError> {
        // IMMEDIATE takes the write lock first, so racing spends queue here
        // and each sees the one before it committed.
        let mut tx = self
            .db
            .begin_write()
            .await
            .map_err(failed("starting a rotation"))?;
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
        tx.commit().await.map_err(failed("committing a rotation"))?;
        Ok(true)
    }

    async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now)
        .execute(&self.db.pool)
        .await
        .map(|_| ())
        .map_err(failed("revoking a refresh family"))
    }

    async fn session_live(&self, family_id: &str, now: i64) -> Result<bool, StoreError> {
        sqlx::query(
            "SELECT 1 FROM refresh_families \
             WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(family_id)
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await
        .map(|row| row.is_some())
        .map_err(failed("checking a session"))
    }

    async fn throttled_until(
        &self,
        keys: &[ThrottleKey],
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut until = None;
        for key in keys {
            let row = sqlx::query(
                "SELECT window_ends_at FROM login_throttle \
                 WHERE key = $1 AND window_ends_at > $2 AND failures >= $3",
            )
            .bind(&key.key)
            .bind(now)
            .bind(key.max_failures)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("reading the login throttle"))?;
            if let Some(row) = row {
                let ends: i64 = row
                    .try_get(0)
                    .map_err(failed("decoding the login throttle"))?;
                until = until.max(Some(ends));
            }
        }
        Ok(until)
    }

    async fn record_failure(
        &self,
        keys: &[ThrottleKey],
        now: i64,
        window: i64,
    ) -> Result<(), StoreError> {
        for key in keys {
            sqlx::query(
                "INSERT INTO login_throttle (key, failures, window_ends_at) VALUES ($1, 1, $2 + $3) \
                 ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN login_throttle.window_ends_at <= $2 THEN 1 \
                                   ELSE login_throttle.failures + 1 END, \
                   window_ends_at = CASE WHEN login_throttle.window_ends_at <= $2 THEN $2 + $3 \
                                         ELSE login_throttle.window_ends_at END",
            )
            .bind(&key.key)
            .bind(now)
            .bind(window)
            .execute(&self.db.pool)
            .await
            .map_err(failed("counting a failed login"))?;
        }
        Ok(())
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.db.pool)
            .await
            .map(|_| ())
            .map_err(failed("clearing failed logins"))
    }

    async fn purge_expired(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM refresh_families WHERE expires_at < $1")
            .bind(now)
            .execute(&self.db.pool)
            .await
            .map_err(failed("purging ended refresh families"))?;
        sqlx::query("DELETE FROM login_throttle WHERE window_ends_at < $1")
            .bind(now)
            .execute(&self.db.pool)
            .await
            .map_err(failed("purging ended throttle windows"))?;
        Ok(())
    }
}

async fn insert_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    token: &NewRefreshToken,
) -> Result<(), StoreError> {
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
