//! The `login_throttle` table: failures per key in fixed windows, shared
//! by every replica.

use async_trait::async_trait;
use sqlx::Row as _;

use super::sql::{commit_events, failed};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// A throttle key and the failures it may have in a window.
#[derive(Debug, Clone)]
pub struct ThrottleKey {
    /// `account:<name key>` or `client:<address>`.
    pub key: String,
    /// Failures allowed in one window.
    pub max_failures: i64,
}

/// The failed-login counts.
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// The latest window end among keys that used up their failures, if any.
    async fn throttled_until(
        &self,
        keys: &[ThrottleKey],
        now: i64,
    ) -> Result<Option<i64>, StoreError>;

    /// Counts a failure (or a request, where requests are what is
    /// limited) against each key, with its event if any (a new window
    /// starts when the last ended).
    async fn record_failure(
        &self,
        keys: &[ThrottleKey],
        now: i64,
        window: i64,
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError>;

    /// Forgets a key's failures (a successful login).
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;
}

#[async_trait]
impl ThrottleStore for SqlAuthStore {
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
        event: Option<&NewEvent>,
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
        commit_events(tx, event.cloned().as_slice(), "committing a failed login").await
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        let clear = sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key);
        self.write_one(clear, "clearing failed logins")
            .await
            .map(drop)
    }
}
