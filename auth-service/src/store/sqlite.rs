use anyhow::Context as _;
use async_trait::async_trait;
use shared::db::{is_unique_violation, EmbeddedMigrations};
use sqlx::{Row as _, SqlitePool};

use super::{InsertUserError, StoreError, User, UserStore};

/// The SQLite schema, oldest first.
pub const MIGRATIONS: EmbeddedMigrations = EmbeddedMigrations(&[(
    1,
    "users",
    include_str!("../../migrations/sqlite/0001_users.sql"),
)]);

/// Users in a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteUserStore {
    pool: SqlitePool,
}

impl SqliteUserStore {
    /// A store over an open, migrated pool.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

fn user_from(row: &sqlx::sqlite::SqliteRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

#[async_trait]
impl UserStore for SqliteUserStore {
    async fn insert(&self, user: &User, username_key: &str) -> Result<(), InsertUserError> {
        let result = sqlx::query(
            "INSERT INTO users (id, username, username_key, password_hash, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(username_key)
        .bind(&user.password_hash)
        .bind(&user.created_at)
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(InsertUserError::UsernameTaken),
            Err(e) => Err(StoreError(anyhow::Error::new(e).context("inserting a user")).into()),
        }
    }

    async fn find_by_key(&self, username_key: &str) -> Result<Option<User>, StoreError> {
        sqlx::query(
            "SELECT id, username, password_hash, created_at FROM users WHERE username_key = ?1",
        )
        .bind(username_key)
        .fetch_optional(&self.pool)
        .await
        .and_then(|row| row.as_ref().map(user_from).transpose())
        .context("finding a user by name")
        .map_err(StoreError)
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        sqlx::query("SELECT id, username, password_hash, created_at FROM users WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .and_then(|row| row.as_ref().map(user_from).transpose())
            .context("finding a user by id")
            .map_err(StoreError)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .context("pinging the database")
            .map_err(StoreError)
    }
}
