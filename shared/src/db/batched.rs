//! Reads of one row by its key, gathered into one statement per thread on
//! PostgreSQL.
//!
//! A pipelined read ([`super::PostgresReads`]) still costs a statement
//! each: an executor and a snapshot on the server, a wake-up of its backend
//! and of the reading thread. Under load a worker thread has many reads
//! waiting at once, so those that arrive while its statement runs wait for
//! the next one, which asks for all their keys (`WHERE key = ANY($1)`) and
//! answers each. Every statement starts after each read it answers arrived,
//! so a read sees every write committed before it began, as it would alone.
//! A read that finds none in flight runs at once: a quiet server answers as
//! soon as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::{Database, FromRow, Param, ReadError, lock, thread_number};

/// Most keys one statement asks for; the rest wait for the next.
const MOST_KEYS: usize = 256;

/// Rows of type `T` read by a text key, gathered per thread. Built by
/// [`KeyedReads::new`] where the database is PostgreSQL.
pub struct KeyedReads<T> {
    database: Database,
    /// Selects the rows whose key is in `$1` (a `text[]`).
    sql: &'static str,
    key_of: fn(&T) -> &str,
    queues: Box<[Mutex<Queue<T>>]>,
}

impl<T> std::fmt::Debug for KeyedReads<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedReads")
            .field("sql", &self.sql)
            .finish_non_exhaustive()
    }
}

type Answer<T> = Result<Option<Arc<T>>, Arc<ReadError>>;

struct Queue<T> {
    /// A statement of this queue is in flight (its task drains the queue).
    running: bool,
    waiting: Vec<(String, oneshot::Sender<Answer<T>>)>,
}

impl<T: FromRow + Send + Sync + 'static> KeyedReads<T> {
    /// Gathered reads of `sql`, which takes the keys as `$1` (`... WHERE
    /// name = ANY($1)`); `key_of` is the key of a row it returns. `None`
    /// where reads are not pipelined on PostgreSQL: there each read goes
    /// alone.
    pub fn new(
        database: &Database,
        sql: &'static str,
        key_of: fn(&T) -> &str,
    ) -> Option<Arc<Self>> {
        let threads = database.postgres_reads.as_ref()?.threads();
        Some(Arc::new(Self {
            database: database.clone(),
            sql,
            key_of,
            queues: (0..threads)
                .map(|_| {
                    Mutex::new(Queue {
                        running: false,
                        waiting: Vec::new(),
                    })
                })
                .collect(),
        }))
    }

    /// The row with `key`, if there is one, no older than the last write
    /// committed before the call.
    pub async fn get(self: &Arc<Self>, key: &str) -> Result<Option<Arc<T>>, ReadError> {
        let queue = thread_number() % self.queues.len();
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut waiting = lock(&self.queues[queue]);
            waiting.waiting.push((key.to_owned(), answer));
            !std::mem::replace(&mut waiting.running, true)
        };
        if start {
            // A task of this thread, so that the statement goes on this
            // thread's connection, and finishes if the caller goes away.
            tokio::spawn(Arc::clone(self).drain(queue));
        }
        match answered.await {
            Ok(answer) => answer.map_err(ReadError::Shared),
            Err(_) => Err(ReadError::Abandoned),
        }
    }

    /// Runs statements for the queue's reads until none wait.
    async fn drain(self: Arc<Self>, queue: usize) {
        let mut stopping = Stopping {
            queue: &self.queues[queue],
            armed: true,
        };
        loop {
            let batch = {
                let mut waiting = lock(stopping.queue);
                if waiting.waiting.is_empty() {
                    waiting.running = false;
                    stopping.armed = false;
                    return;
                }
                let count = waiting.waiting.len().min(MOST_KEYS);
                waiting.waiting.drain(..count).collect::<Vec<_>>()
            };
            let mut keys: Vec<&str> = batch.iter().map(|(key, _)| key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            let rows = self
                .database
                .fetch_all::<T>(self.sql, &[Param::Texts(&keys)])
                .await;
            match rows {
                Ok(rows) => {
                    let rows: Vec<Arc<T>> = rows.into_iter().map(Arc::new).collect();
                    let by_key: HashMap<&str, &Arc<T>> =
                        rows.iter().map(|row| ((self.key_of)(row), row)).collect();
                    for (key, answer) in batch {
                        let row = by_key.get(key.as_str()).map(|row| Arc::clone(row));
                        // A caller that went away needs no answer.
                        let _ = answer.send(Ok(row));
                    }
                }
                Err(error) => {
                    let error = Arc::new(error);
                    for (_, answer) in batch {
                        // A caller that went away needs no answer.
                        let _ = answer.send(Err(Arc::clone(&error)));
                    }
                }
            }
        }
    }
}

/// Frees the queue if its task ends early (a panic): the reads waiting get
/// [`ReadError::Abandoned`], and the next read starts a task.
struct Stopping<'a, T> {
    queue: &'a Mutex<Queue<T>>,
    armed: bool,
}

