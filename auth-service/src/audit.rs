//! The audit log: what happened to users, sessions and clients. Each event
//! is written by the store in the transaction of the change it records (a
//! refused or failed change leaves none), logged as a structured line after
//! the commit, listed at `GET /v1/admin/audit`, and purged after
//! `AUTH__AUDIT__RETENTION_DAYS`. Never a password, token or secret.

macro_rules! events {
    ($($name:ident = $text:literal,)*) => {
        $(#[doc = concat!("`", $text, "`")] pub const $name: &str = $text;)*
        /// Every event name, as stored and listed.
        pub const EVENTS: &[&str] = &[$($name),*];
    };
}

events! {
    USER_REGISTERED = "user_registered",
    LOGIN_SUCCEEDED = "login_succeeded",
    LOGIN_FAILED = "login_failed",
    LOGIN_THROTTLED = "login_throttled",
    TOKEN_REFRESHED = "token_refreshed",
    CODE_EXCHANGED = "code_exchanged",
    CODE_REUSE_DETECTED = "code_reuse_detected",
    REFRESH_REUSE_DETECTED = "refresh_reuse_detected",
    LOGOUT = "logout",
    TOKEN_REVOKED = "token_revoked",
    PASSWORD_CHANGED = "password_changed",
    USER_DISABLED = "user_disabled",
    USER_ENABLED = "user_enabled",
    USER_DELETED = "user_deleted",
    SCOPES_CHANGED = "scopes_changed",
    SESSIONS_REVOKED = "sessions_revoked",
    CLIENT_CREATED = "client_created",
    CLIENT_CHANGED = "client_changed",
    CLIENT_DELETED = "client_deleted",
    CLIENT_AUTH_FAILED = "client_auth_failed",
    MFA_ENABLED = "mfa_enabled",
    MFA_DISABLED = "mfa_disabled",
    MFA_FAILED = "mfa_failed",
    MFA_RESET = "mfa_reset",
    RECOVERY_CODE_USED = "recovery_code_used",
    EMAIL_CHANGED = "email_changed",
    EMAIL_VERIFIED = "email_verified",
    PASSWORD_RESET_REQUESTED = "password_reset_requested",
    PASSWORD_RESET = "password_reset",
}

/// An audit event to write with the change it records.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// When.
    pub at: i64,
    /// What: `login_succeeded`, `user_disabled`, ... (see [`EVENTS`]).
    pub event: &'static str,
    /// The user it concerns.
    pub user_id: Option<String>,
    /// The user who did it, when not the user it concerns.
    pub actor_id: Option<String>,
    /// The client it concerns or that did it.
    pub client_id: Option<String>,
    /// Where the request came from.
    pub client_address: Option<String>,
    /// More, as JSON; never a password, token or secret.
    pub detail: Option<serde_json::Value>,
}

/// Who did something, and from where: what each event of a request shares.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The acting user (an admin), when not the user concerned.
    pub user_id: Option<String>,
    /// The acting client.
    pub client_id: Option<String>,
    /// The request's client address.
    pub address: Option<String>,
}

impl Actor {
    /// A request from `address`, by no one in particular.
    pub fn from_address(address: &str) -> Self {
        Self {
            address: Some(address.to_owned()),
            ..Self::default()
        }
    }

    /// An event of this actor at `at`.
    pub fn event(&self, event: &'static str, at: i64) -> NewEvent {
        NewEvent {
            at,
            event,
            actor_id: self.user_id.clone(),
            client_id: self.client_id.clone(),
            client_address: self.address.clone(),
            ..NewEvent::default()
        }
    }
}

impl NewEvent {
    /// The event concerns this user.
    #[must_use]
    pub fn user(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_owned());
        self
    }

    /// The event concerns this client.
    #[must_use]
    pub fn client(mut self, client_id: &str) -> Self {
        self.client_id = Some(client_id.to_owned());
        self
    }

    /// More about it (never a password, token or secret).
    #[must_use]
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// The structured log line of a committed event.
pub fn log(event: &NewEvent) {
    tracing::info!(
        target: "audit",
        event = event.event,
        user_id = event.user_id.as_deref(),
        actor_id = event.actor_id.as_deref(),
        client_id = event.client_id.as_deref(),
        client_address = event.client_address.as_deref(),
        detail = event.detail.as_ref().map(tracing::field::display),
        "audit"
    );
}
