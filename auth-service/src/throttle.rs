//! Failed-login throttling, per account name (or service client id) and
//! per client address, in fixed windows kept in the database (so every
//! replica sees the same counts). A throttled login or client
//! authentication is refused whether or not the password or secret is
//! right (routes answer 429 with `Retry-After`), so the refusal never hints
//! at it.
//!
//! The trade-off: anyone can lock an account, or a service client whose id
//! they know, for one window by failing its logins; the window is short (5
//! minutes by default) for that reason, and the per-address limit, which
//! logins and client authentications share, stops one address from trying
//! many accounts or clients.

use crate::audit::NewEvent;
use crate::settings::ThrottleSettings;
use crate::store::{AuthStore, StoreError, ThrottleKey};

/// Why a login may not be tried now.
#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    /// Too many recent failures: try again after this many seconds.
    #[error("too many failed attempts; try again in {retry_after_seconds} seconds")]
    Throttled {
        /// At least 1.
        retry_after_seconds: u64,
    },
    /// The counts could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is trying to log in, as the throttle counts them.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// What the counters call it.
    kind: Kind,
    account: String,
    client: String,
}

/// A password check, a client's secret check, or a request for a mailed
/// link: the metrics and the log tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    Client,
    Mail,
}

impl LoginAttempt {
    /// An attempt on the account with this name key from this client address.
    pub fn new(username_key: &str, client_address: &str) -> Self {
        Self {
            kind: Kind::Login,
            account: format!("account:{username_key}"),
            client: format!("client:{client_address}"),
        }
    }

    /// A second factor (a one-time or recovery code) for the user
    /// `user_id` from this address: counted apart from the password, so
    /// that a right password never forgets wrong codes.
    pub fn second_factor(user_id: &str, client_address: &str) -> Self {
        Self {
            kind: Kind::Login,
            account: format!("mfa:{user_id}"),
            client: format!("client:{client_address}"),
        }
    }

    /// A request for a mailed link (a password reset) naming `target` (a
    /// name or address key, whether or not any user has it) from this
    /// address: every request counts, so that nobody can flood a mailbox
    /// or try many accounts.
    pub fn mail(target: &str, client_address: &str) -> Self {
        Self {
            kind: Kind::Mail,
            account: format!("mail:{target}"),
            client: format!("mail-client:{client_address}"),
        }
    }

    /// A service client authenticating as `client_id` from this address.
    pub fn client(client_id: &str, client_address: &str) -> Self {
        Self {
            kind: Kind::Client,
            account: format!("oauth-client:{client_id}"),
            client: format!("client:{client_address}"),
        }
    }

    fn keys(&self, settings: &ThrottleSettings) -> [ThrottleKey; 2] {
        [
            ThrottleKey {
                key: self.account.clone(),
                max_failures: settings.max_failures_per_account.into(),
            },
            ThrottleKey {
                key: self.client.clone(),
                max_failures: settings.max_failures_per_client.into(),
            },
        ]
    }
}

/// The throttle over a store.
pub struct Throttle {
    settings: ThrottleSettings,
}

impl Throttle {
    /// A throttle with these limits.
    pub fn new(settings: ThrottleSettings) -> Self {
        Self { settings }
    }

    /// Refused when either key has used up its failures in the current window.
    pub async fn check(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
        now: i64,
    ) -> Result<(), ThrottleError> {
        let Some(until) = store
            .throttled_until(&attempt.keys(&self.settings), now)
            .await?
        else {
            return Ok(());
        };
        let seconds = u64::try_from((until - now + 999) / 1000)
            .unwrap_or(0)
            .max(1);
        match attempt.kind {
            Kind::Login => {
                tracing::info!(retry_after = seconds, "login throttled");
                crate::metrics::LOGINS_THROTTLED.inc();
            }
            Kind::Client => {
                tracing::info!(retry_after = seconds, "client authentication throttled");
                crate::metrics::CLIENT_AUTH_THROTTLED.inc();
            }
            Kind::Mail => {
                tracing::info!(retry_after = seconds, "password reset request throttled");
                crate::metrics::RECOVERY_THROTTLED.inc();
            }
        }
        Err(ThrottleError::Throttled {
            retry_after_seconds: seconds,
        })
    }

    /// Counts a failure against the account and the client.
    pub async fn failed(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
        now: i64,
        event: &NewEvent,
    ) -> Result<(), StoreError> {
        match attempt.kind {
            Kind::Login => crate::metrics::LOGIN_FAILURES.inc(),
            Kind::Client => crate::metrics::CLIENT_AUTH_FAILURES.inc(),
            Kind::Mail => 0,
        };
        self.count(store, attempt, now, Some(event)).await
    }

    /// Counts an attempt against the account and the client.
    pub async fn count(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
        now: i64,
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError> {
        let window =
            i64::try_from(self.settings.window_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        store
            .record_failure(&attempt.keys(&self.settings), now, window, event)
            .await
    }

    /// Forgets the account's failures (the client's stay counted).
    pub async fn succeeded(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
    ) -> Result<(), StoreError> {
        store.clear_failures(&attempt.account).await
    }
}
