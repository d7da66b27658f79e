//! Where "now" comes from. Every expiry, window and timestamp reads a
//! [`Clock`] handed in at start, never the system time directly, so tests
//! move time forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system clock in production; a manual one in tests, shared by every
/// clone, that moves only when told.
///
/// ```
/// use std::time::Duration;
/// use shared::clock::Clock;
///
/// let clock = Clock::manual();
/// let start = clock.now_ms();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now_ms() - start, 90_000);
/// assert_eq!(clock.clone().now_seconds(), clock.now_seconds());
/// assert!(Clock::system().now_seconds() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The operating system's clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that starts at the system's now and then moves only by
    /// [`Clock::advance`].
    pub fn manual() -> Self {
        Self {
            manual_ms: Some(Arc::new(AtomicI64::new(system_ms()))),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved and
    /// ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(manual) = &self.manual_ms {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            manual.fetch_add(by, Ordering::SeqCst);
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match &self.manual_ms {
            Some(manual) => manual.load(Ordering::SeqCst),
            None => system_ms(),
        }
    }

    /// Whole seconds since the Unix epoch (JWT NumericDate).
    pub fn now_seconds(&self) -> u64 {
        u64::try_from(self.now_ms() / 1000).unwrap_or(0)
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
