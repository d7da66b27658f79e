//! Reads with one round trip, for PostgreSQL.
//!
//! sqlx's pool pings every connection as it comes back (a `Sync` message and
//! its answer), so each query through it is two round trips to the server
//! and two wake-ups of its backend process: on a read of one row by primary
//! key, half the work. A handler that only reads can use these connections
//! instead.
//!
//! Policy: at most `max_connections` connections (beside the pool's), opened
//! when first needed, with the pool's session settings (statement and lock
//! timeouts). A connection goes back only when its read succeeded
//! ([`ReadConnection::keep`]): one that failed, or whose read was cancelled
//! midway, is closed, so no broken or half-read connection is reused. One
//! idle for [`PING_WHEN_IDLE_FOR`] or more is pinged first, as the pool does,
//! since a network or a restart may have dropped it. Waiting for a
//! connection, connecting included, is bounded by `connect_timeout_seconds`.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::AnyConnection;
use sqlx::{ConnectOptions as _, Connection as _, Executor as _};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::PING_WHEN_IDLE_FOR;

/// Connections to one PostgreSQL database for reads, without the pool's
/// pings.
#[derive(Debug)]
pub struct PostgresReads {
    options: AnyConnectOptions,
    /// Run on each new connection (the pool's `after_connect`).
    setup: String,
    idle: Mutex<Vec<(AnyConnection, Instant)>>,
    slots: Semaphore,
    wait: Duration,
}

/// A connection for one read: give it back with [`Self::keep`] once the
/// read succeeded; dropped otherwise, it is closed.
#[derive(Debug)]
pub struct ReadConnection<'a> {
    connection: Option<AnyConnection>,
    reads: &'a PostgresReads,
    _slot: SemaphorePermit<'a>,
}

impl PostgresReads {
    pub(super) fn new(
        options: AnyConnectOptions,
        setup: String,
        max_connections: u32,
        wait: Duration,
    ) -> Self {
        Self {
            options,
            setup,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(usize::try_from(max_connections.max(1)).unwrap_or(1)),
            wait,
        }
    }

    /// An idle connection, or a new one.
    pub async fn acquire(&self) -> Result<ReadConnection<'_>, sqlx::Error> {
        let started = Instant::now();
        let slot = tokio::time::timeout(self.wait, self.slots.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let left = self.wait.saturating_sub(started.elapsed());
        let connection = tokio::time::timeout(left, self.idle_or_new())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        Ok(ReadConnection {
            connection: Some(connection),
            reads: self,
            _slot: slot,
        })
    }

    /// Closes the idle connections (at shutdown).
    pub(super) fn close(&self) {
        self.idle().clear();
    }

    /// An idle connection that answers (pinged if idle a while), else a new
    /// one. A ping to a server a network dropped can hang: the caller bounds it.
    async fn idle_or_new(&self) -> Result<AnyConnection, sqlx::Error> {
        loop {
            // Popped in a statement of its own: the lock is not held across the ping.
            let idle = self.idle().pop();
            let Some((mut connection, idle_since)) = idle else {
                return self.connect().await;
            };
            if idle_since.elapsed() < PING_WHEN_IDLE_FOR || connection.ping().await.is_ok() {
                return Ok(connection);
            }
        }
    }

    async fn connect(&self) -> Result<AnyConnection, sqlx::Error> {
        let mut connection = self.options.connect().await?;
        connection.execute(self.setup.as_str()).await?;
        Ok(connection)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(AnyConnection, Instant)>> {
        // Only whole pushes and pops happen under the lock: a poisoned list is intact.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ReadConnection<'_> {
    /// The read succeeded: the connection goes back for the next one.
    pub fn keep(mut self) {
        if let Some(connection) = self.connection.take() {
            self.reads.idle().push((connection, Instant::now()));
        }
    }
}

impl Deref for ReadConnection<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.connection.as_ref().expect("held until kept")
    }
}

impl DerefMut for ReadConnection<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.connection.as_mut().expect("held until kept")
    }
}
