//! Where a key ring comes from, and how it changes while a service runs.
//!
//! [`Keys`] is what a verifier and a signer read on every request: the
//! current [`KeyRing`], swapped whole when its source changes, so that one
//! request sees one ring, the old or the new. Sources: a fixed ring; files
//! (PEM keys or a JWK Set), re-read when their bytes change however they are
//! replaced; a JWK Set URL (feature `remote-keys`), fetched in the
//! background. A source that breaks keeps the last good ring.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::{ArcSwapOption, Guard};
use sha2::{Digest, Sha256};

use super::KeyRing;

/// The current key ring and where it comes from. Cheap to clone (a handle).
///
/// ```
/// use std::time::Duration;
/// use jsonwebtoken::Algorithm;
/// use shared::token::{KeyRing, Keys};
///
/// let dir = tempfile::tempdir().expect("a temporary folder");
/// let path = dir.path().join("jwks.json");
/// let first = KeyRing::from_pem(Algorithm::EdDSA, include_str!("../../testdata/ed25519-1.public.pem"), None)
///     .expect("a key");
/// std::fs::write(&path, serde_json::to_vec(&first.jwks()).expect("JSON")).expect("written");
///
/// let keys = Keys::watch_files(vec![path.clone()], Duration::from_millis(20), |files| {
///     KeyRing::from_jwks(Algorithm::EdDSA, &files[0]).map_err(|e| e.to_string())
/// })
/// .expect("the file reads");
/// assert!(keys.current().expect("a ring").kids().eq(first.kids()));
///
/// // The next key is published: the file is replaced, the ring follows.
/// let both = KeyRing::from_pem(
///     Algorithm::EdDSA,
///     concat!(include_str!("../../testdata/ed25519-1.public.pem"), include_str!("../../testdata/ed25519-2.public.pem")),
///     None,
/// )
/// .expect("two keys");
/// std::fs::write(&path, serde_json::to_vec(&both.jwks()).expect("JSON")).expect("written");
/// let deadline = std::time::Instant::now() + Duration::from_secs(10);
/// while keys.current().expect("a ring").kids().count() < 2 {
///     assert!(std::time::Instant::now() < deadline, "the new file was not read");
///     std::thread::sleep(Duration::from_millis(10));
/// }
///
/// // A broken file keeps the last good ring.
/// std::fs::write(&path, "not JSON").expect("written");
/// std::thread::sleep(Duration::from_millis(100));
/// assert_eq!(keys.current().expect("a ring").kids().count(), 2);
/// assert!(keys.status().refresh_failures >= 1);
/// ```
#[derive(Clone)]
pub struct Keys {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    ring: ArcSwapOption<KeyRing>,
    source: &'static str,
    /// Milliseconds since the epoch when the current ring was loaded; 0: never.
    loaded_at_ms: AtomicU64,
    refresh_failures: AtomicU64,
    fetches: AtomicU64,
    refresh: Option<Arc<Refresh>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The fetching thread waits on `wake`: let it see that nobody listens.
        if let Some(refresh) = &self.refresh {
            refresh.closed.store(true, Ordering::Release);
            refresh.wake.notify_one();
        }
    }
}

/// How a remote source is asked for a fetch out of turn, and told it ended.
pub(crate) struct Refresh {
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) done: tokio::sync::watch::Sender<u64>,
    pub(crate) in_flight: AtomicBool,
    pub(crate) closed: AtomicBool,
    /// When (the clock's milliseconds) an unknown key id last asked for a fetch.
    last_unknown_kid_fetch: Mutex<Option<i64>>,
    cooldown: Duration,
    clock: crate::clock::Clock,
    wait: Duration,
}

impl Refresh {
    #[cfg(feature = "remote-keys")]
    /// The first fetch counts as under way from the start: a request that
    /// comes before it waits for it rather than asking for another.
    pub(crate) fn new(cooldown: Duration, wait: Duration, clock: crate::clock::Clock) -> Self {
        Self {
            wake: tokio::sync::Notify::new(),
            done: tokio::sync::watch::Sender::new(0),
            in_flight: AtomicBool::new(true),
            closed: AtomicBool::new(false),
            last_unknown_kid_fetch: Mutex::new(None),
            cooldown,
            clock,
            wait,
        }
    }
}

/// What a key source has done, for metrics and health.
#[derive(Debug, Clone, PartialEq)]
pub struct KeysStatus {
    /// `fixed`, `files` or `url`.
    pub source: &'static str,
    /// Keys in the current ring; 0 before the first load.
    pub keys: usize,
    /// Time since the current ring was loaded; `None` before the first load.
    pub age: Option<Duration>,
    /// Reads or fetches that failed (the last good ring stayed).
    pub refresh_failures: u64,
    /// Fetches of a remote JWK Set started.
    pub fetches: u64,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("source", &self.shared.source)
            .field("ring", &self.current())
            .finish()
    }
}

impl From<KeyRing> for Keys {
    fn from(ring: KeyRing) -> Self {
        Self::fixed(ring)
    }
}

