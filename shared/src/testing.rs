//! Test support for services built on this crate, one toolkit for every
//! service's tests:
//!
//! - [`TestDatabase`]: a fresh database per test (SQLite, or PostgreSQL
//!   when `TEST_POSTGRES_URL` is set); a SQLite one is removed afterwards,
//!   a PostgreSQL one is left for `.ci/run`'s clean-up at its start (a
//!   drop cannot wait for `DROP DATABASE`);
//! - [`TestApp`]: the service started in the test's process on port 0,
//!   over a fresh database, with a clock the test moves, and a client;
//! - [`RunningBinary`]: the real binary started with the same settings, for
//!   what only a process shows (signals, the log, `kill -9`).
//!
//! Requests made through [`TestApp`] carry no credentials: a test says
//! which `Authorization` it sends.

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead as _, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Executor as _;

use crate::clock::Clock;
use crate::http::BoundServer;

/// The HS256 secret test apps are configured with.
pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";

/// A fresh database for one test: on the PostgreSQL server named by
/// `TEST_POSTGRES_URL` when it is set (a new database per test), otherwise a
/// SQLite file in a new temporary folder, removed on drop.
///
/// ```
/// # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
/// let database = shared::testing::TestDatabase::new().await;
/// assert_eq!(database.url().starts_with("postgres"), database.is_postgres());
/// # });
/// ```
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    sqlite_folder: Option<PathBuf>,
}

impl TestDatabase {
    /// Creates the database.
    ///
    /// # Panics
    /// When the PostgreSQL server cannot be reached or refuses to create a
    /// database: a test run that asked for PostgreSQL must not pass without it.
    #[allow(clippy::expect_used)]
    pub async fn new() -> Self {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                sqlx::any::install_default_drivers();
                let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .expect("TEST_POSTGRES_URL names a server that accepts connections");
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("the test server lets us create a database");
                Self {
                    url: with_database_name(&admin_url, &name),
                    sqlite_folder: None,
                }
            }
            _ => {
                let folder = std::env::temp_dir().join(format!("jwt-pair-{name}"));
                std::fs::create_dir_all(&folder).expect("a temporary folder");
                Self {
                    url: format!("sqlite://{}/test.db", folder.display()),
                    sqlite_folder: Some(folder),
                }
            }
        }
    }

    /// The database URL to configure a service with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this run is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.sqlite_folder.is_none()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(folder) = &self.sqlite_folder {
            let _ignored = std::fs::remove_dir_all(folder);
        }
    }
}

/// `postgres://u:p@host:5432/postgres?x=y` with another database name.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Settings for one service under test, then [`TestAppBuilder::start`] (in
/// the test's process) or [`TestAppBuilder::command`] (the real binary).
///
/// ```
/// use shared::testing::TestApp;
///
/// # tokio::runtime::Runtime::new().expect("runtime").block_on(async {
/// // A service built on `shared`: here, one route and nothing else.
/// let app = TestApp::builder("NOTES")
///     .await
///     .env("NOTES__GREETING", "hello")
///     .start(|env, _clock| async move {
///         let greeting = env["NOTES__GREETING"].clone();
///         let settings = shared::settings::ServerSettings {
///             host: "127.0.0.1".into(), port: 0, workers: 1,
///             shutdown_timeout_seconds: 1, max_connections_per_worker: 64,
///             public_url: "http://localhost".into(),
///             admin_socket: None,
///         };
///         Ok(shared::http::bind("notes", &settings, &Default::default(), move |cfg| {
///             let greeting = greeting.clone();
///             cfg.route("/", actix_web::web::get().to(move || {
///                 let greeting = greeting.clone();
///                 async move { greeting }
///             }));
///         })?)
///     })
///     .await;
/// let answer = app.get("/").send().await.expect("answered");
/// assert_eq!(answer.text().await.expect("text"), "hello");
/// # });
/// ```
#[derive(Debug)]
pub struct TestAppBuilder {
    env: HashMap<String, String>,
    database: Option<TestDatabase>,
}

impl TestAppBuilder {
    /// Sets a variable of the service's environment.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Sets several variables.
    pub fn envs(mut self, pairs: &[(&str, &str)]) -> Self {
        for (name, value) in pairs {
            self.env.insert((*name).to_owned(), (*value).to_owned());
        }
        self
    }

    /// Removes a variable (e.g. `JWT_SECRET` for an asymmetric key ring).
    pub fn without_env(mut self, name: &str) -> Self {
        self.env.remove(name);
        self
    }

    /// The service's environment as it stands.
    pub fn environment(&self) -> &HashMap<String, String> {
        &self.env
    }

    /// Starts the service in this process, on a runtime of the test's, with
    /// `build` turning the environment and the clock into a bound server.
    ///
    /// # Panics
    /// When the service does not build: the test cannot go on.
    #[allow(clippy::expect_used)]
    pub async fn start<F, Fut>(self, build: F) -> TestApp
    where
        F: FnOnce(HashMap<String, String>, Clock) -> Fut,
        Fut: Future<Output = anyhow::Result<BoundServer>>,
    {
        if std::env::var_os("TEST_LOG").is_some() {
            crate::telemetry::init();
        }
        let clock = Clock::manual();
        let server = build(self.env, clock.clone())
            .await
            .expect("the service builds");
        let address = format!("http://127.0.0.1:{}", server.port());
        tokio::spawn(server.run_until_stopped());
        TestApp {
            address,
            client: client(),
            clock,
            _database: self.database,
        }
    }