impl<T> Drop for Stopping<'_, T> {
    fn drop(&mut self) {
        if self.armed {
            let mut waiting = lock(self.queue);
            waiting.running = false;
            waiting.waiting.clear();
        }
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use std::collections::BTreeSet;

    use sqlx::Executor as _;

    use super::*;
    use crate::db::{Migrations, Row, open};
    use crate::settings::DatabaseSettings;

    /// A row, and the number of the statement that read it (an
    /// uncorrelated subquery runs once per statement).
    #[derive(Debug)]
    struct Word {
        word: String,
        number: i64,
        statement: i64,
    }

    impl FromRow for Word {
        fn from_row(row: &impl Row) -> Result<Self, ReadError> {
            Ok(Self {
                word: row.get(0)?,
                number: row.get(1)?,
                statement: row.get(2)?,
            })
        }
    }

    // The division fails the statement that reads 'zero'.
    const GET_MANY: &str = "SELECT word, number, (SELECT nextval('statements')) \
                            FROM words WHERE word = ANY($1) AND number / number = 1";

    /// `None` on SQLite, where there is nothing to test.
    async fn words() -> Option<(crate::testing::TestDatabase, Database)> {
        let test = crate::testing::TestDatabase::new().await;
        let settings = DatabaseSettings {
            url: test.url().to_owned().into(),
            max_connections: 2,
            connect_timeout_seconds: 2,
            statement_timeout_seconds: 2,
        };
        let database = open(&settings, Migrations::NONE).await.expect("opens");
        if !test.is_postgres() {
            assert!(KeyedReads::new(&database, GET_MANY, |word: &Word| &word.word).is_none());
            let list = database
                .fetch_all::<Word>(GET_MANY, &[Param::Texts(&["w1"])])
                .await;
            assert!(matches!(list, Err(ReadError::ListParameter)), "{list:?}");
            database.close().await;
            return None;
        }
        database
            .pool
            .execute(
                "CREATE SEQUENCE statements; \
                 CREATE TABLE words (word TEXT PRIMARY KEY, number BIGINT NOT NULL); \
                 INSERT INTO words SELECT 'w' || n, n FROM generate_series(1, 20) AS n; \
                 INSERT INTO words VALUES ('zero', 0);",
            )
            .await
            .expect("the table");
        Some((test, database))
    }

    fn gathered(database: &Database) -> Arc<KeyedReads<Word>> {
        KeyedReads::new(database, GET_MANY, |word: &Word| &word.word).expect("PostgreSQL")
    }

    // CI runs the crate's tests on PostgreSQL too.
    #[tokio::test]
    async fn reads_waiting_together_share_a_statement_and_each_gets_its_own_row() {
        let Some((_test, database)) = words().await else {
            return;
        };
        let reads = gathered(&database);
        let keys: Vec<String> = (0..120).map(|n| format!("w{}", n % 30)).collect();
        let answers = futures_util::future::join_all(keys.iter().map(|key| reads.get(key))).await;
        let mut statements = BTreeSet::new();
        for (key, answer) in keys.iter().zip(answers) {
            match answer.expect("read") {
                Some(word) => {
                    assert_eq!(word.word, *key);
                    assert_eq!(word.number, key[1..].parse::<i64>().expect("a number"));
                    statements.insert(word.statement);
                }
                None => assert!(
                    key == "w0" || key[1..].parse::<u32>().expect("n") > 20,
                    "{key}"
                ),
            }
        }
        // All 120 were waiting before the first statement ran.
        assert_eq!(statements.len(), 1, "{statements:?}");
        database.close().await;
    }

    /// A read never joins a statement that began before it: a write
    /// committed before the read is seen, while other reads keep a
    /// statement in flight throughout.
    #[tokio::test]
    async fn a_read_sees_every_write_committed_before_it_began() {
        let Some((_test, database)) = words().await else {
            return;
        };
        let reads = gathered(&database);
        let done = std::sync::atomic::AtomicBool::new(false);
        let background = async {
            let mut count = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                reads.get("w1").await.expect("read");
                count += 1;
            }
            count
        };
        let writes = async {
            for number in 1..=60 {
                sqlx::query("UPDATE words SET number = $1 WHERE word = 'w1'")
                    .bind(number)
                    .execute(&database.pool)
                    .await
                    .expect("written");
                let word = reads.get("w1").await.expect("read").expect("a row");
                assert_eq!(word.number, number, "read after the write of {number}");
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        let ((), background_reads) = futures_util::future::join(writes, background).await;
        assert!(background_reads > 0);
        database.close().await;
    }

    #[tokio::test]
    async fn a_failed_statement_fails_the_reads_it_gathered_and_the_next_read_succeeds() {
        let Some((_test, database)) = words().await else {
            return;
        };
        let reads = gathered(&database);
        // Division by zero for one key fails the statement that asks for it.
        let answers =
            futures_util::future::join_all(["w2", "zero", "w4"].map(|key| reads.get(key))).await;
        for answer in answers {
            let error = answer.expect_err("the statement failed");
            let cause =
                std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
                    .last()
                    .map(ToString::to_string);
            assert!(
                cause
                    .as_deref()
                    .is_some_and(|c| c.contains("division by zero")),
                "{error:?}"
            );
        }
        let word = reads.get("w4").await.expect("read").expect("a row");
        assert_eq!(word.number, 4);
        database.close().await;
    }
}
