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

use std::sync::{Arc, LazyLock, Mutex, Once};

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::http::header::CONTENT_TYPE;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
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
    lock(&REGISTRY)
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
struct ReasonLabel {
    reason: &'static str,
}

static TOKEN_REJECTIONS: LazyLock<Family<ReasonLabel, Counter>> = LazyLock::new(|| {
    register(
        "token_rejections",
        "Requests refused for their access token, by reason.",
        Family::default(),
    )
});

/// Upper bounds of the request duration buckets: 0.5 ms to about 4 s,
/// health checks to a queued password check (then `+Inf`).
const DURATION_BOUNDS: [f64; 14] = {
    let mut bounds = [0.0005; 14];
    let mut i = 1;
    while i < bounds.len() {
        bounds[i] = bounds[i - 1] * 2.0;
        i += 1;
    }
    bounds
};

/// One request series (method, route template, status) as one thread saw it.
#[derive(Debug, Clone, Default)]
struct RequestSeries {
    count: u64,
    seconds: f64,
    /// Per bucket, not cumulative; the last is `+Inf`.
    buckets: [u64; DURATION_BOUNDS.len() + 1],
}

impl RequestSeries {
    fn observe(&mut self, seconds: f64) {
        self.count += 1;
        self.seconds += seconds;
        let bucket = DURATION_BOUNDS.partition_point(|&bound| bound < seconds);
        self.buckets[bucket] += 1;
    }

    fn add(&mut self, other: &Self) {
        self.count += other.count;
        self.seconds += other.seconds;
        for (sum, count) in self.buckets.iter_mut().zip(other.buckets) {
            *sum += count;
        }
    }
}

/// The request series one thread recorded. Each worker thread writes only
/// its own shard, and a scrape adds them up: a request then takes no lock
/// and no counter that another core also writes (prometheus-client's
/// families take a shared read lock, and its histogram a mutex per series,
/// on every request).
#[derive(Debug, Default)]
struct RequestShard(Mutex<Vec<ShardSeries>>);

/// A series as a shard keeps it: its labels as the request had them.
#[derive(Debug)]
struct ShardSeries {
    method: Method,
    route: Option<String>,
    status: u16,
    counts: RequestSeries,
}

/// Every thread's shard, for the scrape; a shard outlives its thread, so
/// nothing counted is lost.
static REQUEST_SHARDS: Mutex<Vec<Arc<RequestShard>>> = Mutex::new(Vec::new());

thread_local! {
    static REQUEST_SHARD: Arc<RequestShard> = {
        let shard = Arc::<RequestShard>::default();
        lock(&REQUEST_SHARDS).push(Arc::clone(&shard));
        shard
    };
}

/// A panic while a metrics lock was held leaves nothing half-changed.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// Writes `http_requests_total` and `http_request_duration_seconds` from
/// every shard on a scrape.
#[derive(Debug)]
struct RequestsCollector;

impl Collector for RequestsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let mut merged = std::collections::BTreeMap::<RequestLabels, RequestSeries>::new();
        for shard in lock(&REQUEST_SHARDS).iter() {
            for series in lock(&shard.0).iter() {
                let labels = RequestLabels {
                    method: series.method.as_str().to_owned(),
                    route: series.route.as_deref().unwrap_or("unmatched").to_owned(),
                    status: series.status,
                };
                merged.entry(labels).or_default().add(&series.counts);
            }
        }
        let help = "HTTP requests answered, by method, route template and status.";
        let mut requests =
            encoder.encode_descriptor("http_requests", help, None, MetricType::Counter)?;
        for (labels, series) in &merged {
            ConstCounter::new(series.count).encode(requests.encode_family(labels)?)?;
        }
        let help = "Time from the request to its response, by method, route template and status.";
        let mut durations = encoder.encode_descriptor(
            "http_request_duration_seconds",
            help,
            None,
            MetricType::Histogram,
        )?;
        for (labels, series) in &merged {
            let buckets: Vec<(f64, u64)> = DURATION_BOUNDS
                .into_iter()
                .chain([f64::INFINITY])
                .zip(series.buckets)
                .collect();
            durations
                .encode_family(labels)?
                .encode_histogram::<NoLabelSet>(series.seconds, series.count, &buckets, None)?;
        }
        Ok(())
    }
}

/// Registers the metrics every service has, each token rejection reason at
/// zero (request series appear with their first request).
pub fn init() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| registry().register_collector(Box::new(RequestsCollector)));
    crate::auth::count_rejections_with(record_token_rejection);
    let reasons = crate::token::VerifyError::ALL.map(|rejection| rejection.reason());
    for reason in reasons.into_iter().chain(crate::auth::HEADER_REJECTIONS) {
        drop(TOKEN_REJECTIONS.get_or_create(&ReasonLabel { reason }));
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
    *lock(&WATCHED_KEYS) = Some(keys);
    REGISTERED.call_once(|| registry().register_collector(Box::new(KeysCollector)));
}

