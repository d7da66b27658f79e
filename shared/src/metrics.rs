//! Prometheus metrics, one registry per process, served at `/metrics` in
//! the OpenMetrics text format.
//!
//! Label values are bounded: route templates (`/v1/items/{name}`, never the
//! raw path), methods, status codes, and fixed reason names.
//!
//! ```
//! use shared::metrics::prometheus_client::metrics::counter::Counter;
//!
//! // A service's own metric, registered once and then used anywhere.
//! let imports = shared::metrics::register("doc_imports", "Items imported.", Counter::<u64>::default());
//! imports.inc();
//! assert!(shared::metrics::render().contains("doc_imports_total 1"));
//! ```

use std::sync::{LazyLock, Mutex, Once};

use actix_web::HttpResponse;
use actix_web::http::header::CONTENT_TYPE;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};

use crate::token::Keys;

/// The client library, so that a service registers metrics of the same version.
pub use prometheus_client;

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(Registry::default()));

/// Adds `metric` to the process's registry under `name` and gives it back
/// (metrics are shared handles). Register each name once, at start. The
/// exposition ends `help` with a period: write it without one.
pub fn register<M: Metric + Clone>(name: &str, help: &str, metric: M) -> M {
    // prometheus-client appends the period itself.
    registry().register(name, help.trim_end_matches('.'), metric.clone());
    metric
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    // A panic while the lock was held cannot leave a registry half-changed.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every registered metric in the OpenMetrics text format.
pub fn render() -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, &registry());
    text
}

/// The value of one series (name and labels exactly as rendered) in an
/// exposition, if present; for tests and probes.
///
/// ```
/// let text = "logins_total 3\nhttp_requests_total{route=\"/a\"} 5\n";
/// assert_eq!(shared::metrics::sample(text, r#"http_requests_total{route="/a"}"#), Some(5.0));
/// assert_eq!(shared::metrics::sample(text, "logins"), None);
/// ```
pub fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.split(' ').next()?.parse().ok()
    })
}

/// The handler of `GET /metrics` (registered by `crate::operations`).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",

    tag = "operations",
    summary = "Prometheus metrics.",
    description = "OpenMetrics text: requests and their durations by route and status, \
                   token rejections by reason, and the service's own counters. Needs no \
                   token: publish it to your scraper only.",
    responses((
        status = 200,
        description = "Prometheus metrics.",
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8",
        body = String,
    )),
)]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ))
        .body(render())
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RequestLabels, Histogram>,
    token_rejections: Family<ReasonLabel, Counter>,
}

fn duration_histogram() -> Histogram {
    // 0.5 ms to about 4 s: health checks to a queued password check.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

static HTTP: LazyLock<HttpMetrics> = LazyLock::new(|| HttpMetrics {
    requests: register(
        "http_requests",
        "HTTP requests answered, by method, route template and status.",
        Family::default(),
    ),
    duration: register(
        "http_request_duration_seconds",
        "Time from the request to its response, by method, route template and status.",
        Family::new_with_constructor(duration_histogram),
    ),
    token_rejections: register(
        "token_rejections",
        "Requests refused for their access token, by reason.",
        Family::default(),
    ),
});

/// Registers the metrics every service has, each token rejection reason at
/// zero (request series appear with their first request).
pub fn init() {
    crate::auth::count_rejections_with(record_token_rejection);
    let reasons = crate::token::VerifyError::ALL.map(|rejection| rejection.reason());
    for reason in reasons.into_iter().chain(crate::auth::HEADER_REJECTIONS) {
        drop(HTTP.token_rejections.get_or_create(&ReasonLabel { reason }));
    }
}

/// The keys whose state `/metrics` shows; the last given wins.
static WATCHED_KEYS: Mutex<Option<Keys>> = Mutex::new(None);

/// Shows the state of the service's verification keys on every scrape:
/// `jwt_keys` (keys in the ring), `jwt_keys_age_seconds` (since the ring was
/// loaded), `jwt_keys_refresh_failures_total` (reads or fetches that failed,
/// the last good ring kept) and `jwt_keys_fetches_total` (of a JWK Set
/// URL). Tokens naming unknown keys are `token_rejections_total{reason="unknown_kid"}`.
pub fn watch_keys(keys: Keys) {
    static REGISTERED: Once = Once::new();
    *WATCHED_KEYS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(keys);
    REGISTERED.call_once(|| registry().register_collector(Box::new(KeysCollector)));
}

#[derive(Debug)]
struct KeysCollector;

impl Collector for KeysCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let watched = WATCHED_KEYS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let Some(status) = watched.map(|keys| keys.status()) else {
            return Ok(());
        };
        let keys = i64::try_from(status.keys).unwrap_or(i64::MAX);
        let keys_help = "Keys in the verification key ring";
        describe(&mut encoder, "jwt_keys", keys_help, ConstGauge::new(keys))?;
        if let Some(age) = status.age {
            let help = "Seconds since the key ring was loaded";
            describe(
                &mut encoder,
                "jwt_keys_age_seconds",
                help,
                ConstGauge::new(age.as_secs_f64()),
            )?;
        }
        let help = "Key reads or fetches that failed; the last good ring stayed";
        let failures = ConstCounter::new(status.refresh_failures);
        describe(&mut encoder, "jwt_keys_refresh_failures", help, failures)?;
        let help = "Fetches of the JWK Set URL started";
        describe(
            &mut encoder,
            "jwt_keys_fetches",
            help,
            ConstCounter::new(status.fetches),
        )
    }
}

