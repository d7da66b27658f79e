//! The server every service runs: binding and graceful shutdown, the
//! request log, the answers for unknown routes and methods, and the configs
//! for actix's own extractors. The operations endpoints (health, metrics,
//! the documents) are in [`crate::operations`]; this module imports none of
//! them.

use std::collections::HashMap;
use std::future::Future;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::guard::{Guard, GuardContext};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use futures_util::future::BoxFuture;
use tracing::Instrument as _;

use crate::problem::Problem;

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// [`REQUEST_ID`] as a header name, made at compile time: a `&str` key is
/// checked and lower-cased on every lookup.
static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(REQUEST_ID);

/// The caller's `X-Request-Id` when it is sane (1 to 64 characters of
/// `A-Z a-z 0-9 - _ . :`), else a new UUID: ids end up in every log line, so
/// a client must not be able to write arbitrary text there.
///
/// ```
/// use actix_web::test::TestRequest;
/// let kept = TestRequest::default().insert_header(("x-request-id", "abc-123")).to_srv_request();
/// assert_eq!(shared::http::request_id(&kept), "abc-123");
/// let replaced = TestRequest::default().insert_header(("x-request-id", "a b")).to_srv_request();
/// assert_eq!(shared::http::request_id(&replaced).len(), 36);
/// ```
pub fn request_id(req: &ServiceRequest) -> HeaderValue {
    req.headers()
        .get(&REQUEST_ID_HEADER)
        .filter(|value| {
            let id = value.as_bytes();
            (1..=64).contains(&id.len())
                && id
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
        })
        .cloned()
        .unwrap_or_else(new_request_id)
}

/// A UUID v4 from this thread's buffer of system random bytes, refilled 256
/// ids at a time: a `getrandom` call for each request was a third of the
/// system calls of an authenticated read. Written straight into the header
/// value (no `String` on the way).
fn new_request_id() -> HeaderValue {
    const IDS_PER_FILL: usize = 256;
    thread_local! {
        static RANDOM: std::cell::RefCell<([u8; 16 * IDS_PER_FILL], usize)> =
            const { std::cell::RefCell::new(([0; 16 * IDS_PER_FILL], 16 * IDS_PER_FILL)) };
    }
    let uuid = RANDOM.with_borrow_mut(|(bytes, used)| {
        if *used == bytes.len() {
            if getrandom::fill(bytes).is_err() {
                return uuid::Uuid::new_v4();
            }
            *used = 0;
        }
        let mut id = [0; 16];
        id.copy_from_slice(&bytes[*used..*used + 16]);
        *used += 16;
        uuid::Builder::from_random_bytes(id).into_uuid()
    });
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid.hyphenated().encode_lower(&mut text);
    // Hex digits and hyphens are always a valid header value.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// Middleware: one span per request, carrying its id (the auth extractor
/// adds `user_id`), so every log line of the request has them; one log line
/// when it ends; the id echoed in `X-Request-Id`. The query string is never
/// logged.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or_default(),
        method = %req.method(),
        path = %req.path(),
        user_id = tracing::field::Empty,
    );
    let method = req.method().clone();
    let started = Instant::now();
    let mut result = next.call(req).instrument(span.clone()).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match &mut result {
        Ok(response) => {
            response.headers_mut().insert(REQUEST_ID_HEADER.clone(), id);
            let route = response.request().match_pattern();
            let status = response.status().as_u16();
            tracing::info!(
                route = route.as_deref().unwrap_or_default(),
                status,
                elapsed_ms,
                "request finished"
            );
            crate::metrics::record_request(
                response.request().method(),
                route,
                status,
                elapsed_ms / 1000.0,
            );
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            crate::metrics::record_request(&method, None, status, elapsed_ms / 1000.0);
            tracing::info!(status, elapsed_ms, "request failed");
        }
    }
    result
}

/// The answer for a path no route matches.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no endpoint at this path")
}

/// The answer for a method a resource does not support.
pub async fn method_not_allowed(req: HttpRequest) -> Problem {
    let problem = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not support the method",
    );
    // RFC 9110 15.5.6: a 405 lists the methods the resource has.
    let allow = req
        .app_data::<web::Data<AllowedMethods>>()
        .zip(req.match_pattern())
        .and_then(|(allowed, path)| allowed.allow(&path).map(str::to_owned));
    match allow.and_then(|methods| HeaderValue::from_str(&methods).ok()) {
        Some(methods) => problem.with_header(actix_web::http::header::ALLOW, methods),
        None => problem,
    }
}