#[derive(Debug)]
struct KeysCollector;

impl Collector for KeysCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let watched = lock(&WATCHED_KEYS).clone();
        let Some(status) = watched.map(|keys| keys.status()) else {
            return Ok(());
        };
        let keys = i64::try_from(status.keys).unwrap_or(i64::MAX);
        let keys_help = "Keys in the verification key ring.";
        describe(&mut encoder, "jwt_keys", keys_help, ConstGauge::new(keys))?;
        if let Some(age) = status.age {
            let help = "Seconds since the key ring was loaded.";
            describe(
                &mut encoder,
                "jwt_keys_age_seconds",
                help,
                ConstGauge::new(age.as_secs_f64()),
            )?;
        }
        let help = "Key reads or fetches that failed; the last good ring stayed.";
        let failures = ConstCounter::new(status.refresh_failures);
        describe(&mut encoder, "jwt_keys_refresh_failures", help, failures)?;
        let help = "Fetches of the JWK Set URL started.";
        describe(
            &mut encoder,
            "jwt_keys_fetches",
            help,
            ConstCounter::new(status.fetches),
        )
    }
}

/// One metric with its name and help, as a collector writes it on a scrape
/// (the help as given: end it with a period, as `register` does).
fn describe(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

/// Counts an answered request and its duration, in this thread's shard;
/// `route` is the matched template, if any.
pub(crate) fn record_request(method: &Method, route: Option<String>, status: u16, seconds: f64) {
    REQUEST_SHARD.with(|shard| {
        let mut series = lock(&shard.0);
        // A thread sees a few dozen series at most: a scan that compares
        // the status first costs less than hashing the route.
        let found = series
            .iter_mut()
            .find(|s| s.status == status && s.method == method && s.route == route);
        match found {
            Some(found) => found.counts.observe(seconds),
            None => {
                let mut counts = RequestSeries::default();
                counts.observe(seconds);
                series.push(ShardSeries {
                    method: method.clone(),
                    route,
                    status,
                    counts,
                });
            }
        }
    });
}

/// Counts a request refused for its token (or its Authorization header).
fn record_token_rejection(reason: &'static str) {
    TOKEN_REJECTIONS
        .get_or_create(&ReasonLabel { reason })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_help_text_ends_with_one_period() {
        init();
        let ring = crate::token::KeyRing::single_hmac(&[3; 32]).expect("ring");
        watch_keys(Keys::fixed(ring));
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
        init();
        let series = r#"http_requests_total{method="GET",route="/test/{id}",status="200"}"#;
        let before = value_of(&render(), series);
        record_request(&Method::GET, Some("/test/{id}".to_owned()), 200, 0.003);
        let text = render();
        assert_eq!(value_of(&text, series), before + 1.0);
        assert!(text.contains(
            r#"http_request_duration_seconds_bucket{le="0.004",method="GET",route="/test/{id}",status="200"}"#
        ), "{text}");
    }

    #[test]
    fn requests_from_every_thread_are_summed_into_cumulative_buckets() {
        init();
        let series = r#"method="DELETE",route="/test/threads",status="204""#;
        let record = |seconds: f64| {
            record_request(
                &Method::DELETE,
                Some("/test/threads".to_owned()),
                204,
                seconds,
            );
        };
        std::thread::scope(|threads| {
            for _ in 0..3 {
                threads.spawn(|| {
                    record(0.0005); // on the first bound: in its bucket
                    record(0.003);
                    record(10.0); // past the last bound: only in +Inf
                });
            }
        });
        let text = render();
        let bucket = |le: &str| {
            value_of(
                &text,
                &format!("http_request_duration_seconds_bucket{{le=\"{le}\",{series}}}"),
            )
        };
        assert_eq!(
            value_of(&text, &format!("http_requests_total{{{series}}}")),
            9.0,
            "{text}"
        );
        assert_eq!(bucket("0.0005"), 3.0, "{text}");
        assert_eq!(bucket("0.002"), 3.0);
        assert_eq!(bucket("0.004"), 6.0);
        assert_eq!(bucket("4.096"), 6.0);
        assert_eq!(bucket("+Inf"), 9.0);
        let count = format!("http_request_duration_seconds_count{{{series}}}");
        assert_eq!(value_of(&text, &count), 9.0);
        let sum = value_of(
            &text,
            &format!("http_request_duration_seconds_sum{{{series}}}"),
        );
        assert!((sum - 3.0 * 10.0035).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn a_request_no_route_matched_is_counted_without_its_path() {
        init();
        record_request(&Method::GET, None, 404, 0.001);
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
