//! The real binary: durability across `kill -9`, and graceful shutdown.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use shared::db::TestDatabase;

use crate::helpers::{send, settings_env, ALL_SCOPES};

struct Running {
    child: Child,
    address: String,
}

/// Starts the binary on port 0 and reads the bound address from its log.
fn start(database: &TestDatabase) -> Running {
    start_at(database.url())
}

fn start_at(database_url: &str) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_items-service"))
        .envs(settings_env(database_url))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn items-service");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the service logs its address")
            .expect("line");
        if let Some(at) = line.find("listening on ") {
            break line[at + "listening on ".len()..].trim().to_owned();
        }
    };
    // Keep draining the log so the service never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Running { child, address }
}

fn token() -> String {
    crate::helpers::signer_with(
        crate::helpers::SECRET.as_bytes(),
        "auth-service",
        "items-service",
    )
    .issue("u", "alice", ALL_SCOPES)
    .expect("issue")
    .access_token
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "the service did not exit in {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    let database = TestDatabase::new().await;
    let client = reqwest::Client::new();
    let token = token();
    let mut service = start(&database);
    let mut acknowledged = Vec::new();
    for i in 0..50 {
        let name = format!("durable-{i}");
        let request = client
            .put(format!("{}/v1/items/{name}", service.address))
            .bearer_auth(&token)
            .json(&json!({ "price": i }));
        if send(request).await.0 == 201 {
            acknowledged.push(name);
        }
    }
    service.child.kill().expect("SIGKILL");
    service.child.wait().expect("reaped");
    assert_eq!(acknowledged.len(), 50);

    let mut service = start(&database);
    for name in &acknowledged {
        let request = client
            .get(format!("{}/v1/items/{name}", service.address))
            .bearer_auth(&token);
        assert_eq!(send(request).await.0, 200, "{name} was lost");
    }
    service.child.kill().expect("SIGKILL");
    service.child.wait().expect("reaped");
}

#[tokio::test]
async fn after_a_clean_stop_the_sqlite_file_alone_holds_every_write() {
    let database = TestDatabase::new().await;
    let Some(path) = database.url().strip_prefix("sqlite://") else {
        return; // PostgreSQL keeps its own files.
    };
    let client = reqwest::Client::new();
    let token = token();
    let mut service = start(&database);
    let item = format!("{}/v1/items/kept", service.address);
    let put = client
        .put(&item)
        .bearer_auth(&token)
        .json(&json!({ "price": 4.5 }));
    assert_eq!(send(put).await.0, 201);
    // A read too, so the read connections are open when the signal comes.
    assert_eq!(send(client.get(&item).bearer_auth(&token)).await.0, 200);
    signal(&service.child, "TERM");
    assert!(wait_for_exit(&mut service.child, Duration::from_secs(10)).success());

    // Checkpointed and emptied: copying the one file is a whole backup.
    let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0);
    // Beside the original: the test database's folder is removed with it.
    let copy = std::path::Path::new(path).with_file_name("copy.db");
    std::fs::copy(path, &copy).expect("copy the database file");
    let price: f64 = rusqlite::Connection::open(&copy)
        .expect("open the copy")
        .query_row("SELECT price FROM items WHERE name = 'kept'", [], |row| {
            row.get(0)
        })
        .expect("the item is in the file");
    assert!((price - 4.5).abs() < f64::EPSILON);
}

#[tokio::test]
async fn sigterm_and_sigint_stop_the_service_cleanly() {
    for name in ["TERM", "INT"] {
        let database = TestDatabase::new().await;
        let mut service = start(&database);
        let (status, _) =
            send(reqwest::Client::new().get(format!("{}/health/ready", service.address))).await;
        assert_eq!(status, 200);
        signal(&service.child, name);
        let exit = wait_for_exit(&mut service.child, Duration::from_secs(10));
        assert!(exit.success(), "SIG{name}: {exit:?}");
    }
}

#[tokio::test]
async fn a_second_process_on_the_same_sqlite_file_is_refused_at_once_and_vfs_unix_shares_it() {
    let database = TestDatabase::new().await;
    if database.is_postgres() {
        return; // PostgreSQL takes any number of processes.
    }
    let mut first = start(&database);
    let started = Instant::now();
    let second = Command::new(env!("CARGO_BIN_EXE_items-service"))
        .envs(settings_env(database.url()))
        .output()
        .expect("run a second items-service");
    assert!(!second.status.success());
    // Refused by the start-up check, not after the pool's 5 s timeout.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another process"), "{stderr}");
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    // With `?vfs=unix` processes share the file (as the sqlite3 shell would).
    let shared_url = format!("{}?vfs=unix", database.url());
    let mut both = [start_at(&shared_url), start_at(&shared_url)];
    for service in &both {
        let ready = reqwest::Client::new().get(format!("{}/health/ready", service.address));
        assert_eq!(send(ready).await.0, 200);
    }
    for service in &mut both {
        service.child.kill().expect("SIGKILL");
        service.child.wait().expect("reaped");
    }
}

#[tokio::test]
async fn a_missing_secret_stops_start_up_with_a_message_naming_jwt_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_items-service"))
        .envs(settings_env("sqlite://unused.db"))
        .env_remove("JWT_SECRET")
        .env("JWT_SECRET", "too-short")
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_and_refuses_new_connections() {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;

    let database = TestDatabase::new().await;
    let mut service = start(&database);
    let address = service.address.trim_start_matches("http://").to_owned();
    let body = br#"{"price": 1}"#;
    let head = format!(
        "PUT /v1/items/in-flight HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        token(),
        body.len()
    );
    let mut in_flight = TcpStream::connect(&address).expect("connect");
    in_flight.write_all(head.as_bytes()).expect("head");
    in_flight.write_all(&body[..5]).expect("half the body");
    std::thread::sleep(Duration::from_millis(300));

    signal(&service.child, "TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        TcpStream::connect(&address).is_err(),
        "a new connection was accepted after SIGTERM"
    );

    in_flight
        .write_all(&body[5..])
        .expect("the rest of the body");
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let exit = wait_for_exit(&mut service.child, Duration::from_secs(10));
    assert!(exit.success(), "{exit:?}");
}