impl From<Arc<KeyRing>> for Keys {
    fn from(ring: Arc<KeyRing>) -> Self {
        Self::new(Some(ring), "fixed", None)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Keys {
    pub(crate) fn new(
        ring: Option<Arc<KeyRing>>,
        source: &'static str,
        refresh: Option<Arc<Refresh>>,
    ) -> Self {
        let loaded_at_ms = if ring.is_some() { now_ms() } else { 0 };
        Self {
            shared: Arc::new(Shared {
                ring: ArcSwapOption::new(ring),
                source,
                loaded_at_ms: AtomicU64::new(loaded_at_ms),
                refresh_failures: AtomicU64::new(0),
                fetches: AtomicU64::new(0),
                refresh,
            }),
        }
    }

    /// A ring that never changes.
    pub fn fixed(ring: KeyRing) -> Self {
        Arc::new(ring).into()
    }

    /// A ring built by `build` from the bytes of `paths` (in order), rebuilt
    /// when any of them changes: their bytes are compared every `poll`, so a
    /// file written in place, renamed over or swapped through a symbolic
    /// link (a Kubernetes volume) is seen alike. A file that cannot be read
    /// or a ring that does not build is logged and counted, and the last
    /// good ring stays. Fails when the first read or build does.
    pub fn watch_files<F>(paths: Vec<PathBuf>, poll: Duration, build: F) -> Result<Self, String>
    where
        F: Fn(&[Vec<u8>]) -> Result<KeyRing, String> + Send + 'static,
    {
        let contents = read_files(&paths)?;
        let ring = build(&contents)?;
        let keys = Self::new(Some(Arc::new(ring)), "files", None);
        let shared = Arc::downgrade(&keys.shared);
        let seen = Ok(digest(&contents));
        std::thread::Builder::new()
            .name("jwt-keys-watch".into())
            .spawn(move || watch(&shared, &paths, poll, &build, seen))
            .map_err(|e| format!("cannot start watching the key files: {e}"))?;
        Ok(keys)
    }

    /// The ring now; `None` while a remote source has never answered.
    pub fn current(&self) -> Option<Arc<KeyRing>> {
        self.shared.ring.load_full()
    }

    /// The ring now, without counting a reference (the per-request path).
    pub(crate) fn load(&self) -> Guard<Option<Arc<KeyRing>>> {
        self.shared.ring.load()
    }

    pub(crate) fn replace(&self, ring: KeyRing) {
        self.shared.ring.store(Some(Arc::new(ring)));
        self.shared.loaded_at_ms.store(now_ms(), Ordering::Release);
    }

    pub(crate) fn count_failure(&self) {
        self.shared.refresh_failures.fetch_add(1, Ordering::Relaxed);
    }

    #[cfg(feature = "remote-keys")]
    pub(crate) fn count_fetch(&self) {
        self.shared.fetches.fetch_add(1, Ordering::Relaxed);
    }

    #[cfg(feature = "remote-keys")]
    pub(crate) fn downgrade(&self) -> Weak<Shared> {
        Arc::downgrade(&self.shared)
    }

    pub(crate) fn upgrade(shared: &Weak<Shared>) -> Option<Self> {
        shared.upgrade().map(|shared| Self { shared })
    }

    /// What the source has done so far.
    pub fn status(&self) -> KeysStatus {
        let loaded_at = self.shared.loaded_at_ms.load(Ordering::Acquire);
        KeysStatus {
            source: self.shared.source,
            keys: self.current().map_or(0, |ring| ring.kids().count()),
            age: (loaded_at > 0).then(|| Duration::from_millis(now_ms().saturating_sub(loaded_at))),
            refresh_failures: self.shared.refresh_failures.load(Ordering::Relaxed),
            fetches: self.shared.fetches.load(Ordering::Relaxed),
        }
    }

    /// After a token named a key id the ring lacks: a fetch that may bring
    /// it, to wait for (bounded by the source's wait). `None` when the
    /// source cannot change that way or its cooldown since the last such
    /// fetch has not passed, so forged ids cost at most one fetch per
    /// cooldown. A fetch already under way is waited for, not repeated.
    pub fn refresh_for_unknown_kid(&self) -> Option<impl Future<Output = ()> + 'static + use<>> {
        let refresh = self.shared.refresh.clone()?;
        let mut done = refresh.done.subscribe();
        if !refresh.in_flight.load(Ordering::Acquire) {
            let mut last = refresh
                .last_unknown_kid_fetch
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = refresh.clock.now_ms();
            let cooldown_ms = i64::try_from(refresh.cooldown.as_millis()).unwrap_or(i64::MAX);
            if last.is_some_and(|at| now.saturating_sub(at) < cooldown_ms) {
                return None;
            }
            *last = Some(now);
            refresh.wake.notify_one();
        }
        Some(async move {
            let _ended_or_late = tokio::time::timeout(refresh.wait, done.changed()).await;
        })
    }
}

fn read_files(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    paths
        .iter()
        .map(|path| {
            std::fs::read(path).map_err(|e| format!("{} cannot be read: {e}", path.display()))
        })
        .collect()
}

/// Compared instead of the bytes, so that no copy of a private key lingers.
fn digest(contents: &[Vec<u8>]) -> Vec<[u8; 32]> {
    contents
        .iter()
        .map(|bytes| Sha256::digest(bytes).into())
        .collect()
}

fn watch<F>(
    shared: &Weak<Shared>,
    paths: &[PathBuf],
    poll: Duration,
    build: &F,
    mut seen: Result<Vec<[u8; 32]>, String>,
) where
    F: Fn(&[Vec<u8>]) -> Result<KeyRing, String>,
{
    loop {
        std::thread::sleep(poll);
        let Some(keys) = Keys::upgrade(shared) else {
            return;
        };
        let read = read_files(paths);
        let now = read.as_deref().map(digest).map_err(Clone::clone);
        if now == seen {
            continue;
        }
        seen = now;
        match read.and_then(|contents| build(&contents)) {
            Ok(ring) => {
                tracing::info!(kids = ?ring.kids().collect::<Vec<_>>(), "key files changed: keys reloaded");
                keys.replace(ring);
            }
            Err(error) => {
                keys.count_failure();
                tracing::warn!(%error, "key files changed but do not load: the last good keys stay");
            }
        }
    }
}