/// The methods of each route template, for the `Allow` header of a 405;
/// registered as app data by [`crate::operations::operations`] from the
/// OpenAPI document.
///
/// ```
/// let allowed = shared::http::AllowedMethods::new([("/v1/notes/{id}".to_owned(), "GET, DELETE".to_owned())]);
/// assert_eq!(allowed.allow("/v1/notes/{id}"), Some("GET, DELETE"));
/// assert_eq!(allowed.allow("/nowhere"), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct AllowedMethods(HashMap<String, String>);

impl AllowedMethods {
    /// From `(route template, "GET, PUT")` pairs.
    pub fn new(paths: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(paths.into_iter().collect())
    }

    /// The `Allow` header value for a route template.
    pub fn allow(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }
}

/// A `PathConfig` whose errors are 400 problems (a path segment that is not
/// valid UTF-8 after percent-decoding, say).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| {
        Problem::new(StatusCode::BAD_REQUEST, format!("invalid path: {err}")).into()
    })
}

/// A `QueryConfig` whose errors are 400 problems naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("invalid query string: {err}"),
        )
        .into()
    })
}

/// A resource that answers unsupported methods with a 405 problem.
pub fn resource(path: &str) -> actix_web::Resource {
    RECORDED_PATHS.with(|recorded| {
        if let Some(paths) = recorded.borrow_mut().as_mut() {
            paths.push(path.to_owned());
        }
    });
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// A route of a [`resource`] for requests of one method. actix-web's own
/// (`web::get()` and the like) also note every method they try in each
/// request, an allocation per request, for the `Allow` of a 405 that
/// [`resource`] answers from the OpenAPI document instead.
pub fn method(method: Method) -> actix_web::Route {
    web::route().guard(MethodIs(method))
}

struct MethodIs(Method);

impl Guard for MethodIs {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        ctx.head().method == self.0
    }
}

thread_local! {
    static RECORDED_PATHS: std::cell::RefCell<Option<Vec<String>>> =
        const { std::cell::RefCell::new(None) };
}

/// The path of every resource `configure` registers with [`resource`], for
/// tests that hold the routes against the OpenAPI document.
///
/// ```
/// use actix_web::web;
///
/// let paths = shared::http::registered_paths(|cfg| {
///     cfg.service(shared::http::resource("/v1/things").route(shared::http::method(actix_web::http::Method::GET).to(shared::operations::live)));
/// });
/// assert_eq!(paths, ["/v1/things"]);
/// ```
pub fn registered_paths(configure: impl FnOnce(&mut web::ServiceConfig)) -> Vec<String> {
    RECORDED_PATHS.with(|recorded| *recorded.borrow_mut() = Some(Vec::new()));
    drop(actix_web::App::new().configure(configure));
    RECORDED_PATHS
        .with(|recorded| recorded.borrow_mut().take())
        .unwrap_or_default()
}

/// The container health check: `GET path` on the service's own port over
/// plain TCP (the runtime image has no curl); `Ok` on a 200 answer.
pub fn probe(host: &str, port: u16, path: &str) -> Result<(), String> {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::{TcpStream, ToSocketAddrs as _};
    use std::time::Duration;

    let host = match host {
        "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
        other => other,
    };
    let timeout = Duration::from_secs(2);
    let address = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("no address for {host}"))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .map_err(|e| format!("no answer: {e}"))?;
    if status_line.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("{path} answered: {}", status_line.trim_end()))
    }
}

/// A bound server, not yet running: what [`bind`] returns.
///
/// ```
/// use actix_web::web;
/// use shared::settings::ServerSettings;
///
/// let settings = ServerSettings {
///     host: "127.0.0.1".into(), port: 0, workers: 1,
///     shutdown_timeout_seconds: 1, max_connections_per_worker: 64,
///     public_url: "http://localhost".into(),
///     admin_socket: None,
/// };
/// # actix_web::rt::System::new().block_on(async {
/// let cors = shared::cors::Cors::default();
/// let server = shared::http::bind("notes", &settings, &cors, |cfg| {
///     cfg.service(shared::http::resource("/notes").route(shared::http::method(actix_web::http::Method::GET).to(|| async { "[]" })));
/// })
/// .expect("bound");
/// let port = server.port(); // port 0 in the settings: the system picked one
/// assert_ne!(port, 0);
/// actix_web::rt::spawn(server.run_until_stopped());
///
/// let probe = tokio::task::spawn_blocking(move || shared::http::probe("127.0.0.1", port, "/notes"));
/// assert_eq!(probe.await.expect("probe ran"), Ok(()));
/// # });
/// ```
pub struct BoundServer {
    server: actix_web::dev::Server,
    port: u16,
    on_stop: Vec<BoxFuture<'static, ()>>,
}