    /// The real binary at `path` (`env!("CARGO_BIN_EXE_<name>")`) with this
    /// environment, for [`RunningBinary::start`] or `output()`. The test
    /// database lives as long as the builder: keep it while the binary runs.
    pub fn command(&self, path: &str) -> Command {
        let mut command = Command::new(path);
        command.envs(&self.env);
        command
    }
}

/// A service under test (see [`TestAppBuilder`]).
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Follows no redirects, so that tests see them.
    pub client: reqwest::Client,
    /// The service's clock: move it to expire what the service issued.
    pub clock: Clock,
    _database: Option<TestDatabase>,
}

impl TestApp {
    /// A builder for the service whose variables start with `prefix`:
    /// port 0, two workers, a fresh [`TestDatabase`], [`TEST_SECRET`] as
    /// `JWT_SECRET`, and a manual clock.
    pub async fn builder(prefix: &str) -> TestAppBuilder {
        let database = TestDatabase::new().await;
        let mut builder = Self::builder_on(prefix, database.url());
        builder.database = Some(database);
        builder
    }

    /// The same over the database at `url`, which the caller keeps (a
    /// restart over an earlier app's data, or replicas on one database).
    pub fn builder_on(prefix: &str, url: &str) -> TestAppBuilder {
        let env = [
            (format!("{prefix}__SERVER__PORT"), "0"),
            (format!("{prefix}__SERVER__WORKERS"), "2"),
            (format!("{prefix}__DATABASE__URL"), url),
            ("JWT_SECRET".to_owned(), TEST_SECRET),
        ]
        .into_iter()
        .map(|(name, value)| (name, value.to_owned()))
        .collect();
        TestAppBuilder {
            env,
            database: None,
        }
    }

    /// `address` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A GET of `path`, without credentials.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    /// A POST to `path`, without credentials.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    /// A PUT to `path`, without credentials.
    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.put(self.url(path))
    }

    /// A PATCH to `path`, without credentials.
    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path))
    }

    /// A DELETE of `path`, without credentials.
    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path))
    }
}

/// An HTTP client for tests: no redirects followed, and idle connections
/// dropped before a server's keep-alive (actix: 5 s) closes them, which
/// would otherwise race a reused connection into an `IncompleteMessage`.
///
/// # Panics
/// When the client cannot be built.
#[allow(clippy::expect_used)]
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

/// Status and body of an answer: the body as JSON, as a JSON string when it
/// is not JSON, `null` when empty.
///
/// # Panics
/// When the request gets no answer.
#[allow(clippy::expect_used)]
pub async fn send(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    (status, body)
}

/// A service's real binary, running: started on port 0, its address read
/// from its log, its output kept (and drained, so it never blocks on a full
/// pipe). Killed when dropped.
#[derive(Debug)]
pub struct RunningBinary {
    child: Child,
    /// `http://HOST:PORT`, as the service logged it.
    pub address: String,
    log: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl RunningBinary {
    /// Starts `command` and waits for `... listening on http://...`.
    ///
    /// # Panics
    /// When the binary cannot start or exits before it listens, with its
    /// output.
    #[allow(clippy::expect_used, clippy::unwrap_used)]
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr_reader = drain(child.stderr.take().expect("stderr"), log.clone());
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let address = loop {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).expect("the log is readable");
            log.lock().unwrap().push_str(&line);
            assert!(
                read > 0,
                "exited before listening:\n{}",
                log.lock().unwrap()
            );
            if let Some(at) = line.find("listening on ") {
                break line[at + "listening on ".len()..]
                    .split(|c: char| c == '"' || c.is_whitespace())
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
        };
        let stdout_reader = drain(stdout, log.clone());
        Self {
            child,
            address,
            log,
            readers: vec![stderr_reader, stdout_reader],
        }
    }

    /// Everything the process wrote so far, stdout and stderr.
    #[allow(clippy::unwrap_used)]
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`TERM`, `INT`, `KILL`).
    ///
    /// # Panics
    /// When `kill` fails.
    #[allow(clippy::expect_used)]
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, at most `limit`; then its whole
    /// output is in [`Self::log`].
    ///
    /// # Panics
    /// When it is still running after `limit`.
    #[allow(clippy::expect_used)]
    pub fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // The pipes close with the process: the readers end.
                for reader in self.readers.drain(..) {
                    let _joined = reader.join();
                }
                return status;
            }
            assert!(started.elapsed() < limit, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`, and waits for the process to be gone.
    pub fn kill(&mut self) -> ExitStatus {
        self.signal("KILL");
        self.wait_for_exit(Duration::from_secs(10))
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _killed = self.child.kill();
            let _reaped = self.child.wait();
        }
    }
}

/// Copies a pipe into `log` on a thread of its own, until it closes.
#[allow(clippy::unwrap_used)]
fn drain(pipe: impl Read + Send + 'static, log: Arc<Mutex<String>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut log = log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        assert_eq!(
            with_database_name("postgres://u:p@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h:5432/t1?sslmode=disable"
        );
        assert_eq!(with_database_name("postgres://h", "t1"), "postgres://h/t1");
    }
}
