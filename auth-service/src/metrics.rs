//! auth-service's own Prometheus metrics (the HTTP and token ones are
//! `shared`'s), served with them at `/metrics`.

use std::sync::LazyLock;

use shared::metrics::prometheus_client::metrics::counter::Counter;
use shared::metrics::prometheus_client::metrics::gauge::Gauge;
use shared::metrics::register;

/// Failed password checks: logins and password changes (an unknown name and
/// a wrong password are not told apart, here as anywhere).
pub(crate) static LOGIN_FAILURES: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "login_failures",
        "Password checks that failed (login or password change).",
        Counter::default(),
    )
});

/// Logins answered 429.
pub(crate) static LOGINS_THROTTLED: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "logins_throttled",
        "Logins refused with 429 for too many recent failures.",
        Counter::default(),
    )
});

/// Failed client authentications (an unknown client and a wrong secret
/// alike).
pub(crate) static CLIENT_AUTH_FAILURES: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "client_auth_failures",
        "Client authentications that failed (unknown client or wrong secret).",
        Counter::default(),
    )
});

/// Client authentications answered 429.
pub(crate) static CLIENT_AUTH_THROTTLED: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "client_auth_throttled",
        "Client authentications refused with 429 for too many recent failures.",
        Counter::default(),
    )
});

/// Password checks waiting for a hashing slot now.
pub(crate) static HASH_QUEUE_DEPTH: LazyLock<Gauge> = LazyLock::new(|| {
    register(
        "password_hash_queue_depth",
        "Password checks waiting for an argon2 slot.",
        Gauge::default(),
    )
});

/// Password checks refused because the queue was full (answered 503).
pub(crate) static HASH_QUEUE_FULL: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "password_hash_queue_full",
        "Password checks refused with 503 because the argon2 queue was full.",
        Counter::default(),
    )
});

/// Password reset requests answered 429.
pub(crate) static RECOVERY_THROTTLED: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "password_reset_requests_throttled",
        "Password reset requests refused with 429 for too many recent requests.",
        Counter::default(),
    )
});

/// Mails the SMTP server accepted.
pub(crate) static MAILS_SENT: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "mails_sent",
        "Mails the SMTP server accepted (address verification and password reset links).",
        Counter::default(),
    )
});

/// Mails given up on after every retry, or dropped with the queue full.
pub(crate) static MAILS_FAILED: LazyLock<Counter> = LazyLock::new(|| {
    register(
        "mails_failed",
        "Mails not sent: the SMTP server refused them or could not be reached after every \
         retry, or the queue was full.",
        Counter::default(),
    )
});

/// Registers every metric above, so that they show at zero from the start.
pub fn init() {
    LazyLock::force(&LOGIN_FAILURES);
    LazyLock::force(&LOGINS_THROTTLED);
    LazyLock::force(&CLIENT_AUTH_FAILURES);
    LazyLock::force(&CLIENT_AUTH_THROTTLED);
    LazyLock::force(&HASH_QUEUE_DEPTH);
    LazyLock::force(&HASH_QUEUE_FULL);
    LazyLock::force(&RECOVERY_THROTTLED);
    LazyLock::force(&MAILS_SENT);
    LazyLock::force(&MAILS_FAILED);
}
