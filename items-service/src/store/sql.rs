//! The items table on SQLite or PostgreSQL: one statement text for both
//! (sqlx binds `$N` on each), the schema once per dialect.

use async_trait::async_trait;
use rusqlite::OptionalExtension as _;
use shared::db::{Database, Migrations};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use sqlx::migrate::Migrator;

use super::{Item, ItemStore, Put, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The schema per dialect: the numbered files of `migrations/`.
pub const MIGRATIONS: Migrations<'static> = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};

/// The item columns, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "name, price, created_by, created_at, updated_at"
    };
}

const GET: &str = concat!("SELECT ", columns!(), " FROM items WHERE name = $1");
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
}

impl SqlItemStore {
    /// A store over an open, migrated database.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Reads on this thread when the database is a SQLite file (see
    /// [`shared::db::SqliteReads`]); `None` sends the caller to the pool.
    fn read_here<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        let reads = self.db.sqlite_reads.as_ref()?;
        reads
            .read(read)
            .inspect_err(
                |e| tracing::debug!(error = %e, "read on this thread failed; using the pool"),
            )
            .ok()
    }
}

fn item_from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        name: row.get(0)?,
        price: row.get(1)?,
        created_by: row.get(2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

fn item_from(row: &AnyRow) -> Result<Item, sqlx::Error> {
    Ok(Item {
        name: row.try_get("name")?,
        price: row.try_get("price")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn item_from_postgres(row: &tokio_postgres::Row) -> Result<Item, tokio_postgres::Error> {
    Ok(Item {
        name: row.try_get(0)?,
        price: row.try_get(1)?,
        created_by: row.try_get(2)?,
        created_at: row.try_get(3)?,
        updated_at: row.try_get(4)?,
    })
}

fn failed<E>(context: &'static str) -> impl FnOnce(E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| StoreError(anyhow::Error::new(e).context(context))
}

#[async_trait]
impl ItemStore for SqlItemStore {
    async fn get(&self, name: &str) -> Result<Option<Item>, StoreError> {
        let here = self.read_here(|c| {
            c.prepare_cached(GET)?
                .query_row([name], item_from_sqlite)
                .optional()
        });
        if let Some(item) = here {
            return Ok(item);
        }
        if let Some(reads) = &self.db.postgres_reads {
            let row = reads
                .query_opt(GET, &[&name])
                .await
                .map_err(failed("reading an item"))?;
            return row
                .as_ref()
                .map(item_from_postgres)
                .transpose()
                .map_err(failed("decoding an item"));
        }
        let row = sqlx::query(GET)
            .bind(name)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("reading an item"))?;
        row.as_ref()
            .map(item_from)
            .transpose()
            .map_err(failed("decoding an item"))
    }

    async fn create(&self, item: &Item) -> Result<bool, StoreError> {
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
                let replaced = item_from(&row).map_err(failed("decoding an item"))?;
                return Ok((replaced, Put::Replaced));
            }
        }
    }

    async fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM items WHERE name = $1")
            .bind(name)
            .execute(&self.db.pool)
            .await
            .map_err(failed("deleting an item"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn list(&self, after: Option<&str>, limit: u32) -> Result<Vec<Item>, StoreError> {
        let here = self.read_here(|c| match after {
            Some(after) => c
                .prepare_cached(LIST_AFTER)?
                .query_map(rusqlite::params![after, limit], item_from_sqlite)?
                .collect(),
            None => c
                .prepare_cached(LIST_FIRST)?
                .query_map([limit], item_from_sqlite)?
                .collect(),
        });
        if let Some(items) = here {
            return Ok(items);
        }
        if let Some(reads) = &self.db.postgres_reads {
            let limit = i64::from(limit);
            let rows = match after {
                Some(after) => reads.query(LIST_AFTER, &[&after, &limit]).await,
                None => reads.query(LIST_FIRST, &[&limit]).await,
            }
            .map_err(failed("listing items"))?;
            return rows
                .iter()
                .map(item_from_postgres)
                .collect::<Result<_, _>>()
                .map_err(failed("decoding an item"));
        }
        let query = match after {
            Some(after) => sqlx::query(LIST_AFTER).bind(after),
            None => sqlx::query(LIST_FIRST),
        };
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing items"))?;
        rows.iter()
            .map(item_from)
            .collect::<Result<_, _>>()
            .map_err(failed("decoding an item"))
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
        assert_eq!(store.get("kept").await.expect("reads"), Some(item.clone()));
        assert_eq!(store.list(None, 10).await.expect("lists"), vec![item]);
        if upgraded.sqlite_reads.is_some() {
            let schema: String =
                sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'items'")
                    .fetch_one(&upgraded.pool)
                    .await
                    .expect("schema");
            assert!(schema.ends_with("WITHOUT ROWID"), "{schema}");
        }
    }
}