/// One metric with its name and help, as a collector writes it on a scrape.
fn describe(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

/// Counts an answered request; `route` is the matched template, if any.
pub(crate) fn record_request(method: &str, route: Option<String>, status: u16, seconds: f64) {
    let labels = RequestLabels {
        method: method.to_owned(),
        route: route.unwrap_or_else(|| "unmatched".to_owned()),
        status,
    };
    HTTP.duration.get_or_create(&labels).observe(seconds);
    HTTP.requests.get_or_create(&labels).inc();
}

/// Counts a request refused for its token (or its Authorization header).
fn record_token_rejection(reason: &'static str) {
    HTTP.token_rejections
        .get_or_create(&ReasonLabel { reason })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_help_text_ends_with_one_period() {
        init();
        let _ = register(
            "test_periods",
            "Written with its period.",
            Counter::<u64>::default(),
        );
        let text = render();
        let helps: Vec<&str> = text.lines().filter(|l| l.starts_with("# HELP")).collect();
        assert!(helps.len() >= 4, "{text}");
        for help in helps {
            assert!(help.ends_with('.') && !help.ends_with(".."), "{help}");
        }
    }

    fn value_of(text: &str, series: &str) -> f64 {
        sample(text, series).unwrap_or(0.0)
    }

    #[test]
    fn a_request_is_counted_under_its_route_template_and_timed() {
        let series = r#"http_requests_total{method="GET",route="/test/{id}",status="200"}"#;
        let before = value_of(&render(), series);
        record_request("GET", Some("/test/{id}".to_owned()), 200, 0.003);
        let text = render();
        assert_eq!(value_of(&text, series), before + 1.0);
        assert!(text.contains(
            r#"http_request_duration_seconds_bucket{le="0.004",method="GET",route="/test/{id}",status="200"}"#
        ), "{text}");
    }

    #[test]
    fn a_request_no_route_matched_is_counted_without_its_path() {
        record_request("GET", None, 404, 0.001);
        assert!(render().contains(r#"route="unmatched",status="404""#));
    }

    #[test]
    fn token_rejections_are_counted_by_reason() {
        let series = r#"token_rejections_total{reason="test_reason"}"#;
        let before = value_of(&render(), series);
        record_token_rejection("test_reason");
        assert_eq!(value_of(&render(), series), before + 1.0);
    }

    #[test]
    fn the_watched_keys_show_their_state() {
        let ring = crate::token::KeyRing::single_hmac(&[3; 32]).expect("ring");
        watch_keys(Keys::fixed(ring));
        let text = render();
        assert_eq!(sample(&text, "jwt_keys"), Some(1.0), "{text}");
        assert!(sample(&text, "jwt_keys_age_seconds").is_some_and(|age| age < 60.0));
        assert_eq!(sample(&text, "jwt_keys_refresh_failures_total"), Some(0.0));
        assert_eq!(sample(&text, "jwt_keys_fetches_total"), Some(0.0));
    }
}
