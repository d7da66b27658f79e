//! All SQL lives here, behind [`UserStore`]; one implementation per database.

mod sqlite;

use async_trait::async_trait;

pub use sqlite::{SqliteUserStore, MIGRATIONS as SQLITE_MIGRATIONS};

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
}

/// The database failed or could not be reached; the cause is for the log.
#[derive(Debug, thiserror::Error)]
#[error("the user store failed")]
pub struct StoreError(#[source] pub anyhow::Error);

impl From<StoreError> for shared::problem::ApiError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error.0)
    }
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

/// The users table, whatever the database.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Adds a user; the unique key on the lower-cased name decides races.
    async fn insert(&self, user: &User, username_key: &str) -> Result<(), InsertUserError>;
    /// The user with this lower-cased name.
    async fn find_by_key(&self, username_key: &str) -> Result<Option<User>, StoreError>;
    /// The user with this id.
    async fn find_by_id(&self, id: &str) -> Result<Option<User>, StoreError>;
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;
}
