//! Reads pipelined on one connection per worker thread, for PostgreSQL.
//!
//! Through sqlx a connection carries one query at a time, so every read is a
//! round trip of its own: a write and a read of the socket on each side and
//! a wake-up of the server's backend process. tokio-postgres queues the
//! queries of every task that shares a client and writes them together, so
//! the reads that a worker thread has in flight at once share system calls
//! and wake-ups; each is still its own statement, answered in order.
//!
//! Policy: a thread reads through one connection (at most `max_connections`
//! of them, beside the pool's; threads beyond that share), opened when first
//! needed, with the pool's session settings and generic plans, each
//! statement prepared once on it. A connection the server or the network
//! closed is replaced at the next read; one idle for [`PING_WHEN_IDLE_FOR`]
//! or more is pinged first, as the pool does. Getting a connection,
//! connecting or pinging included, is bounded by `connect_timeout_seconds`.
//! A read cancelled midway leaves the connection intact: tokio-postgres reads
//! and drops its answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::{PING_WHEN_IDLE_FOR, ReadError, lock, thread_number};

/// Connections to one PostgreSQL database for reads, one per reading thread.
#[derive(Debug)]
pub(crate) struct PostgresReads {
    config: tokio_postgres::Config,
    /// Run on each new connection (the pool's `after_connect`).
    setup: String,
    slots: Box<[Slot]>,
    wait: Duration,
}

#[derive(Debug, Default)]
struct Slot {
    current: Mutex<Option<Arc<Pipe>>>,
    /// Held while connecting, so that a thread's waiting reads share one connect.
    connecting: tokio::sync::Mutex<()>,
}

/// A connection and the statements prepared on it.
struct Pipe {
    client: Client,
    statements: Mutex<HashMap<&'static str, Statement>>,
    last_used: Mutex<Instant>,
}

impl std::fmt::Debug for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipe")
            .field("closed", &self.client.is_closed())
            .finish_non_exhaustive()
    }
}

impl PostgresReads {
    pub(super) fn new(
        config: tokio_postgres::Config,
        setup: String,
        max_connections: u32,
        wait: Duration,
    ) -> Self {
        let count = usize::try_from(max_connections.max(1)).unwrap_or(1);
        Self {
            config,
            setup,
            slots: (0..count).map(|_| Slot::default()).collect(),
            wait,
        }
    }

    /// How many threads read on a connection of their own.
    pub(super) fn threads(&self) -> usize {
        self.slots.len()
    }

    /// Any number of rows.
    pub(crate) async fn query(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, ReadError> {
        let (pipe, statement) = self.prepared(sql).await?;
        Ok(pipe.client.query(&statement, params).await?)
    }

    /// This thread's connection, and `sql` prepared on it.
    async fn prepared(&self, sql: &'static str) -> Result<(Arc<Pipe>, Statement), ReadError> {
        let pipe = self.pipe().await?;
        let statement = pipe.statement(sql).await?;
        Ok((pipe, statement))
    }

    /// Closes the connections (at shutdown).
    pub(super) fn close(&self) {
        for slot in &self.slots {
            lock(&slot.current).take();
        }
    }

    /// This thread's connection, open and answering.
    async fn pipe(&self) -> Result<Arc<Pipe>, ReadError> {
        let slot = &self.slots[thread_number() % self.slots.len()];
        if let Some(pipe) = lock(&slot.current).clone() {
            if pipe.claim() {
                return Ok(pipe);
            }
        }
        tokio::time::timeout(self.wait, self.replace(slot))
            .await
            .map_err(|_| ReadError::TimedOut(self.wait))?
    }

    /// The slot's connection once pinged, or a new one.
    async fn replace(&self, slot: &Slot) -> Result<Arc<Pipe>, ReadError> {
        let _connecting = slot.connecting.lock().await;
        // Out of the slot while pinged: if the ping outlasts the wait, it goes.
        let current = lock(&slot.current).take();
        let pipe = match current {
            // Another read of this slot connected or pinged meanwhile.
            Some(pipe) if pipe.claim() => pipe,
            Some(pipe)
                if !pipe.client.is_closed() && pipe.client.simple_query("").await.is_ok() =>
            {
                pipe.used();
                pipe
            }
            _ => Arc::new(self.connect().await?),
        };
        *lock(&slot.current) = Some(Arc::clone(&pipe));
        Ok(pipe)
    }

    async fn connect(&self) -> Result<Pipe, ReadError> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a PostgreSQL read connection ended");
            }
        });
        client.batch_execute(&self.setup).await?;
        // The reads here look rows up by key, where the generic plan is the
        // one a custom plan would be. Left to choose, PostgreSQL plans a
        // gathered `= ANY($1)` anew on every statement (its estimate for an
        // array of unknown length loses to one for the array at hand):
        // measured, 15.5 µs of the server's time per read, 9 µs without.
        client
            .batch_execute("SET plan_cache_mode = force_generic_plan")
            .await?;
        Ok(Pipe {
            client,
            statements: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
        })
    }
}

impl Pipe {
    /// Open, and used recently enough to need no ping: then used now.
    fn claim(&self) -> bool {
        let now = Instant::now();
        let mut last_used = lock(&self.last_used);
        if self.client.is_closed() || now.duration_since(*last_used) >= PING_WHEN_IDLE_FOR {
            return false;
        }
        *last_used = now;
        true
    }

    fn used(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    /// `sql` prepared on this connection (once).
    async fn statement(&self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = lock(&self.statements).get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        lock(&self.statements).insert(sql, statement.clone());
        Ok(statement)
    }
}
