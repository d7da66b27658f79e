//! Failed-login throttling, per account name and per client address, in
//! fixed windows kept in the database (so every replica sees the same
//! counts). A throttled login gets 429 with `Retry-After` whether or not the
//! password is right, so the answer never hints at the password.
//!
//! The trade-off: anyone can lock an account for one window by failing its
//! logins; the window is short (5 minutes by default) for that reason, and
//! the per-client limit stops one address from trying many accounts.

use std::net::IpAddr;

use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use shared::problem::{ApiError, Problem};

use crate::settings::ThrottleSettings;
use crate::store::{AuthStore, ThrottleKey};

/// Who is trying to log in, as the throttle counts them.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    account: String,
    client: String,
}

impl LoginAttempt {
    /// An attempt on the account with this name key from this client address.
    pub fn new(username_key: &str, client_address: &str) -> Self {
        Self {
            account: format!("account:{username_key}"),
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

    /// How many proxies' `X-Forwarded-For` entries to trust.
    pub fn trusted_proxy_hops(&self) -> usize {
        self.settings.trusted_proxy_hops
    }

    /// 429 when either key has used up its failures in the current window.
    pub async fn check(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
        now: i64,
    ) -> Result<(), ApiError> {
        let Some(until) = store
            .throttled_until(&attempt.keys(&self.settings), now)
            .await?
        else {
            return Ok(());
        };
        let seconds = (until - now + 999) / 1000;
        tracing::info!(retry_after = seconds, "login throttled");
        crate::metrics::LOGINS_THROTTLED.inc();
        Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed logins; try again in {seconds} seconds"),
        )
        .with_header(RETRY_AFTER, HeaderValue::from(seconds.max(1)))
        .into())
    }

    /// Counts a failure against the account and the client.
    pub async fn failed(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
        now: i64,
    ) -> Result<(), ApiError> {
        crate::metrics::LOGIN_FAILURES.inc();
        let window =
            i64::try_from(self.settings.window_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        Ok(store
            .record_failure(&attempt.keys(&self.settings), now, window)
            .await?)
    }

    /// Forgets the account's failures (the client's stay counted).
    pub async fn succeeded(
        &self,
        store: &dyn AuthStore,
        attempt: &LoginAttempt,
    ) -> Result<(), ApiError> {
        Ok(store.clear_failures(&attempt.account).await?)
    }
}

/// The client's address: the TCP peer, or behind `trusted_hops` proxies the
/// entry that many places from the right of `X-Forwarded-For` (each proxy
/// appends the address it saw; entries further left are the client's word).
pub fn client_address(req: &HttpRequest, trusted_hops: usize) -> String {
    let peer = req
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    if trusted_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(trusted_hops)
        .and_then(|index| forwarded.get(index))
        .and_then(|entry| entry.parse::<IpAddr>().ok())
        .map_or(peer, |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(forwarded: &[&str]) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr("10.0.0.9:4000".parse().expect("addr"));
        for value in forwarded {
            req = req.append_header(("x-forwarded-for", *value));
        }
        req.to_http_request()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(client_address(&request(&["1.2.3.4"]), 0), "10.0.0.9");
    }

    #[test]
    fn behind_one_proxy_the_last_entry_is_the_client() {
        let req = request(&["6.6.6.6, 1.2.3.4"]);
        assert_eq!(client_address(&req, 1), "1.2.3.4");
    }

    #[test]
    fn behind_two_proxies_the_second_entry_from_the_right_is_the_client() {
        let req = request(&["6.6.6.6", "1.2.3.4, 10.1.1.1"]);
        assert_eq!(client_address(&req, 2), "1.2.3.4");
    }

    #[test]
    fn a_missing_or_bogus_entry_falls_back_to_the_peer() {
        assert_eq!(client_address(&request(&[]), 1), "10.0.0.9");
        assert_eq!(client_address(&request(&["not-an-ip"]), 1), "10.0.0.9");
    }
}
