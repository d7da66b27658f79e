//! The database both services open: SQLite (embedded, the default) or
//! PostgreSQL, chosen by the URL, behind one sqlx `AnyPool`. The stores write
//! each statement once, with `$N` placeholders, which both drivers bind.
//!
//! Policy:
//! - SQLite: WAL journal with `synchronous = FULL`, so an acknowledged write
//!   survives a crash of the process and of the machine; a busy timeout of
//!   `statement_timeout_seconds`, so a locked database answers 503 in
//!   seconds; the file and its folder are created at start. Writers
//!   ([`Database::begin_write`]) take turns in arrival order before SQLite's
//!   lock, so none sleeps in SQLite's busy handler while later ones go
//!   first. The file belongs to this process (the `unix-excl` VFS, unless
//!   the URL names a `vfs`): a second process is refused at start, and
//!   reads take no file lock.
//! - PostgreSQL: `statement_timeout` and `lock_timeout` of
//!   `statement_timeout_seconds` on every connection.
//! - Reads ([`Database::fetch_all`], [`Database::fetch_optional`]) go where
//!   they are fastest: on SQLite, a read-only connection on the calling
//!   thread; on PostgreSQL, a connection per thread that pipelines them;
//!   else, and when that fails, the pool.
//! - Both: a connection is awaited at most `connect_timeout_seconds`
//!   (connecting included), then the request fails with 503; the pool
//!   reconnects by itself when the database comes back.

mod batched;
mod postgres_reads;
mod read;
mod sqlite_reads;

use std::path::PathBuf;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Connection as _, Executor as _, Transaction};

use crate::settings::{DatabaseSettings, SettingsError};

pub use batched::KeyedReads;
use postgres_reads::PostgresReads;
pub use read::{FromRow, Param, ReadError, Row, Value};
use sqlite_reads::SqliteReads;

/// SQLite's unix VFS that locks the file for this process alone: other
/// processes cannot open the database while the service runs, and the
/// connections of this process coordinate in memory, with no file-lock
/// system call per transaction.
const EXCLUSIVE_VFS: &str = "unix-excl";

/// A pooled PostgreSQL connection idle this long is pinged before use.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// A read path's lock. What they guard (connection lists, queues of
/// waiting reads) only ever holds whole entries: a poisoned one is intact.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// This thread's number, given out in order of first read: which
/// connection a thread reads on, and whose reads a statement gathers.
fn thread_number() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed));
    NUMBER.with(|number| *number)
}

/// A service's schema, once per dialect: sqlx migrators, from the numbered
/// files of `migrations/sqlite/` and `migrations/postgres/` compiled into
/// the binary by `sqlx::migrate!`:
///
/// ```text
/// static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
/// static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
/// pub const MIGRATIONS: Migrations<'static> = Migrations { sqlite: &SQLITE, postgres: &POSTGRES };
/// ```
///
/// See [`Database`] for an example that builds one at run time.
#[derive(Debug, Clone, Copy)]
pub struct Migrations<'a> {
    /// For SQLite.
    pub sqlite: &'a Migrator,
    /// For PostgreSQL.
    pub postgres: &'a Migrator,
}

impl Migrations<'static> {
    /// No schema at all.
    pub const NONE: Self = Self {
        sqlite: &Migrator::DEFAULT,
        postgres: &Migrator::DEFAULT,
    };
}

/// Which database a URL names.
///
/// ```
/// use shared::db::Backend;
///
/// assert_eq!(Backend::of("sqlite://data/items.db").expect("known"), Backend::Sqlite);
/// assert_eq!(Backend::of("postgres://db/items").expect("known"), Backend::Postgres);
/// assert!(Backend::of("mysql://db/items").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:`
    Sqlite,
    /// `postgres:` or `postgresql:`
    Postgres,
}

impl Backend {
    /// The backend of a database URL, or why it has none.
    pub fn of(url: &str) -> Result<Self, SettingsError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres)
        } else {
            Err(SettingsError::new(
                "the database URL must start with sqlite: or postgres:",
            ))
        }
    }
}

