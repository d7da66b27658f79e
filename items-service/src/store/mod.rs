//! All SQL lives here, behind [`ItemStore`]. One implementation,
//! [`SqlItemStore`], serves SQLite and PostgreSQL: each statement is written
//! once with `$N` placeholders, which both drivers bind (reads on SQLite go
//! through `shared::db::SqliteReads`). The store knows nothing of HTTP;
//! `routes` maps [`StoreError`] to 503.

mod cache;
mod sql;

use std::fmt;
use std::sync::{Arc, OnceLock};

use actix_web::web::Bytes;
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
    /// What it was written out as, per [`Shape`] ([`Item::written_as`]).
    written: Written,
}

/// The shapes an item is written out in: one per route family.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// `/item/{name}`.
    Flask,
    /// `/v1/items/{name}`.
    V1,
}

/// An item's bytes per [`Shape`], each written at most once. The per-thread
/// cache shares one `Arc<Item>` among the reads it serves, so those reads
/// are answered without serializing the item again. Not part of the item's
/// value: not compared, and not cloned (a copy may be changed).
#[derive(Default)]
struct Written {
    flask: OnceLock<Bytes>,
    v1: OnceLock<Bytes>,
}

impl Clone for Written {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Written {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Written")
    }
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
            written: Written::default(),
        }
    }

    /// This item written out in `shape` by `write` the first time it is
    /// asked for, and the same bytes every time after. Items are not
    /// changed once made, so the bytes stay true to it.
    pub fn written_as<E>(
        &self,
        shape: Shape,
        write: impl FnOnce(&Item) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        let slot = match shape {
            Shape::Flask => &self.written.flask,
            Shape::V1 => &self.written.v1,
        };
        if let Some(bytes) = slot.get() {
            return Ok(bytes.clone());
        }
        let bytes = write(self)?;
        Ok(slot.get_or_init(|| bytes).clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item::new("a", 1.5, "u", &Clock::system())
    }

    #[test]
    fn each_shape_is_written_once_and_apart() {
        let item = item();
        let mut writes = 0;
        let mut write = |shape: Shape| {
            item.written_as(shape, |item| {
                writes += 1;
                Ok::<_, ()>(Bytes::from(format!("{shape:?} {}", item.price)))
            })
        };
        assert_eq!(write(Shape::Flask), Ok(Bytes::from("Flask 1.5")));
        assert_eq!(write(Shape::V1), Ok(Bytes::from("V1 1.5")));
        assert_eq!(write(Shape::Flask), Ok(Bytes::from("Flask 1.5")));
        assert_eq!(write(Shape::V1), Ok(Bytes::from("V1 1.5")));
        assert_eq!(writes, 2);
    }

    #[test]
    fn a_failed_write_is_not_kept_and_a_copy_is_written_anew() {
        let item = item();
        assert_eq!(item.written_as(Shape::V1, |_| Err("no")), Err("no"));
        let first = item.written_as(Shape::V1, |_| Ok::<_, ()>(Bytes::from("1.5")));
        assert_eq!(first, Ok(Bytes::from("1.5")));
        // A copy may be changed, so it does not inherit the bytes.
        let mut copy = item.clone();
        copy.price = 2.5;
        let again = copy.written_as(Shape::V1, |item| {
            Ok::<_, ()>(Bytes::from(item.price.to_string()))
        });
        assert_eq!(again, Ok(Bytes::from("2.5")));
        // What was written is not part of the value.
        assert_eq!(item, item.clone());
    }
}
