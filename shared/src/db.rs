//! SQLite set-up both services share. Policy: WAL journal with
//! `synchronous = FULL`, so an acknowledged write survives a crash of the
//! process and of the machine; a busy timeout equal to the pool's acquire
//! timeout, so a locked database answers 503 in seconds, never hangs.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use secrecy::ExposeSecret;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::settings::{DatabaseSettings, SettingsError};

/// Migrations compiled into the binary: `(version, description, sql)`.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedMigrations(pub &'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Opens (creating file and folder) the SQLite database at `settings.url`
/// and applies `migrations`.
pub async fn open_sqlite(
    settings: &DatabaseSettings,
    migrations: EmbeddedMigrations,
) -> Result<SqlitePool, SettingsError> {
    let url = settings.url.expose_secret();
    let timeout = Duration::from_secs(settings.timeout_seconds);
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| SettingsError::new(format!("the database URL is not valid: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(timeout)
        .foreign_keys(true);
    if let Some(folder) = options.get_filename().parent() {
        if !folder.as_os_str().is_empty() {
            std::fs::create_dir_all(folder).map_err(|e| {
                SettingsError::new(format!(
                    "cannot create the database folder {}: {e}",
                    folder.display()
                ))
            })?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(settings.max_connections.max(1))
        .acquire_timeout(timeout)
        .connect_with(options)
        .await
        .map_err(|e| SettingsError::new(format!("cannot open the database: {e}")))?;
    let migrator = Migrator::new(migrations)
        .await
        .map_err(|e| SettingsError::new(format!("cannot load the migrations: {e}")))?;
    migrator
        .run(&pool)
        .await
        .map_err(|e| SettingsError::new(format!("cannot apply the migrations: {e}")))?;
    Ok(pool)
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Now, as the RFC 3339 UTC text with millisecond precision that the
/// databases store (it sorts as it reads).
///
/// ```
/// let now = shared::db::timestamp();
/// assert!(now.ends_with('Z') && now.len() == 24, "{now}");
/// ```
pub fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&format).unwrap_or_default()
}
