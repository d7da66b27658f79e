//! Reads on the calling thread, for SQLite.
//!
//! sqlx runs each SQLite connection on a thread of its own: every query is
//! a message to that thread and a wake-up back, which costs several times a
//! point read from SQLite's page cache. A handler that only reads can use
//! these connections instead.
//!
//! Policy: read-only connections on the same file, opened when first needed,
//! one per thread reading at that moment, never held across an `.await`;
//! the file is read through a memory map ([`MMAP_BYTES`]).
//! In WAL mode a reader sees every committed write and does not wait for
//! writers. The busy timeout is zero: a read that would wait, or fails in
//! any way, returns its error and the caller takes the pool, which has the
//! timeouts and reports failures. A slow disk holds the calling thread for
//! the read, as it would hold the pool's thread.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::lock;

/// Idle connections kept. Reads at once are bounded by the HTTP workers
/// (two per core), so this is one per worker up to 32 cores; more threads
/// than this reading at once open and close the extra connections.
const MAX_IDLE: usize = 64;

/// How much of the file readers map. A lookup in a file larger than the
/// page cache was one `pread` of a leaf page per read; mapped, it is a
/// memory access (1,000,000 items: 0.75x of 1,000 items' reads before,
/// 0.9x after). The price: a disk error while reading a mapped page is a
/// SIGBUS that ends the process rather than a 503, so the service restarts
/// (its orchestrator's job) instead of answering errors. Only the database
/// file is mapped, not the WAL; SQLite remaps when the file changes size
/// under its locks.
pub(super) const MMAP_BYTES: i64 = 1 << 30;

/// Read-only connections to one SQLite file, used on the calling thread.
#[derive(Debug)]
pub(crate) struct SqliteReads {
    path: PathBuf,
    /// The pool's VFS: connections of one process must agree on it.
    vfs: String,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteReads {
    pub(super) fn new(path: PathBuf, vfs: String) -> Self {
        Self {
            path,
            vfs,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection (or a new one) on this thread.
    /// Prefer `prepare_cached`: each connection keeps its statements.
    pub(crate) fn read<T, E: From<rusqlite::Error>>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = self.idle().pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = read(&connection);
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
        result
    }

    /// The VFS the connections open the file with.
    pub(super) fn vfs(&self) -> &str {
        &self.vfs
    }

    /// Closes the idle connections (at shutdown, once no read can come; a
    /// later read would open one again).
    pub(super) fn close(&self) {
        self.idle().clear();
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags_and_vfs(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            &self.vfs,
        )?;
        // rusqlite's default is 5 s; a busy database is the pool's to wait for.
        connection.busy_timeout(Duration::ZERO)?;
        connection.pragma_update(None, "mmap_size", MMAP_BYTES)?;
        Ok(connection)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        lock(&self.idle)
    }
}