/// An open, migrated database.
///
/// ```
/// use sqlx::Executor as _;
/// use sqlx::migrate::Migrator;
/// use shared::db::{Backend, Migrations};
///
/// let folder = tempfile::tempdir().expect("a folder");
/// let schema = folder.path().join("migrations");
/// std::fs::create_dir(&schema).expect("a folder");
/// std::fs::write(schema.join("0001_notes.sql"), "CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT NOT NULL)")
///     .expect("written");
/// let settings = shared::settings::DatabaseSettings {
///     url: format!("sqlite://{}/notes.db", folder.path().display()).into(),
///     max_connections: 2, connect_timeout_seconds: 5, statement_timeout_seconds: 5,
/// };
/// # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
/// // A service compiles its migrations in with `sqlx::migrate!`; read at run time here.
/// let notes = Migrator::new(schema.as_path()).await.expect("migrations");
/// // `sqlite://` creates the file and its folder; `postgres://` connects.
/// let migrations = Migrations { sqlite: &notes, postgres: &notes };
/// let database = shared::db::open(&settings, migrations).await.expect("opens");
/// assert_eq!(database.backend, Backend::Sqlite);
///
/// let mut transaction = database.begin_write().await.expect("the write lock");
/// transaction.execute("INSERT INTO notes VALUES ('1', 'hello')").await.expect("written");
/// transaction.commit().await.expect("committed");
///
/// // A clean close folds the WAL into the file: the file alone is a copy.
/// database.close().await;
/// let wal = std::fs::metadata(folder.path().join("notes.db-wal")).map_or(0, |m| m.len());
/// assert_eq!(wal, 0);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Database {
    /// The pool.
    pub pool: AnyPool,
    /// What is behind it.
    pub backend: Backend,
    /// Reads on the calling thread, for a SQLite file (not `:memory:`).
    sqlite_reads: Option<Arc<SqliteReads>>,
    /// Reads pipelined on a connection per thread, for PostgreSQL.
    postgres_reads: Option<Arc<PostgresReads>>,
    /// SQLite has one writer at a time. Writers of this process wait their
    /// turn here, first come first served, rather than in SQLite's busy
    /// handler, which sleeps and retries (up to 100 ms a time) while later
    /// writers take the lock ahead of it.
    write_turn: Option<Arc<tokio::sync::Mutex<()>>>,
    /// How long a writer waits for its turn (the busy timeout).
    write_wait: Duration,
}

/// A write transaction ([`Database::begin_write`]): the connection, and on
/// SQLite the writer's turn, held until commit or drop (a drop rolls back).
#[derive(Debug)]
pub struct WriteTransaction {
    transaction: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    /// Commits, and gives the turn to the next writer.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.transaction.commit().await
    }

    /// Rolls back, and gives the turn to the next writer.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.transaction.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.transaction
    }
}

impl std::ops::DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.transaction
    }
}

impl Database {
    /// Whether every write to the database goes through this process: a
    /// SQLite file under the exclusive VFS, which no other process can open.
    /// A cache of what this process read may then know when it is out of
    /// date; with `?vfs=unix` or PostgreSQL another process can write.
    pub fn writes_only_here(&self) -> bool {
        self.sqlite_reads
            .as_ref()
            .is_some_and(|reads| reads.vfs() == EXCLUSIVE_VFS)
    }

