use async_trait::async_trait;
use shared::db::{is_unique_violation, Database, Migrations};
use sqlx::any::AnyRow;
use sqlx::migrate::Migrator;
use sqlx::Row as _;

use super::{
    AuditEvent, AuditFilter, AuthStore, Changed, Client, Family, InsertUserError, NewRefreshToken,
    Purged, RefreshToken, StoreError, ThrottleKey, User, UserChange,
};
use crate::audit::NewEvent;
use crate::domain::scope::{self, ADMIN_SCOPE};

type Tx = shared::db::WriteTransaction;

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
        username_key: row.try_get("username_key")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        scopes: row.try_get("scopes")?,
        disabled_at: row.try_get("disabled_at")?,
        last_login_at: row.try_get("last_login_at")?,
    })
}

const USER_COLUMNS: &str = "SELECT id, username, username_key, password_hash, created_at, \
                            scopes, disabled_at, last_login_at FROM users";

fn family_from(row: &AnyRow) -> Result<Family, sqlx::Error> {
    Ok(Family {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn client_from(row: &AnyRow) -> Result<Client, sqlx::Error> {
    Ok(Client {
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        scopes: row.try_get("scopes")?,
        created_at: row.try_get("created_at")?,
    })
}

fn audit_from(row: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
    let detail: Option<String> = row.try_get("detail")?;
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        event: row.try_get("event")?,
        user_id: row.try_get("user_id")?,
        actor_id: row.try_get("actor_id")?,
        client_id: row.try_get("client_id")?,
        client_address: row.try_get("client_address")?,
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
    })
}

fn decode_one<T>(
    row: Option<&AnyRow>,
    decode: fn(&AnyRow) -> Result<T, sqlx::Error>,
    context: &'static str,
) -> Result<Option<T>, StoreError> {
    row.map(decode).transpose().map_err(failed(context))
}

fn decode_all<T>(
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
async fn commit_events(
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
async fn commit_event(tx: Tx, event: &NewEvent, context: &'static str) -> Result<(), StoreError> {
    commit_events(tx, std::slice::from_ref(event), context).await
}

/// Whether a user's stored scopes hold the admin scope (`None`, the
/// defaults, never does), as `admin_count` counts it.
fn holds_admin(scopes: Option<&str>) -> bool {
    scopes.is_some_and(|s| scope::includes(s, ADMIN_SCOPE))
}

/// The conditions of a list query, each with its value: built per request,
/// so every query the database plans has only the conditions it uses (an
/// `$1 IS NULL OR ...` would keep an index from being sought).
#[derive(Default)]
struct Filter {
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
    fn text(&mut self, condition: &str, value: &str) {
        self.push(condition, Value::Text(value.to_owned()));
    }

    /// `column op $N` with an integer value.
    fn integer(&mut self, condition: &str, value: i64) {
        self.push(condition, Value::Integer(value));
    }

    /// ` WHERE a AND b`, or nothing.
    fn clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// `sql` with the values bound in order.
    fn bound<'q>(
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
    async fn begin(&self, context: &'static str) -> Result<Tx, StoreError> {
        self.db.begin_write().await.map_err(failed(context))
    }

    /// One statement as a write transaction of its own, in turn with the
    /// others; the rows it changed.
    async fn write_one<'q>(
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

    /// Locks and reads the user, and whether the change leaves an admin.
    async fn user_for_change(
        &self,
        tx: &mut Tx,
        user_id: &str,
        leaves_admin: impl Fn(&User) -> bool,
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
        let was_admin = user.disabled_at.is_none() && holds_admin(user.scopes.as_deref());
        if was_admin && !leaves_admin(&user) && Self::admin_count(tx).await? <= 1 {
            return Ok(Err(Changed::LastAdmin));
        }
        Ok(Ok(user))
    }
}

#[async_trait]
impl AuthStore for SqlAuthStore {
    async fn insert_user(&self, user: &User, event: &NewEvent) -> Result<(), InsertUserError> {
        let mut tx = self.begin("starting a registration").await?;
        let result = sqlx::query(
            "INSERT INTO users \
             (id, username, username_key, password_hash, created_at, updated_at, scopes) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(&user.id)
        .bind(&user.username)
        .bind(&user.username_key)
        .bind(&user.password_hash)
        .bind(&user.created_at)
        .bind(&user.scopes)
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
    ) -> Result<Changed, StoreError> {
        let mut tx = self.begin("starting a user change").await?;
        let leaves_admin = |user: &User| {
            change.disabled != Some(true)
                && holds_admin(change.scopes.as_deref().or(user.scopes.as_deref()))
        };
        if let Err(refused) = self.user_for_change(&mut tx, user_id, leaves_admin).await? {
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

    async fn delete_user(&self, user_id: &str, event: &NewEvent) -> Result<Changed, StoreError> {
        let mut tx = self.begin("starting a user deletion").await?;
        if let Err(refused) = self.user_for_change(&mut tx, user_id, |_| false).await? {
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
        revoke_user_families(&mut tx, user_id, now).await?;
        commit_event(tx, event, "committing a password change").await
    }

    async fn create_family(
        &self,
        family: &Family,
        first: &NewRefreshToken,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a session").await?;
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
        set_last_login(&mut tx, &family.user_id, family.created_at).await?;
        commit_event(tx, event, "committing a session").await
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
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        // IMMEDIATE takes the write lock first, so racing spends queue here
        // and each sees the one before it committed.
        let mut tx = self.begin("starting a rotation").await?;
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
        commit_event(tx, event, "committing a rotation").await?;
        Ok(true)
    }

    async fn revoke_family(
        &self,
        family_id: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a revocation").await?;
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("revoking a refresh family"))?
        .rows_affected()
            > 0;
        if revoked {
            commit_event(tx, event, "committing a revocation").await?;
        }
        Ok(revoked)
    }

    async fn revoke_sessions(
        &self,
        user_id: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin("starting a revocation").await?;
        let revoked = revoke_user_families(&mut tx, user_id, now).await?;
        commit_event(tx, event, "committing a revocation").await?;
        Ok(revoked)
    }

    async fn session_user(&self, family_id: &str, now: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "{USER_COLUMNS} WHERE id = (SELECT user_id FROM refresh_families \
             WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2)"
        ))
        .bind(family_id)
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(failed("checking a session"))?;
        decode_one(row.as_ref(), user_from, "decoding a session's user")
    }

    async fn list_sessions(
        &self,
        user_id: &str,
        now: i64,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Family>, StoreError> {
        let mut filter = Filter::default();
        filter.text("user_id =", user_id);
        filter.integer("expires_at >", now);
        if let Some(after) = after {
            filter.text("id >", after);
        }
        let sql = format!(
            "SELECT id, user_id, scope, created_at, expires_at FROM refresh_families{} \
             AND revoked_at IS NULL ORDER BY id LIMIT {limit}",
            filter.clause()
        );
        let rows = filter
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing sessions"))?;
        decode_all(&rows, family_from, "decoding sessions")
    }

    async fn insert_client(&self, client: &Client, event: &NewEvent) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a client registration").await?;
        sqlx::query(
            "INSERT INTO clients (client_id, name, secret_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(&client.secret_hash)
        .bind(&client.scopes)
        .bind(client.created_at)
        .execute(&mut *tx)
        .await
        .map_err(failed("inserting a client"))?;
        commit_event(tx, event, "committing a client registration").await
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let row = sqlx::query(&format!("{CLIENT_COLUMNS} WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a client"))?;
        decode_one(row.as_ref(), client_from, "decoding a client")
    }

    async fn list_clients(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Client>, StoreError> {
        let mut filter = Filter::default();
        if let Some(after) = after {
            filter.text("client_id >", after);
        }
        let sql = format!(
            "{CLIENT_COLUMNS}{} ORDER BY client_id LIMIT {limit}",
            filter.clause()
        );
        let rows = filter
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing clients"))?;
        decode_all(&rows, client_from, "decoding clients")
    }

    async fn delete_client(&self, client_id: &str, event: &NewEvent) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a client deletion").await?;
        let deleted = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("deleting a client"))?
            .rows_affected()
            > 0;
        if deleted {
            commit_event(tx, event, "committing a client deletion").await?;
        }
        Ok(deleted)
    }

    async fn record(&self, event: &NewEvent) -> Result<(), StoreError> {
        let tx = self.begin("starting an audit event").await?;
        commit_event(tx, event, "committing an audit event").await
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let mut conditions = Filter::default();
        if let Some(before) = filter.before {
            conditions.integer("id <", before);
        }
        if let Some(user_id) = &filter.user_id {
            conditions.text("user_id =", user_id);
        }
        if let Some(event) = &filter.event {
            conditions.text("event =", event);
        }
        let sql = format!(
            "SELECT id, at, event, user_id, actor_id, client_id, client_address, detail \
             FROM audit_events{} ORDER BY id DESC LIMIT {limit}",
            conditions.clause()
        );
        let rows = conditions
            .bound(&sql)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("listing audit events"))?;
        decode_all(&rows, audit_from, "decoding audit events")
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
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting a failed login").await?;
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
            .execute(&mut *tx)
            .await
            .map_err(failed("counting a failed login"))?;
        }
        commit_event(tx, event, "committing a failed login").await
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        let clear = sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key);
        self.write_one(clear, "clearing failed logins")
            .await
            .map(drop)
    }

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
        })
    }
}

const CLIENT_COLUMNS: &str = "SELECT client_id, name, secret_hash, scopes, created_at FROM clients";

async fn set_last_login(tx: &mut Tx, user_id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(failed("setting the last login"))
}

async fn revoke_user_families(tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, StoreError> {
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

async fn insert_token(tx: &mut Tx, token: &NewRefreshToken) -> Result<(), StoreError> {
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
