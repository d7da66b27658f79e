//! Logging set-up: `tracing` to stdout, filtered by `RUST_LOG` (default
//! `info`), human-readable, or one JSON object a line with `LOG_FORMAT=json`. Policy: no password, token or secret is ever a field or part of a
//! message; request logs carry the method, route, status and latency only.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing, so tests
/// may call it freely.
///
/// ```
/// shared::telemetry::init();
/// shared::telemetry::init();
/// ```
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _already_set = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .try_init()
    };
}