    /// A transaction that holds the write lock from its first statement
    /// (SQLite `BEGIN IMMEDIATE`; PostgreSQL locks rows as it writes).
    pub async fn begin_write(&self) -> Result<WriteTransaction, sqlx::Error> {
        let turn = match &self.write_turn {
            Some(turn) => Some(
                tokio::time::timeout(self.write_wait, Arc::clone(turn).lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?,
            ),
            None => None,
        };
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        Ok(WriteTransaction {
            transaction: self.pool.begin_with(begin).await?,
            _turn: turn,
        })
    }

    /// Closes every connection, waiting for those in use. On SQLite the WAL
    /// is first folded into the database file and emptied, so after a clean
    /// stop the file alone is a complete copy.
    pub async fn close(&self) {
        if let Some(reads) = &self.sqlite_reads {
            reads.close();
        }
        if let Some(reads) = &self.postgres_reads {
            reads.close();
        }
        if self.backend == Backend::Sqlite {
            // Now, not on the last close: sqlx closes each connection on its
            // own thread, and the process may exit before the last one has.
            let checkpoint: Result<(i32, i32, i32), _> =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&self.pool)
                    .await;
            match checkpoint {
                Ok((0, _, _)) => {}
                Ok(_) => tracing::warn!("the WAL was busy at close; the next start replays it"),
                Err(error) => tracing::warn!(%error, "the WAL could not be checkpointed at close"),
            }
        }
        self.pool.close().await;
    }

    /// Opens a write transaction and rolls it back: fails on a database
    /// that was opened read-only or is a read-only standby.
    async fn check_writable(&self) -> Result<(), sqlx::Error> {
        match self.backend {
            // SQLite lets a read-only connection begin; only a write fails.
            Backend::Sqlite => {
                let mut transaction = self.begin_write().await?;
                transaction
                    .execute("CREATE TABLE write_probe (x INTEGER)")
                    .await?;
                transaction.rollback().await
            }
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN READ WRITE")
                    .await?
                    .rollback()
                    .await
            }
        }
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.pool.execute("SELECT 1").await.map(|_| ())
    }
}

/// Ready when a query answers.
impl crate::operations::ReadyCheck for Database {
    fn check(&self) -> futures_util::future::BoxFuture<'_, Result<(), String>> {
        Box::pin(async { self.ping().await.map_err(|e| e.to_string()) })
    }
}

