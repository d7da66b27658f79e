//! What every table's SQL shares: the store itself, its transactions, the
//! audit events written with a change, decoding, and list filters.

use async_trait::async_trait;
use shared::db::{Database, Migrations};
use sqlx::any::AnyRow;
use sqlx::migrate::Migrator;

use super::{AuthStore, Purged, StoreError};
use crate::audit::NewEvent;

pub(super) type Tx = shared::db::WriteTransaction;

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
    pub(super) db: Database,
}

impl SqlAuthStore {
    /// A store over an open, migrated database.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

pub(super) fn failed(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError(anyhow::Error::new(e).context(context))
}

pub(super) fn decode_one<T>(
    row: Option<&AnyRow>,
    decode: fn(&AnyRow) -> Result<T, sqlx::Error>,
    context: &'static str,
) -> Result<Option<T>, StoreError> {
    row.map(decode).transpose().map_err(failed(context))
}

pub(super) fn decode_all<T>(
    rows: &[AnyRow],
    decode: fn(&AnyRow) -> Result<T, sqlx::Error>,
    context: &'static str,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .map(decode)
        .collect::<Result<_, _>>()
        .map_err(failed(context))
}

/// Writes `events` in the transaction of their change, commits, then logs
/// them (a log line never precedes or outlives its change).
pub(super) async fn commit_events(
    mut tx: Tx,
    events: &[NewEvent],
    context: &'static str,
) -> Result<(), StoreError> {
    for event in events {
        sqlx::query(
            "INSERT INTO audit_events \
             (at, event, user_id, actor_id, client_id, client_address, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(event.at)
        .bind(event.event)
        .bind(&event.user_id)
        .bind(&event.actor_id)
        .bind(&event.client_id)
        .bind(&event.client_address)
        .bind(event.detail.as_ref().map(ToString::to_string))
        .execute(&mut *tx)
        .await
        .map_err(failed("writing an audit event"))?;
    }
    tx.commit().await.map_err(failed(context))?;
    for event in events {
        crate::audit::log(event);
    }
    Ok(())
}

/// [`commit_events`] with one event.
pub(super) async fn commit_event(
    tx: Tx,
    event: &NewEvent,
    context: &'static str,
) -> Result<(), StoreError> {
    commit_events(tx, std::slice::from_ref(event), context).await
}

/// The conditions of a list query, each with its value: built per request,
/// so every query the database plans has only the conditions it uses (an
/// `$1 IS NULL OR ...` would keep an index from being sought).
#[derive(Default)]
pub(super) struct Filter {
    conditions: Vec<String>,
    values: Vec<Value>,
}

enum Value {
    Text(String),
    Integer(i64),
}

impl Filter {
    fn push(&mut self, condition: &str, value: Value) {
        self.values.push(value);
        self.conditions
            .push(format!("{condition} ${}", self.values.len()));
    }

    /// `column op $N` with a text value.
    pub(super) fn text(&mut self, condition: &str, value: &str) {
        self.push(condition, Value::Text(value.to_owned()));
    }

    /// `column op $N` with an integer value.
    pub(super) fn integer(&mut self, condition: &str, value: i64) {
        self.push(condition, Value::Integer(value));
    }

    /// ` WHERE a AND b`, or nothing.
    pub(super) fn clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// `sql` with the values bound in order.
    pub(super) fn bound<'q>(
        &'q self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        self.values
            .iter()
            .fold(sqlx::query(sql), |query, value| match value {
                Value::Text(text) => query.bind(text.as_str()),
                Value::Integer(number) => query.bind(*number),
            })
    }
}

impl SqlAuthStore {
    pub(super) async fn begin(&self, context: &'static str) -> Result<Tx, StoreError> {
        self.db.begin_write().await.map_err(failed(context))
    }

    /// One statement as a write transaction of its own, in turn with the
    /// others; the rows it changed.
    pub(super) async fn write_one<'q>(
        &self,
        statement: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        context: &'static str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin(context).await?;
        let done = statement.execute(&mut *tx).await.map_err(failed(context))?;
        tx.commit().await.map_err(failed(context))?;
        Ok(done.rows_affected())
    }

    /// Deletes the rows of `table` whose `ends` column is before `before`,
    /// in batches until one finds less than a whole batch; the rows deleted.
    /// Each batch is a write of its own, led by an index on `ends`: a backlog
    /// (a shortened retention, a month of sessions) would otherwise hold the
    /// write lock long enough to stall the logins and refreshes behind it.
    /// After each batch it rests as long as the batch took, so it never has
    /// more than half of the writer's time or of a core.
    async fn purge_in_batches(
        &self,
        table: &'static str,
        key: &'static str,
        ends: &'static str,
        before: i64,
    ) -> Result<u64, StoreError> {
        const BATCH: u64 = 2000;
        let delete = format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {ends} < $1 LIMIT $2)"
        );
        let mut deleted = 0;
        loop {
            let started = std::time::Instant::now();
            let statement = sqlx::query(&delete).bind(before).bind(BATCH as i64);
            let batch = self.write_one(statement, "purging expired rows").await?;
            deleted += batch;
            if batch < BATCH {
                return Ok(deleted);
            }
            tokio::time::sleep(started.elapsed()).await;
        }
    }
}

#[async_trait]
impl AuthStore for SqlAuthStore {
    async fn purge_expired(&self, now: i64, audit_before: i64) -> Result<Purged, StoreError> {
        Ok(Purged {
            audit_events: self
                .purge_in_batches("audit_events", "id", "at", audit_before)
                .await?,
            sessions: self
                .purge_in_batches("refresh_families", "id", "expires_at", now)
                .await?,
            throttle_windows: self
                .purge_in_batches("login_throttle", "key", "window_ends_at", now)
                .await?,
            authorization_codes: self
                .purge_in_batches("authorization_codes", "code_hash", "expires_at", now)
                .await?,
            browser_sessions: self
                .purge_in_batches("browser_sessions", "id_hash", "expires_at", now)
                .await?,
            sign_in_challenges: self
                .purge_in_batches("sign_in_challenges", "id_hash", "expires_at", now)
                .await?,
            links: self
                .purge_in_batches("link_tokens", "id_hash", "expires_at", now)
                .await?,
        })
    }
}

/// Sets a user's last login (a login, in its transaction).
pub(super) async fn set_last_login(tx: &mut Tx, user_id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(failed("setting the last login"))
}

/// Ends a user's sessions: the refresh families (how many were live) and
/// the signed-in browsers, so that no code is issued past the change (a
/// disable, a password change, an admin's revoke; in its transaction).
pub(super) async fn revoke_user_families(
    tx: &mut Tx,
    user_id: &str,
    now: i64,
) -> Result<u64, StoreError> {
    sqlx::query(
        "UPDATE browser_sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(failed("ending a user's browser sessions"))?;
    sqlx::query(
        "UPDATE refresh_families SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|done| done.rows_affected())
    .map_err(failed("revoking a user's sessions"))
}

/// The `purpose` of a reset link in `link_tokens`.
pub(super) const RESET_PASSWORD_LINK: &str = "reset_password";

/// Deletes a user's reset links (a password change spends them; in its
/// transaction).
pub(super) async fn spend_reset_links(tx: &mut Tx, user_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM link_tokens WHERE user_id = $1 AND purpose = $2")
        .bind(user_id)
        .bind(RESET_PASSWORD_LINK)
        .execute(&mut **tx)
        .await
        .map(drop)
        .map_err(failed("spending a user's reset links"))
}
