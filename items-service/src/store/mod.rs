//! All SQL lives here, behind [`ItemStore`]. One implementation,
//! [`SqlItemStore`], serves SQLite and PostgreSQL: each statement is written
//! once with `$N` placeholders, which both drivers bind (reads on SQLite go
//! through `shared::db::SqliteReads`). The store knows nothing of HTTP;
//! `routes` maps [`StoreError`] to 503.

mod cache;
mod sql;

use std::sync::Arc;

use async_trait::async_trait;
use shared::clock::Clock;

pub use sql::{MIGRATIONS, SqlItemStore};

/// A stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Unique, compared exactly.
    pub name: String,
    /// Finite, zero or more.
    pub price: f64,
    /// The username of whoever created it.
    pub created_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

impl Item {
    /// A new item, created and updated now by `username`.
    pub fn new(name: &str, price: f64, username: &str, clock: &Clock) -> Self {
        let now = shared::db::timestamp(clock.now_ms());
        Self {
            name: name.to_owned(),
            price,
            created_by: username.to_owned(),
            created_at: now.clone(),
            updated_at: now,
        }
    }
}

/// The database failed or could not be reached; the cause is for the log.
#[derive(Debug, thiserror::Error)]
#[error("the item store failed")]
pub struct StoreError(#[source] pub anyhow::Error);

/// What [`ItemStore::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// There was no such item.
    Created,
    /// The price of an existing item was replaced.
    Replaced,
}

/// The items table, whatever the database.
#[async_trait]
pub trait ItemStore: Send + Sync + 'static {
    /// The item with this name (shared: a kept item is not copied per read).
    async fn get(&self, name: &str) -> Result<Option<Arc<Item>>, StoreError>;
    /// Inserts `item` unless the name exists; true when inserted. The
    /// primary key decides races: of many concurrent calls one inserts.
    async fn create(&self, item: &Item) -> Result<bool, StoreError>;
    /// Creates `item` or replaces the price (and `updated_at`) of the existing one.
    async fn put(&self, item: &Item) -> Result<(Item, Put), StoreError>;
    /// Deletes; true when there was an item.
    async fn delete(&self, name: &str) -> Result<bool, StoreError>;
    /// Up to `limit` items with names after `after`, by name.
    async fn list(&self, after: Option<&str>, limit: u32) -> Result<Vec<Item>, StoreError>;
}
