//! The command line every service has: serving (the default) and the
//! container health check, parsed by clap; the exit code with a one-line
//! message.

use std::process::ExitCode;

use crate::settings::{ServerSettings, SettingsError};

/// The subcommands every service has; a service with more flattens these
/// into its own (`#[command(flatten)]`).
#[derive(Debug, Clone, Copy, clap::Subcommand)]
pub enum ServiceCommand {
    /// Serve the HTTP API until SIGTERM or SIGINT (the default).
    Serve,
    /// Exit 0 when `GET /health/ready` on the configured port answers 200
    /// (the container health check; the image has no curl).
    Healthcheck,
}

/// `SERVICE healthcheck`: 0 when `GET /health/ready` on the configured port
/// answers 200 (the runtime image has no curl).
///
/// ```
/// use std::process::ExitCode;
/// use shared::settings::ServerSettings;
///
/// // Nothing listens on port 9 (discard): the check fails, as it should.
/// let server = ServerSettings {
///     host: "127.0.0.1".into(), port: 9, workers: 1,
///     shutdown_timeout_seconds: 1, max_connections_per_worker: 16,
///     public_url: "http://localhost".into(),
///     admin_socket: None,
/// };
/// assert_eq!(shared::cli::healthcheck("svc", Ok(server)), ExitCode::FAILURE);
/// ```
pub fn healthcheck(service: &str, server: Result<ServerSettings, SettingsError>) -> ExitCode {
    let probe = server
        .map_err(|e| e.to_string())
        .and_then(|s| crate::http::probe(&s.host, s.port, "/health/ready"));
    exit(service, probe.map(|()| String::new()))
}

/// Prints the message (to stdout) or the error (to stderr) after the service
/// name, and the matching exit code.
///
/// ```
/// use std::process::ExitCode;
/// assert_eq!(shared::cli::exit("svc", Err("bad".into())), ExitCode::FAILURE);
/// ```
pub fn exit(service: &str, result: Result<String, String>) -> ExitCode {
    match result {
        Ok(message) => {
            if !message.is_empty() {
                println!("{service}: {message}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{service}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a service: logging, then `build` (settings, database, listener),
/// then serving until SIGTERM or SIGINT. A failure exits non-zero with a
/// message that says what to fix.
///
/// ```
/// use shared::http::BoundServer;
///
/// async fn build() -> anyhow::Result<BoundServer> {
///     anyhow::bail!("JWT_SECRET is not set")
/// }
///
/// // A failed build is one line on stderr and exit code 1, for `main` to return.
/// let code = shared::cli::serve("reports-service", build);
/// assert_eq!(code, std::process::ExitCode::FAILURE);
/// ```
pub fn serve<F, Fut>(service: &str, build: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<crate::http::BoundServer>>,
{
    crate::telemetry::init();
    let served = actix_web::rt::System::new().block_on(async move {
        build().await?.run_until_stopped().await?;
        anyhow::Ok(String::new())
    });
    exit(service, served.map_err(|e| format!("{e:#}")))
}
