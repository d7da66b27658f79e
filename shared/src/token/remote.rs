//! A JWK Set fetched from a URL in the background (feature `remote-keys`).
//!
//! Policy: fetch at start, then again when the answer's `Cache-Control:
//! max-age` runs out (kept within [`RemoteKeyOptions`]'s bounds; five minutes
//! without one); after a failure retry at 1, 2, 4 ... seconds up to the
//! lower bound, keeping the last good ring meanwhile, so an outage of the
//! issuer never turns valid tokens into refusals. An unknown `kid` asks
//! for one fetch out of turn per cooldown ([`Keys::refresh_for_unknown_kid`]).
//! One fetch at a time, on a thread of its own: request handling never
//! performs one.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use jsonwebtoken::Algorithm;
use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};

use super::source::{Refresh, Shared};
use super::{KeyRing, Keys};
use crate::clock::Clock;

/// A JWK Set larger than this is refused (ours is well under 1 KiB a key).
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// How long a set without `Cache-Control: max-age` is kept.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// How a remote JWK Set is kept fresh.
#[derive(Debug, Clone)]
pub struct RemoteKeyOptions {
    /// Least time between two fetches asked for by unknown key ids.
    pub cooldown: Duration,
    /// The shortest a set is kept, whatever `max-age` says (`no-cache` too).
    pub min_refresh: Duration,
    /// The longest a set is kept, whatever `max-age` says.
    pub max_refresh: Duration,
    /// One fetch's limit, connecting included; also the longest a request
    /// with an unknown key id waits for the fetch it asked for.
    pub timeout: Duration,
    /// What the cooldown is counted on.
    pub clock: Clock,
}

impl Default for RemoteKeyOptions {
    fn default() -> Self {
        Self {
            cooldown: Duration::from_secs(30),
            min_refresh: Duration::from_secs(30),
            max_refresh: Duration::from_secs(3600),
            timeout: Duration::from_secs(3),
            clock: Clock::system(),
        }
    }
}

impl Keys {
    /// A ring fetched from `url` (a JWK Set document), refreshed in the
    /// background as the module says. It is empty until the first fetch
    /// succeeds: [`Keys::current`] is `None` and every token is refused
    /// meanwhile.
    ///
    /// ```no_run
    /// use jsonwebtoken::Algorithm;
    /// use shared::token::{Keys, RemoteKeyOptions, TokenVerifier};
    ///
    /// let keys = Keys::fetch_jwks(
    ///     "http://auth-service:8081/.well-known/jwks.json",
    ///     Algorithm::ES256,
    ///     RemoteKeyOptions::default(),
    /// )
    /// .expect("an http URL");
    /// let verifier = TokenVerifier::new(keys, "auth-service", "reports-service", 30);
    /// # let _ = verifier;
    /// ```
    pub fn fetch_jwks(
        url: &str,
        algorithm: Algorithm,
        options: RemoteKeyOptions,
    ) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if parsed.scheme() != "http" {
            return Err(format!(
                "`{url}`: only http is fetched (this build has no TLS client); reach the issuer \
                 on the internal network or through a TLS-terminating sidecar, or publish the \
                 set as a file (JWT_JWKS_FILE)"
            ));
        }
        super::keys::check_public_key_algorithm(algorithm).map_err(|e| e.to_string())?;
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            // Fetches are minutes apart: a kept connection would be closed
            // by the issuer's keep-alive and fail the next fetch.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let refresh = Arc::new(Refresh::new(
            options.cooldown,
            options.timeout,
            options.clock.clone(),
        ));
        let keys = Keys::new(None, "url", Some(refresh.clone()));
        let shared = keys.downgrade();
        let url = parsed.to_string();
        std::thread::Builder::new()
            .name("jwt-keys-fetch".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(keep_fresh(
                        shared, &refresh, &client, &url, algorithm, &options,
                    )),
                    Err(error) => tracing::error!(%error, "cannot start fetching the JWK Set"),
                }
            })
            .map_err(|e| format!("cannot start fetching the JWK Set: {e}"))?;
        Ok(keys)
    }
}