/// Opens the database at `settings.url` and applies the dialect's
/// migrations (see [`Database`] for an example).
pub async fn open(
    settings: &DatabaseSettings,
    migrations: Migrations<'_>,
) -> Result<Database, SettingsError> {
    sqlx::any::install_default_drivers();
    let url = settings.url.expose_secret();
    let backend = Backend::of(url)?;
    let statement_timeout = settings.statement_timeout_seconds;
    let mut sqlite_reads = None;
    let (url, setup, migrator) = match backend {
        Backend::Sqlite => {
            let mut url = url.to_owned();
            for (name, default) in [("mode", "rwc"), ("vfs", EXCLUSIVE_VFS)] {
                if query_parameter(&url, name).is_none() {
                    let separator = if url.contains('?') { '&' } else { '?' };
                    url = format!("{url}{separator}{name}={default}");
                }
            }
            let vfs = query_parameter(&url, "vfs").unwrap_or(EXCLUSIVE_VFS);
            if let Some(path) = prepare_sqlite_file(&url)? {
                if vfs == EXCLUSIVE_VFS {
                    refuse_if_in_use(&path)?;
                }
                sqlite_reads = Some(Arc::new(SqliteReads::new(path, vfs.to_owned())));
            }
            let setup = format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                statement_timeout.saturating_mul(1000)
            );
            (url, setup, migrations.sqlite)
        }
        Backend::Postgres => {
            let setup = format!(
                "SET statement_timeout = '{statement_timeout}s'; \
                 SET lock_timeout = '{statement_timeout}s';"
            );
            (url.to_owned(), setup, migrations.postgres)
        }
    };
    let options = AnyConnectOptions::from_str(&url)
        .map_err(|e| SettingsError::new(format!("the database URL is not valid: {e}")))?;
    let acquire_timeout = Duration::from_secs(settings.connect_timeout_seconds);
    let postgres_reads = match backend {
        Backend::Postgres => {
            postgres_reads(&url, &setup, settings.max_connections, acquire_timeout)
        }
        Backend::Sqlite => None,
    };
    let pool = AnyPoolOptions::new()
        .max_connections(settings.max_connections.max(1))
        // sqlx pings a connection as it goes back to the pool, so a broken
        // one is closed there. A ping before each use as well (sqlx's
        // default) would add a round trip to every query: only a PostgreSQL
        // connection idle long enough for a network or a restart to have
        // dropped it is pinged first. An embedded SQLite one cannot be.
        .test_before_acquire(false)
        .before_acquire(move |connection, meta| {
            Box::pin(async move {
                if backend == Backend::Postgres && meta.idle_for >= PING_WHEN_IDLE_FOR {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        // With `unix-excl` the process holds the file while a connection is
        // open: keep one, so that idle hours do not hand the file to another.
        .min_connections(u32::from(backend == Backend::Sqlite))
        .acquire_timeout(acquire_timeout)
        .after_connect(move |connection, _| {
            let setup = setup.clone();
            Box::pin(async move { connection.execute(setup.as_str()).await.map(|_| ()) })
        })
        .connect_with(options)
        .await
        .map_err(|e| SettingsError::new(format!("cannot open the database: {e}")))?;
    migrator
        .run(&pool)
        .await
        .map_err(|e| SettingsError::new(format!("cannot apply the migrations: {e}")))?;
    let database = Database {
        pool,
        backend,
        sqlite_reads,
        postgres_reads,
        write_turn: (backend == Backend::Sqlite).then(Default::default),
        write_wait: Duration::from_secs(statement_timeout),
    };
    // SQLite silently opens a read-only file or volume read-only (and a
    // standby PostgreSQL serves reads): the service would start and then
    // refuse every write. Refuse to start instead.
    database
        .check_writable()
        .await
        .map_err(|e| SettingsError::new(format!("the database does not take writes: {e}")))?;
    Ok(database)
}

/// Pipelined reads, when tokio-postgres takes the URL too: it knows fewer
/// query parameters than sqlx, and the pool serves reads of one it does not.
fn postgres_reads(
    url: &str,
    setup: &str,
    max_connections: u32,
    wait: Duration,
) -> Option<Arc<PostgresReads>> {
    match tokio_postgres::Config::from_str(url) {
        Ok(config) => Some(Arc::new(PostgresReads::new(
            config,
            setup.to_owned(),
            max_connections,
            wait,
        ))),
        Err(error) => {
            tracing::warn!(%error, "reads go through the pool: the database URL has a parameter only sqlx knows");
            None
        }
    }
}

/// The value of `name` in a URL's query string.
fn query_parameter<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// Another process holding the file would make the pool wait out its
/// timeout and then say only "pool timed out": say what is wrong at once.
fn refuse_if_in_use(path: &std::path::Path) -> Result<(), SettingsError> {
    use rusqlite::{Connection, ErrorCode, OpenFlags};

    let Ok(probe) = Connection::open_with_flags_and_vfs(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        EXCLUSIVE_VFS,
    ) else {
        // No file yet, or one the pool will report on.
        return Ok(());
    };
    // rusqlite waits 5 s by default. A quarter second lets a process that
    // is closing the file (its last connection checkpoints under an
    // exclusive lock) finish; one that keeps it open is still refused.
    if probe.busy_timeout(Duration::from_millis(250)).is_err() {
        return Ok(());
    }
    match probe.query_row("PRAGMA schema_version", [], |row| row.get::<_, i64>(0)) {
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::DatabaseBusy => {
            Err(SettingsError::new(format!(
                "the database file {} is in use by another process: a SQLite database \
                 serves one process (use PostgreSQL for replicas, or add ?vfs=unix to the \
                 URL to share the file with tools such as the sqlite3 shell)",
                path.display()
            )))
        }
        _ => Ok(()),
    }
}

/// The file of a `sqlite://` URL: none for another database or one in
/// memory.
///
/// ```
/// use std::path::Path;
/// use shared::db::sqlite_file;
///
/// assert_eq!(sqlite_file("sqlite://data/auth.db?vfs=unix").as_deref(), Some(Path::new("data/auth.db")));
/// assert_eq!(sqlite_file("sqlite::memory:"), None);
/// assert_eq!(sqlite_file("postgres://db/auth"), None);
/// ```
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite:")?
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    let in_memory =
        path.is_empty() || path == ":memory:" || query_parameter(url, "mode") == Some("memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// `sqlite://data/a.db` creates `data/` when absent (mode 0700) and the
/// file (mode 0600: SQLite gives its `-wal` file the same), so
/// that no other user of the machine reads the hashes and sessions in it;
/// an existing folder or file keeps the mode its owner gave it. Refuses a
/// file that exists but cannot be written (a read-only volume). The file's
/// path, unless the database lives in memory.
fn prepare_sqlite_file(url: &str) -> Result<Option<PathBuf>, SettingsError> {
    let Some(path) = sqlite_file(url) else {
        return Ok(None);
    };
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(|e| {
                SettingsError::new(format!(
                    "cannot create the database folder {}: {e}",
                    folder.display()
                ))
            })?;
    }
    // On a read-only file system SQLite only says "unable to open database
    // file", and only after the pool's timeout: say what is wrong at once.
    use std::os::unix::fs::OpenOptionsExt as _;
    let opened = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path);
    match opened {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SettingsError::new(format!(
            "the database file {} cannot be written: {e}",
            path.display()
        ))),
        _ => Ok(Some(path)),
    }
}

/// Whether a database error is a unique-constraint violation.
///
/// ```
/// assert!(!shared::db::is_unique_violation(&sqlx::Error::RowNotFound));
/// ```
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// A time (milliseconds since the Unix epoch, as [`crate::clock::Clock`]
/// gives it) as the RFC 3339 UTC text with millisecond precision that the
/// databases store (it sorts as it reads).
///
/// ```
/// assert_eq!(shared::db::timestamp(1_796_154_670_500), "2026-12-01T19:51:10.500Z");
/// ```
pub fn timestamp(ms: i64) -> String {
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> DatabaseSettings {
        DatabaseSettings {
            url: url.to_owned().into(),
            max_connections: 2,
            connect_timeout_seconds: 2,
            statement_timeout_seconds: 2,
        }
    }

    const NO_MIGRATIONS: Migrations<'static> = Migrations::NONE;

    #[tokio::test]
    async fn a_new_database_and_its_folder_are_private_to_the_service_user() {
        use std::os::unix::fs::PermissionsExt as _;
        let parent = tempfile::tempdir().expect("temporary folder");
        let folder = parent.path().join("data");
        let url = format!("sqlite://{}/private.db", folder.display());
        let database = open(&settings(&url), NO_MIGRATIONS).await.expect("opens");
        database
            .pool
            .execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);")
            .await
            .expect("written");
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path)
                .expect("exists")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&folder), 0o700);
        // No `-shm` under the exclusive VFS: the WAL index is in memory.
        for file in ["private.db", "private.db-wal"] {
            assert_eq!(mode(&folder.join(file)), 0o600, "{file}");
        }
        database.close().await;
    }

    #[tokio::test]
    async fn reads_on_the_calling_thread_see_each_write_the_pool_committed() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}/test.db", folder.path().display());
        let database = open(&settings(&url), NO_MIGRATIONS).await.expect("opens");
        let reads = database.sqlite_reads.as_ref().expect("a SQLite file");
        let value =
            || reads.read(|c| c.query_row("SELECT v FROM t", [], |row| row.get::<_, i64>(0)));
        database
            .pool
            .execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);")
            .await
            .expect("written");
        assert_eq!(value().ok(), Some(1));
        database
            .pool
            .execute("UPDATE t SET v = 2")
            .await
            .expect("written");
        assert_eq!(value().ok(), Some(2), "a read after a commit sees it");
        assert!(reads.read(|c| c.execute("DELETE FROM t", [])).is_err());
        assert_eq!(value().ok(), Some(2), "the read connections never write");
        let mapped = reads.read(|c| c.pragma_query_value(None, "mmap_size", |row| row.get(0)));
        assert_eq!(
            mapped,
            Ok(sqlite_reads::MMAP_BYTES),
            "they read through a map"
        );
    }

    /// What the read tests decode: a column of each kind a store reads.
    #[derive(Debug, PartialEq)]
    struct Sample {
        word: String,
        number: i64,
        price: f64,
        missing: Option<String>,
    }

    impl FromRow for Sample {
        fn from_row(row: &impl Row) -> Result<Self, ReadError> {
            Ok(Self {
                word: row.get(0)?,
                number: row.get(1)?,
                price: row.get(2)?,
                missing: row.get(3)?,
            })
        }
    }

    const SAMPLE_TABLE: &str = "CREATE TABLE samples (word TEXT, number BIGINT, price DOUBLE PRECISION, missing TEXT); \
         INSERT INTO samples VALUES ('a', 1, 0.5, NULL), ('b', 2, 1.5, NULL), ('c', 3, 2.5, 'here');";
    const SAMPLES_AFTER: &str =
        "SELECT word, number, price, missing FROM samples WHERE word > $1 ORDER BY word LIMIT $2";

    /// Each path of `fetch_all` (this thread's SQLite connection, the pool
    /// on an in-memory SQLite, PostgreSQL's pipelined reads when
    /// `TEST_POSTGRES_URL` is set) binds and decodes alike.
    #[tokio::test]
    async fn every_read_path_binds_and_decodes_alike() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let file = format!("sqlite://{}/read.db", folder.path().display());
        #[allow(unused_mut)]
        let mut urls = vec![file, "sqlite::memory:".to_owned()];
        #[cfg(feature = "test-support")]
        let fresh = crate::testing::TestDatabase::new().await;
        #[cfg(feature = "test-support")]
        urls.push(fresh.url().to_owned());
        for url in urls {
            // One connection: each in-memory SQLite connection is a database of its own.
            let one = DatabaseSettings {
                max_connections: 1,
                ..settings(&url)
            };
            let database = open(&one, NO_MIGRATIONS).await.expect("opens");
            let mut setup = database.pool.acquire().await.expect("a connection");
            setup.execute(SAMPLE_TABLE).await.expect("written");
            drop(setup);
            let read: Vec<Sample> = database
                .fetch_all(SAMPLES_AFTER, &["a".into(), 5_u32.into()])
                .await
                .expect("read");
            let second = Sample {
                word: "b".to_owned(),
                number: 2,
                price: 1.5,
                missing: None,
            };
            let third = Sample {
                word: "c".to_owned(),
                number: 3,
                price: 2.5,
                missing: Some("here".to_owned()),
            };
            assert_eq!(read, [second, third], "{url}");
            let none: Option<Sample> = database
                .fetch_optional(SAMPLES_AFTER, &["c".into(), 1_i64.into()])
                .await
                .expect("read");
            assert_eq!(none, None, "{url}");
            let bad = database
                .fetch_all::<Sample>("SELECT word FROM samples", &[])
                .await;
            assert!(
                bad.is_err(),
                "{url}: too few columns is an error, not a panic"
            );
            database.close().await;
        }
    }

    /// The first row of `sql` read through `reads`.
    async fn query_opt(
        reads: &PostgresReads,
        sql: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, ReadError> {
        Ok(reads.query(sql, params).await?.into_iter().next())
    }

    /// The backend serving a read: which connection it took.
    #[cfg(feature = "test-support")]
    async fn read_backend(reads: &PostgresReads) -> Result<i32, ReadError> {
        let row = query_opt(reads, "SELECT pg_backend_pid()", &[]).await?;
        Ok(row.expect("a row").get(0))
    }

    /// `read_backend` on `count` threads of their own, each kept (with its
    /// runtime, which drives the connection it opened) until all have read.
    #[cfg(feature = "test-support")]
    async fn read_backends_on_new_threads(reads: &Arc<PostgresReads>, count: usize) -> Vec<i32> {
        let (backends, mut read) = tokio::sync::mpsc::unbounded_channel();
        let (release, released) = tokio::sync::watch::channel(false);
        let threads: Vec<_> = (0..count)
            .map(|_| {
                let (reads, backends, mut released) =
                    (Arc::clone(reads), backends.clone(), released.clone());
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime");
                    runtime.block_on(async {
                        let _ = backends.send(read_backend(&reads).await.expect("read"));
                        let _ = released.wait_for(|released| *released).await;
                    });
                })
            })
            .collect();
        let mut all = Vec::new();
        while all.len() < count {
            all.push(read.recv().await.expect("each thread read"));
        }
        let _ = release.send(true);
        for thread in threads {
            thread.join().expect("the thread ended");
        }
        all
    }

    // On SQLite there are no PostgreSQL reads to test; CI runs this on both.
    #[cfg(feature = "test-support")]
    #[tokio::test]
    async fn postgres_reads_share_a_connection_per_thread_and_replace_one_that_closed() {
        let test = crate::testing::TestDatabase::new().await;
        if !test.is_postgres() {
            return;
        }
        let database = open(&settings(test.url()), NO_MIGRATIONS)
            .await
            .expect("opens");
        let reads = database.postgres_reads.as_ref().expect("PostgreSQL");
        let first = read_backend(reads).await.expect("read");
        let timeout = query_opt(reads, "SELECT current_setting('statement_timeout')", &[])
            .await
            .expect("read")
            .expect("a row");
        assert_eq!(timeout.get::<_, String>(0), "2s", "the pool's settings");
        let plans = query_opt(reads, "SELECT current_setting('plan_cache_mode')", &[])
            .await
            .expect("read")
            .expect("a row");
        assert_eq!(plans.get::<_, String>(0), "force_generic_plan");

        // Reads in flight at once on this thread: one connection, and each
        // gets its own answer.
        let numbers: Vec<i32> = (0..64).collect();
        let answers = futures_util::future::join_all(numbers.iter().map(|n| async move {
            let row = query_opt(reads, "SELECT $1::int4, pg_backend_pid()", &[n])
                .await
                .expect("read")
                .expect("a row");
            (row.get::<_, i32>(0), row.get::<_, i32>(1))
        }))
        .await;
        assert_eq!(
            answers,
            numbers.iter().map(|&n| (n, first)).collect::<Vec<_>>()
        );

        // A statement that fails, and a read cancelled before its answer,
        // leave the connection in use; the next read gets its own answer.
        assert!(query_opt(reads, "SELECT 1 / 0", &[]).await.is_err());
        let cancelled = tokio::time::timeout(
            Duration::from_millis(50),
            query_opt(reads, "SELECT pg_sleep(0.3)", &[]),
        );
        assert!(cancelled.await.is_err(), "cancelled");
        let after = query_opt(reads, "SELECT 'after', pg_backend_pid()", &[])
            .await
            .expect("read")
            .expect("a row");
        assert_eq!((after.get::<_, &str>(0), after.get(1)), ("after", first));

        // The server ends the connection (a restart, a proxy): the next read
        // finds it closed, or pings it after the idle time, and takes a new one.
        database
            .pool
            .execute(format!("SELECT pg_terminate_backend({first})").as_str())
            .await
            .expect("terminated");
        tokio::time::sleep(PING_WHEN_IDLE_FOR).await;
        let second = read_backend(reads).await.expect("a read after the loss");
        assert_ne!(second, first);
        assert_eq!(read_backend(reads).await.ok(), Some(second), "kept");

        // Other threads read through connections of their own, no more
        // than `max_connections` (2) of them.
        let mut backends = read_backends_on_new_threads(reads, 4).await;
        backends.push(second);
        backends.sort_unstable();
        backends.dedup();
        assert_eq!(backends.len(), 2, "{backends:?}");
        database.close().await;
    }

    #[tokio::test]
    async fn postgres_reads_wait_for_a_server_no_longer_than_the_connect_timeout() {
        // A server that accepts connections and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let port = silent.local_addr().expect("its address").port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        });
        let url = format!("postgres://reader:secret@127.0.0.1:{port}/items");
        let wait = Duration::from_millis(300);
        let reads = PostgresReads::new(url.parse().expect("a URL"), String::new(), 1, wait);
        let started = std::time::Instant::now();
        let read = query_opt(&reads, "SELECT 1", &[]).await;
        assert!(matches!(read, Err(ReadError::TimedOut(_))), "{read:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[cfg(feature = "test-support")]
    #[tokio::test]
    async fn a_url_only_sqlx_understands_reads_through_the_pool() {
        let test = crate::testing::TestDatabase::new().await;
        if !test.is_postgres() {
            return;
        }
        let separator = if test.url().contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}statement-cache-capacity=10", test.url());
        let database = open(&settings(&url), NO_MIGRATIONS).await.expect("opens");
        assert!(database.postgres_reads.is_none());
        database.ping().await.expect("the pool answers");
        database.close().await;
    }

    #[tokio::test]
    async fn sqlite_writers_take_their_turn_in_arrival_order() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}/turns.db", folder.path().display());
        let mut settings = settings(&url);
        settings.max_connections = 8;
        let database = open(&settings, NO_MIGRATIONS).await.expect("opens");
        database
            .pool
            .execute("CREATE TABLE arrivals (n INTEGER)")
            .await
            .expect("created");
        let first = database.begin_write().await.expect("the turn");
        let mut writers = Vec::new();
        for n in 1..=5 {
            let database = database.clone();
            writers.push(tokio::spawn(async move {
                let mut transaction = database.begin_write().await.expect("a turn");
                sqlx::query("INSERT INTO arrivals VALUES ($1)")
                    .bind(n)
                    .execute(&mut *transaction)
                    .await
                    .expect("written");
                transaction.commit().await.expect("committed");
            }));
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        first.commit().await.expect("committed");
        for writer in writers {
            writer.await.expect("a writer");
        }
        let order: Vec<i64> = sqlx::query_scalar("SELECT n FROM arrivals ORDER BY rowid")
            .fetch_all(&database.pool)
            .await
            .expect("read");
        // SQLite's busy handler would let the latest arrival, retrying
        // soonest, go first.
        assert_eq!(order, [1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn an_in_memory_database_is_read_through_the_pool_only() {
        let database = open(&settings("sqlite::memory:"), NO_MIGRATIONS)
            .await
            .expect("opens");
        assert!(database.sqlite_reads.is_none());
    }

    #[test]
    fn url_query_parameters_are_found_by_exact_name() {
        let url = "sqlite://a.db?mode=rwc&vfs=unix";
        assert_eq!(query_parameter(url, "vfs"), Some("unix"));
        assert_eq!(query_parameter(url, "mode"), Some("rwc"));
        assert_eq!(query_parameter(url, "de"), None);
        assert_eq!(query_parameter("sqlite://a.db", "vfs"), None);
    }

    #[tokio::test]
    async fn a_sqlite_database_that_opens_read_only_is_refused_at_start() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("test.db");
        let url = format!("sqlite://{}", path.display());
        open(&settings(&url), NO_MIGRATIONS)
            .await
            .expect("a writable database opens");

        let refused = open(&settings(&format!("{url}?mode=ro")), NO_MIGRATIONS)
            .await
            .expect_err("a read-only database is refused");
        let message = refused.to_string();
        assert!(message.contains("does not take writes"), "{message}");
        assert!(message.contains("readonly"), "{message}");
    }
}