impl BoundServer {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then drains in-flight requests and
    /// runs the clean-ups; logs when the shutdown starts and when it ends.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let on_signal = tokio::spawn(async move {
            let signal = shutdown_signal().await;
            tracing::info!(signal, "shutdown started: finishing the requests in flight");
            handle.stop(true).await;
        });
        let served = self.server.await;
        on_signal.abort();
        for cleanup in self.on_stop {
            // Bounded: an unreachable PostgreSQL must not hold the exit
            // (nothing is lost; SQLite replays its WAL at the next start).
            if tokio::time::timeout(ON_STOP_LIMIT, cleanup).await.is_err() {
                tracing::warn!("a clean-up at stop took over {ON_STOP_LIMIT:?}; exiting");
            }
        }
        tracing::info!("shutdown complete");
        served
    }

    /// Runs `cleanup` once the server has stopped and its requests are
    /// done, for at most 5 s: closing the database, so that on SQLite the
    /// file is complete on its own (`shared::db::Database::close`).
    pub fn on_stop(mut self, cleanup: impl Future<Output = ()> + Send + 'static) -> Self {
        self.on_stop.push(Box::pin(cleanup));
        self
    }
}

/// Marks a request that came over the admin socket (`conn_data`): only the
/// service's own user can open it, so it may administer.
///
/// ```
/// use actix_web::HttpRequest;
/// use shared::http::AdminSocket;
///
/// fn is_local(req: &HttpRequest) -> bool {
///     req.conn_data::<AdminSocket>().is_some()
/// }
/// # let _ = is_local;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AdminSocket;

/// The admin socket at `path`, mode 0600 from the moment it can be
/// reached there; a stale file from an earlier run (nobody answering) is
/// replaced, a live one refused.
///
/// `bind` creates the file with the process's umask, so it is bound inside
/// a folder only this user can enter, given its mode there, and then moved
/// to `path` (a rename in the same folder): no other user can connect to
/// it in the moment between `bind` and `chmod`.
fn admin_listener(path: &std::path::Path) -> std::io::Result<std::os::unix::net::UnixListener> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    use std::os::unix::net::{UnixListener, UnixStream};

    let refuse = |why: String| std::io::Error::new(std::io::ErrorKind::AddrInUse, why);
    let failed = |doing: &str, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot {doing} {}: {e}", path.display()))
    };
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(refuse(format!(
                "the admin socket {} is in use by another process",
                path.display()
            )));
        }
        std::fs::remove_file(path)?;
    }
    let name = path
        .file_name()
        .ok_or_else(|| failed("listen on", std::io::ErrorKind::InvalidInput.into()))?;
    let mut private = std::ffi::OsString::from(".");
    private.push(name);
    private.push(format!(".{}", std::process::id()));
    let private = path.with_file_name(private);
    // A folder left by a process of this id that died here.
    let _ = std::fs::remove_dir_all(&private);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&private)
        .map_err(|e| failed("prepare", e))?;
    let staged = private.join("admin.sock");
    let listener = UnixListener::bind(&staged)
        .and_then(|listener| {
            std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))?;
            std::fs::rename(&staged, path)?;
            Ok(listener)
        })
        .map_err(|e| failed("listen on", e));
    let _ = std::fs::remove_dir_all(&private);
    listener
}

