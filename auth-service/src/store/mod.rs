//! All SQL lives here, behind [`AuthStore`]: a trait and a file per table
//! (`users`, `sessions`, `clients`, `authorizations`, `audit`, `throttle`,
//! `mfa`, `recovery`), each with its
//! row types and statements; `sql` holds what they share. One
//! implementation, [`SqlAuthStore`], serves SQLite and PostgreSQL: each statement is written
//! once with `$N` placeholders, which both drivers bind. Times passed in and
//! out as `i64` are milliseconds since the Unix epoch. The store knows
//! nothing of HTTP; `routes` maps [`StoreError`] to 503.

mod audit;
mod authorizations;
mod clients;
mod mfa;
mod recovery;
mod sessions;
mod sql;
mod throttle;
mod users;

use async_trait::async_trait;

pub use audit::{AuditEvent, AuditFilter, AuditStore};
pub use authorizations::{AuthorizationCode, AuthorizationStore, BrowserSession};
pub use clients::{Client, ClientChange, ClientStore};
pub use mfa::{Confirmation, MfaStore, Totp};
pub use recovery::{Link, LinkPurpose, NewLink, RecoveryStore};
pub use sessions::{Family, NewRefreshToken, RefreshToken, SessionStore};
pub use sql::{MIGRATIONS, SqlAuthStore};
pub use throttle::{ThrottleKey, ThrottleStore};
pub(crate) use users::holds_admin;
pub use users::{AdminRule, Changed, InsertUserError, User, UserChange, UserStore};

/// The database failed or could not be reached; the cause is for the log.
#[derive(Debug, thiserror::Error)]
#[error("the auth store failed")]
pub struct StoreError(#[source] pub anyhow::Error);

/// The service's tables, whatever the database: a trait per table (or
/// pair of tables), and what spans them.
#[async_trait]
pub trait AuthStore:
    UserStore
    + SessionStore
    + ClientStore
    + AuthorizationStore
    + AuditStore
    + ThrottleStore
    + MfaStore
    + RecoveryStore
    + Send
    + Sync
    + 'static
{
    /// Deletes ended families (and their tokens), ended throttle windows,
    /// expired codes and browser sessions, and audit events from before
    /// `audit_before`.
    async fn purge_expired(&self, now: i64, audit_before: i64) -> Result<Purged, StoreError>;
}

/// What one purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub audit_events: u64,
    /// Refresh families, each with its tokens.
    pub sessions: u64,
    pub throttle_windows: u64,
    /// Expired authorization codes, spent or not.
    pub authorization_codes: u64,
    /// Ended or expired signed-in browsers.
    pub browser_sessions: u64,
    /// Expired sign-in challenges (a code never given).
    pub sign_in_challenges: u64,
    /// Expired mailed links.
    pub links: u64,
}
