//! The items table on SQLite or PostgreSQL: one statement text for both
//! (sqlx binds `$N` on each), the schema once per dialect.

use std::sync::Arc;

use async_trait::async_trait;
use shared::db::{Database, FromRow, KeyedReads, Migrations, Param, ReadError, Row};
use sqlx::migrate::Migrator;

use super::cache::{ItemCache, Writing};
use super::{Item, ItemStore, Put, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The schema per dialect: the numbered files of `migrations/`.
pub const MIGRATIONS: Migrations<'static> = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// The item columns, as a literal for `concat!`; [`Item`]'s [`FromRow`]
/// reads them in this order.
macro_rules! columns {
    () => {
        "name, price, created_by, created_at, updated_at"
    };
}

const GET: &str = concat!("SELECT ", columns!(), " FROM items WHERE name = $1");
const GET_MANY: &str = concat!("SELECT ", columns!(), " FROM items WHERE name = ANY($1)");
// Keyset pagination on the primary key: no offset scan, however deep.
const LIST_AFTER: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM items WHERE name > $1 ORDER BY name LIMIT $2"
);
const LIST_FIRST: &str = concat!("SELECT ", columns!(), " FROM items ORDER BY name LIMIT $1");

/// Items in a SQL database.
#[derive(Debug, Clone)]
pub struct SqlItemStore {
    db: Database,
    /// Single reads remembered, where only this process writes.
    cache: Option<ItemCache>,
    /// Single reads gathered into one statement per thread, on PostgreSQL.
    gathered: Option<Arc<KeyedReads<Item>>>,
}

impl SqlItemStore {
    /// A store over an open, migrated database.
    pub fn new(db: Database) -> Self {
        let cache = db.writes_only_here().then(ItemCache::new);
        let gathered = KeyedReads::new(&db, GET_MANY, |item: &Item| &item.name);
        Self {
            db,
            cache,
            gathered,
        }
    }

    /// Marks a write under way for the cache, until dropped.
    fn writing(&self) -> Option<Writing> {
        self.cache.as_ref().map(ItemCache::writing)
    }

    /// A single item from the database (gathered on PostgreSQL), kept by
    /// the cache if nothing was written meanwhile.
    async fn read(&self, name: &str) -> Result<Option<Arc<Item>>, StoreError> {
        if let Some(gathered) = &self.gathered {
            return gathered.get(name).await.map_err(failed("reading an item"));
        }
        let start = self.cache.as_ref().map(ItemCache::start_read);
        let item = self
            .db
            .fetch_optional(GET, &[name.into()])
            .await
            .map_err(failed("reading an item"))?
            .map(Arc::new);
        if let (Some(cache), Some(start)) = (&self.cache, start) {
            cache.keep(start, name, &item);
        }
        Ok(item)
    }
}

/// The columns of `columns!`, in order.
impl FromRow for Item {
    fn from_row(row: &impl Row) -> Result<Self, ReadError> {
        Ok(Item {
            name: row.get(0)?,
            price: row.get(1)?,
            created_by: row.get(2)?,
            created_at: row.get(3)?,
            updated_at: row.get(4)?,
            written: Default::default(),
        })
    }
}

fn failed<E>(context: &'static str) -> impl FnOnce(E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| StoreError(anyhow::Error::new(e).context(context))
}

#[async_trait]
impl ItemStore for SqlItemStore {
    async fn get(&self, name: &str) -> Result<Option<Arc<Item>>, StoreError> {
        if let Some(kept) = self.cache.as_ref().and_then(|cache| cache.get(name)) {
            return Ok(kept);
        }
        // Boxed apart: inline, the database read's state made this future a
        // few kilobytes, moved into its box on every call, cache hits too.
        Box::pin(self.read(name)).await
    }