/// Binds `settings.host:settings.port` (port 0 picks a free one) and builds
/// the server every service runs: the request log, the extractor configs,
/// problem-details answers for unknown paths, graceful shutdown, and a 5 s
/// limit for a client to send its request head. `configure` registers the
/// service's data and routes. Logs the address as
/// `<service> listening on http://HOST:PORT`. With `settings.admin_socket`,
/// the same app also answers on that Unix socket, its requests marked
/// [`AdminSocket`]. With origins in `cors`, CORS answers before anything
/// else ([`crate::cors`]).
pub fn bind<F>(
    service: &str,
    settings: &crate::settings::ServerSettings,
    cors: &crate::cors::Cors,
    configure: F,
) -> std::io::Result<BoundServer>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    if settings.max_connections_per_worker == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "server.max_connections_per_worker must be at least 1",
        ));
    }
    let listener =
        std::net::TcpListener::bind((settings.host.as_str(), settings.port)).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {}:{}: {e}", settings.host, settings.port),
            )
        })?;
    let port = listener.local_addr()?.port();
    crate::metrics::init();
    let cors = cors.clone();
    let mut server = actix_web::HttpServer::new(move || {
        let cors = cors.clone();
        actix_web::App::new()
            .wrap(actix_web::middleware::Condition::new(
                cors.enabled(),
                actix_web::middleware::from_fn(move |req, next| cors.clone().handle(req, next)),
            ))
            .wrap(actix_web::middleware::from_fn(trace_requests))
            .app_data(path_config())
            .app_data(query_config())
            .configure(configure.clone())
            .default_service(web::to(not_found))
    })
    // Signals are ours (`run_until_stopped`): both drain, and both are logged.
    .disable_signals()
    .shutdown_timeout(settings.shutdown_timeout_seconds)
    .client_request_timeout(std::time::Duration::from_secs(5))
    .max_connections(settings.max_connections_per_worker);
    let workers = match settings.workers {
        0 => WORKERS_PER_CORE * std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    server = server.workers(workers);
    warn_if_over_open_file_limit(workers * settings.max_connections_per_worker);
    let mut server = server.listen(listener)?;
    if let Some(path) = &settings.admin_socket {
        server = server
            .on_connect(|connection, data| {
                if connection.is::<actix_web::rt::net::UnixStream>() {
                    data.insert(AdminSocket);
                }
            })
            .listen_uds(admin_listener(path)?)?;
        tracing::info!("{service} takes local administration on {}", path.display());
    }
    let server = server.run();
    tracing::info!("{service} listening on http://{}:{port}", settings.host);
    Ok(BoundServer {
        server,
        port,
        on_stop: Vec::new(),
    })
}

/// Waits for SIGTERM (what container runtimes send) or SIGINT (Ctrl-C);
/// both drain in-flight requests.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};

    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        },
        _ => {
            tracing::warn!("cannot listen for SIGTERM or SIGINT; stop the process with SIGKILL");
            std::future::pending().await
        }
    }
}

/// How long each clean-up at stop may take.
const ON_STOP_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Workers per core when the setting is 0. A worker serves its connections
/// one at a time on one thread (SQLite reads included), so while it is
/// preempted or waits on a disk read, all of them stall; a second worker
/// per core keeps the core busy meanwhile. Measured with `scripts/bench.py`
/// (load generator on the same cores): authenticated reads went from 0.63x
/// to 0.81x of the health endpoint, p99 from about 3 ms to about 1 ms.
const WORKERS_PER_CORE: usize = 2;

/// A connection cap above the open-file limit would fail accepts with EMFILE
/// (and starve the database of descriptors) before the cap is reached.
fn warn_if_over_open_file_limit(max_connections: usize) {
    let Some(limit) = open_file_limit() else {
        return;
    };
    if max_connections as u64 > limit {
        tracing::warn!(
            max_connections,
            open_file_limit = limit,
            "the connection cap (workers x max_connections_per_worker) is above the \
             open-file limit; raise `ulimit -n` or lower SERVER__MAX_CONNECTIONS_PER_WORKER"
        );
    }
}

/// The soft `RLIMIT_NOFILE`, read from `/proc` (Linux) to stay free of `unsafe`.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    match line["Max open files".len()..].split_whitespace().next()? {
        "unlimited" => Some(u64::MAX),
        soft => soft.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_admin_socket_is_0600_where_it_can_be_reached_and_leaves_no_staging_folder() {
        use std::os::unix::fs::PermissionsExt as _;
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("admin.sock");
        let listener = super::admin_listener(&path).expect("listening");
        let mode = std::fs::metadata(&path)
            .expect("the socket")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(std::os::unix::net::UnixStream::connect(&path).is_ok());
        let left: Vec<_> = std::fs::read_dir(folder.path()).expect("list").collect();
        assert_eq!(left.len(), 1, "only the socket: {left:?}");
        assert!(
            super::admin_listener(&path).is_err(),
            "a live socket is refused"
        );
        drop(listener);
        assert!(
            super::admin_listener(&path).is_ok(),
            "a stale one is replaced"
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_open_file_limit_is_read_from_proc() {
        let limit = super::open_file_limit().expect("a limit");
        assert!(limit >= 16, "{limit}");
    }

    #[test]
    fn new_request_ids_are_distinct_v4_uuids_across_refills() {
        let ids: std::collections::HashSet<String> = (0..1000)
            .map(|_| super::new_request_id().to_str().expect("text").to_owned())
            .collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(uuid.get_version_num(), 4, "{id}");
        }
    }
}
