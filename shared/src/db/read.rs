//! One way for a store to read: a statement, its parameters and a type
//! that decodes a row, run where this database reads fastest: this
//! thread's SQLite connection ([`super::SqliteReads`]), a pipelined
//! PostgreSQL connection ([`super::PostgresReads`]), or else the pool. The
//! store writes one column list and one decoder per type ([`FromRow`]), by
//! column position, whichever driver answers.

use sqlx::Row as _;
use tokio_postgres::types::ToSql;

use super::Database;

/// A read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No PostgreSQL connection in time: the server is down or unreachable.
    #[error("no PostgreSQL connection for reads within {0:?}")]
    TimedOut(std::time::Duration),
    /// PostgreSQL refused the connection or the statement, or a column did
    /// not decode.
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// SQLite, read on this thread.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The pool.
    #[error(transparent)]
    Pool(#[from] sqlx::Error),
    /// The statement that answered a gathered read ([`super::KeyedReads`]).
    #[error(transparent)]
    Shared(std::sync::Arc<ReadError>),
    /// A gathered read's statement ended without an answer.
    #[error("the statement reading this row ended without an answer")]
    Abandoned,
    /// A list parameter where only PostgreSQL takes one.
    #[error("a list parameter is read only on PostgreSQL")]
    ListParameter,
}

/// A parameter of a read, bound as each driver binds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param<'a> {
    /// `TEXT`.
    Text(&'a str),
    /// `INTEGER` / `BIGINT`.
    Integer(i64),
    /// `TEXT[]`, on PostgreSQL only (`= ANY($1)`).
    Texts(&'a [&'a str]),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(text: &'a str) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Param<'_> {
    fn from(number: i64) -> Self {
        Self::Integer(number)
    }
}

impl From<u32> for Param<'_> {
    fn from(number: u32) -> Self {
        Self::Integer(i64::from(number))
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Self::Text(text) => rusqlite::ToSql::to_sql(text),
            Self::Integer(number) => rusqlite::ToSql::to_sql(number),
            Self::Texts(_) => Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                ReadError::ListParameter,
            ))),
        }
    }
}

/// A column value every driver decodes: `String`, `i64`, `f64`, `bool`,
/// and `Option`s of them.
pub trait Value:
    rusqlite::types::FromSql
    + tokio_postgres::types::FromSqlOwned
    + for<'r> sqlx::Decode<'r, sqlx::Any>
    + sqlx::Type<sqlx::Any>
{
}

impl<T> Value for T where
    T: rusqlite::types::FromSql
        + tokio_postgres::types::FromSqlOwned
        + for<'r> sqlx::Decode<'r, sqlx::Any>
        + sqlx::Type<sqlx::Any>
{
}

/// A row of whichever driver answered, read by column position.
pub trait Row {
    /// The value of column `index` (from 0).
    fn get<T: Value>(&self, index: usize) -> Result<T, ReadError>;
}

impl Row for rusqlite::Row<'_> {
    fn get<T: Value>(&self, index: usize) -> Result<T, ReadError> {
        Ok(rusqlite::Row::get(self, index)?)
    }
}

impl Row for tokio_postgres::Row {
    fn get<T: Value>(&self, index: usize) -> Result<T, ReadError> {
        Ok(self.try_get(index)?)
    }
}

impl Row for sqlx::any::AnyRow {
    fn get<T: Value>(&self, index: usize) -> Result<T, ReadError> {
        Ok(self.try_get(index)?)
    }
}

/// A type read from the columns of a row, in the order its statements
/// select them.
///
/// ```
/// # let folder = tempfile::tempdir().expect("a folder");
/// # let settings = shared::settings::DatabaseSettings {
/// #     url: format!("sqlite://{}/doc.db", folder.path().display()).into(),
/// #     max_connections: 2, connect_timeout_seconds: 5, statement_timeout_seconds: 5,
/// # };
/// use shared::db::{FromRow, ReadError, Row};
///
/// struct Pair { word: String, number: i64 }
///
/// impl FromRow for Pair {
///     fn from_row(row: &impl Row) -> Result<Self, ReadError> {
///         Ok(Self { word: row.get(0)?, number: row.get(1)? })
///     }
/// }
///
/// # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
/// let database = shared::db::open(&settings, shared::db::Migrations::NONE).await.expect("opens");
/// let pair: Option<Pair> = database
///     .fetch_optional("SELECT $1, $2", &["seven".into(), 7_i64.into()])
///     .await
///     .expect("read");
/// let pair = pair.expect("a row");
/// assert_eq!((pair.word.as_str(), pair.number), ("seven", 7));
/// # });
/// ```
pub trait FromRow: Sized {
    /// Decodes one row.
    fn from_row(row: &impl Row) -> Result<Self, ReadError>;
}

impl Database {
    /// The first row `sql` selects, if any.
    pub async fn fetch_optional<T: FromRow>(
        &self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Option<T>, ReadError> {
        Ok(self.fetch_all(sql, params).await?.into_iter().next())
    }

    /// Every row `sql` selects.
    pub async fn fetch_all<T: FromRow>(
        &self,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Vec<T>, ReadError> {
        if let Some(reads) = &self.sqlite_reads {
            match reads.read(|connection| sqlite_rows(connection, sql, params)) {
                Ok(rows) => return Ok(rows),
                // Busy, or a connection that would not open: the pool has
                // the timeouts and reports what persists.
                Err(error) => tracing::debug!(%error, "read on this thread failed; using the pool"),
            }
        }
        if let Some(reads) = &self.postgres_reads {
            let params: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|param| match param {
                    Param::Text(text) => text as &(dyn ToSql + Sync),
                    Param::Integer(number) => number,
                    Param::Texts(texts) => texts,
                })
                .collect();
            return reads
                .query(sql, &params)
                .await?
                .iter()
                .map(T::from_row)
                .collect();
        }
        let mut query = sqlx::query(sql);
        for param in params {
            query = match *param {
                Param::Text(text) => query.bind(text),
                Param::Integer(number) => query.bind(number),
                Param::Texts(_) => return Err(ReadError::ListParameter),
            };
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(T::from_row)
            .collect()
    }
}

fn sqlite_rows<T: FromRow>(
    connection: &rusqlite::Connection,
    sql: &str,
    params: &[Param<'_>],
) -> Result<Vec<T>, ReadError> {
    let mut statement = connection.prepare_cached(sql)?;
    // rusqlite binds by position, and SQLite numbers `$N` in order of
    // appearance: the statement must name them in that order.
    debug_assert!(
        (1..=statement.parameter_count())
            .all(|i| statement.parameter_name(i) == Some(format!("${i}").as_str())),
        "{sql}: parameters out of order"
    );
    let mut rows = statement.query(rusqlite::params_from_iter(params))?;
    let mut decoded = Vec::new();
    while let Some(row) = rows.next()? {
        decoded.push(T::from_row(row)?);
    }
    Ok(decoded)
}