async fn keep_fresh(
    shared: Weak<Shared>,
    refresh: &Refresh,
    client: &reqwest::Client,
    url: &str,
    algorithm: Algorithm,
    options: &RemoteKeyOptions,
) {
    let mut next = Duration::ZERO;
    let mut backoff = Duration::from_secs(1);
    loop {
        tokio::select! {
            () = tokio::time::sleep(next) => {}
            () = refresh.wake.notified() => {}
        }
        if refresh.closed.load(Ordering::Acquire) {
            return;
        }
        let Some(keys) = Keys::upgrade(&shared) else {
            return;
        };
        refresh.in_flight.store(true, Ordering::Release);
        keys.count_fetch();
        match fetch(client, url, algorithm).await {
            Ok((ring, max_age)) => {
                let changed = keys
                    .current()
                    .is_none_or(|current| !current.kids().eq(ring.kids()));
                if changed {
                    tracing::info!(kids = ?ring.kids().collect::<Vec<_>>(), "JWK Set fetched: keys changed");
                }
                keys.replace(ring);
                next = max_age
                    .unwrap_or(DEFAULT_MAX_AGE)
                    .clamp(options.min_refresh, options.max_refresh);
                backoff = Duration::from_secs(1);
            }
            Err(error) => {
                keys.count_failure();
                tracing::warn!(%url, %error, "fetching the JWK Set failed: the last good keys stay");
                next = backoff.min(options.min_refresh);
                backoff = (backoff * 2).min(options.min_refresh);
            }
        }
        refresh.in_flight.store(false, Ordering::Release);
        refresh.done.send_modify(|generation| *generation += 1);
    }
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
    algorithm: Algorithm,
) -> Result<(KeyRing, Option<Duration>), String> {
    let mut response = client
        .get(url)
        .header(ACCEPT, "application/jwk-set+json, application/json")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("the issuer answered {}", response.status()));
    }
    let max_age = max_age(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(format!("the JWK Set is larger than {MAX_JWKS_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let ring = KeyRing::from_jwks(algorithm, &body).map_err(|e| e.to_string())?;
    Ok((ring, max_age))
}

/// `Cache-Control: max-age=N` as a duration; `no-cache`/`no-store` as zero.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let directives = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase());
    let mut found = None;
    for directive in directives {
        if directive == "no-cache" || directive == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            found = seconds
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CACHE_CONTROL, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age(&headers("public, max-age=300")),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age(&headers("no-store")), Some(Duration::ZERO));
        assert_eq!(max_age(&headers("public")), None);
        assert_eq!(max_age(&headers("max-age=soon")), None);
        assert_eq!(max_age(&HeaderMap::new()), None);
    }

    #[test]
    fn only_http_urls_and_offered_algorithms_are_taken() {
        let options = RemoteKeyOptions::default();
        let https = Keys::fetch_jwks(
            "https://issuer/jwks.json",
            Algorithm::ES256,
            options.clone(),
        );
        assert!(https.expect_err("no TLS").contains("only http"));
        assert!(Keys::fetch_jwks("not a url", Algorithm::ES256, options.clone()).is_err());
        assert!(Keys::fetch_jwks("http://issuer/jwks.json", Algorithm::RS256, options).is_err());
    }

    /// A one-route HTTP server on a thread: answers every request with the
    /// current body, or 503 while failing; counts the requests.
    struct Issuer {
        url: String,
        body: Arc<std::sync::Mutex<String>>,
        failing: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Issuer {
        fn start(body: String) -> Self {
            use std::io::{BufRead as _, BufReader, Write as _};
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let url = format!(
                "http://{}/jwks.json",
                listener.local_addr().expect("address")
            );
            let body = Arc::new(std::sync::Mutex::new(body));
            let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (served, fails) = (body.clone(), failing.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let answer = if fails.load(Ordering::SeqCst) {
                        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned()
                    } else {
                        let body = served.lock().expect("lock").clone();
                        format!(
                            "HTTP/1.1 200 OK\r\ncache-control: max-age=86400\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    let _ = stream.write_all(answer.as_bytes());
                }
            });
            Self { url, body, failing }
        }
    }

    fn set_of(pems: &str) -> String {
        let ring = KeyRing::from_pem(Algorithm::EdDSA, pems, None).expect("ring");
        serde_json::to_string(&ring.jwks()).expect("JSON")
    }

    fn wait_for(what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_set_is_refreshed_within_bounds_and_the_last_good_one_outlives_failures() {
        const ONE: &str = include_str!("../../testdata/ed25519-1.public.pem");
        const TWO: &str = include_str!("../../testdata/ed25519-2.public.pem");
        let issuer = Issuer::start(set_of(ONE));
        let options = RemoteKeyOptions {
            cooldown: Duration::from_millis(100),
            min_refresh: Duration::from_millis(50),
            // The issuer says a day: the bound wins.
            max_refresh: Duration::from_millis(100),
            timeout: Duration::from_secs(1),
            clock: Clock::system(),
        };
        let keys = Keys::fetch_jwks(&issuer.url, Algorithm::EdDSA, options).expect("keys");
        wait_for("the first fetch", || keys.current().is_some());
        let status = keys.status();
        assert_eq!(
            (status.source, status.keys, status.refresh_failures),
            ("url", 1, 0)
        );
        assert!(status.age.is_some());

        issuer.failing.store(true, Ordering::SeqCst);
        wait_for("a failed refresh", || keys.status().refresh_failures >= 2);
        assert_eq!(keys.current().expect("the last good set").kids().count(), 1);

        *issuer.body.lock().expect("lock") = set_of(&format!("{ONE}{TWO}"));
        issuer.failing.store(false, Ordering::SeqCst);
        wait_for("the refreshed set", || keys.status().keys == 2);
        assert!(keys.status().fetches >= 4);
    }
}