    async fn create(&self, item: &Item) -> Result<bool, StoreError> {
        let _writing = self.writing();
        let result = sqlx::query(
            "INSERT INTO items (name, price, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&item.name)
        .bind(item.price)
        .bind(&item.created_by)
        .bind(&item.created_at)
        .execute(&self.db.pool)
        .await
        .map_err(failed("creating an item"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn put(&self, item: &Item) -> Result<(Item, Put), StoreError> {
        let _writing = self.writing();
        // Insert-or-nothing, then update: each statement is atomic, and a
        // delete racing in between only sends us round again.
        loop {
            if self.create(item).await? {
                return Ok((item.clone(), Put::Created));
            }
            let row = sqlx::query(concat!(
                "UPDATE items SET price = $2, updated_at = $3 WHERE name = $1 RETURNING ",
                columns!()
            ))
            .bind(&item.name)
            .bind(item.price)
            .bind(&item.updated_at)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("replacing an item"))?;
            if let Some(row) = row {
                let replaced = Item::from_row(&row).map_err(failed("decoding an item"))?;
                return Ok((replaced, Put::Replaced));
            }
        }
    }

    async fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let _writing = self.writing();
        let result = sqlx::query("DELETE FROM items WHERE name = $1")
            .bind(name)
            .execute(&self.db.pool)
            .await
            .map_err(failed("deleting an item"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn list(&self, after: Option<&str>, limit: u32) -> Result<Vec<Item>, StoreError> {
        let (sql, params): (_, &[Param<'_>]) = match after {
            Some(after) => (LIST_AFTER, &[after.into(), limit.into()]),
            None => (LIST_FIRST, &[limit.into()]),
        };
        self.db
            .fetch_all(sql, params)
            .await
            .map_err(failed("listing items"))
    }
}

#[cfg(test)]
mod tests {
    use shared::db::Migrations;
    use shared::settings::DatabaseSettings;
    use shared::testing::TestDatabase;

    use super::*;

    fn settings(url: &str) -> DatabaseSettings {
        DatabaseSettings {
            url: url.to_owned().into(),
            max_connections: 2,
            connect_timeout_seconds: 5,
            statement_timeout_seconds: 5,
        }
    }

    #[tokio::test]
    async fn items_written_under_the_first_schema_are_kept_by_the_upgrade() {
        let database = TestDatabase::new().await;
        let first = |all: &Migrator| Migrator {
            migrations: all.migrations[..1].to_vec().into(),
            ..Migrator::DEFAULT
        };
        let (sqlite, postgres) = (first(MIGRATIONS.sqlite), first(MIGRATIONS.postgres));
        let first_only = Migrations {
            sqlite: &sqlite,
            postgres: &postgres,
        };
        // The first pool shares the file (`vfs=unix`): sqlx closes each SQLite
        // connection on a thread of its own, so an exclusive lock can outlive
        // `close` by a moment and refuse the upgrade's start for that reason.
        let shared_url = match database.is_postgres() {
            true => database.url().to_owned(),
            false => format!("{}?vfs=unix", database.url()),
        };
        let old = shared::db::open(&settings(&shared_url), first_only)
            .await
            .expect("opens at version 1");
        let item = Item::new("kept", 1.5, "alice", &shared::clock::Clock::system());
        assert!(
            SqlItemStore::new(old.clone())
                .create(&item)
                .await
                .expect("creates")
        );
        old.close().await;

        let upgraded = shared::db::open(&settings(database.url()), MIGRATIONS)
            .await
            .expect("upgrades");
        let store = SqlItemStore::new(upgraded.clone());
        assert_eq!(
            store.get("kept").await.expect("reads"),
            Some(Arc::new(item.clone()))
        );
        assert_eq!(store.list(None, 10).await.expect("lists"), vec![item]);
        if upgraded.backend == shared::db::Backend::Sqlite {
            let schema: String =
                sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'items'")
                    .fetch_one(&upgraded.pool)
                    .await
                    .expect("schema");
            assert!(schema.ends_with("WITHOUT ROWID"), "{schema}");
        }
    }
}
