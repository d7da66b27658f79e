//! The real binary: durability across `kill -9`, and graceful shutdown.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use shared::testing::{RunningBinary, TestApp, TestDatabase};

use crate::helpers::{ALL_SCOPES, SECRET, send, signer_with};

const BINARY: &str = env!("CARGO_BIN_EXE_items-service");

/// items-service's binary over the database at `url`, as configured for tests.
fn command(url: &str) -> Command {
    TestApp::builder_on("ITEMS", url)
        .env("RUST_LOG", "info")
        .command(BINARY)
}

/// Starts the binary on port 0 over `database`.
fn start(database: &TestDatabase) -> RunningBinary {
    RunningBinary::start(command(database.url()))
}

fn token() -> String {
    signer_with(SECRET.as_bytes(), "auth-service", "items-service")
        .issue("u", "alice", ALL_SCOPES)
        .expect("issue")
        .access_token
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9() {
    let database = TestDatabase::new().await;
    let client = shared::testing::client();
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
    service.kill();
    assert_eq!(acknowledged.len(), 50);

    let mut service = start(&database);
    for name in &acknowledged {
        let request = client
            .get(format!("{}/v1/items/{name}", service.address))
            .bearer_auth(&token);
        assert_eq!(send(request).await.0, 200, "{name} was lost");
    }
    service.kill();
}

#[tokio::test]
async fn after_a_clean_stop_the_sqlite_file_alone_holds_every_write() {
    let database = TestDatabase::new().await;
    let Some(path) = database.url().strip_prefix("sqlite://") else {
        return; // PostgreSQL keeps its own files.
    };
    let client = shared::testing::client();
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
    service.signal("TERM");
    assert!(service.wait_for_exit(Duration::from_secs(10)).success());

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
            send(shared::testing::client().get(format!("{}/health/ready", service.address))).await;
        assert_eq!(status, 200);
        service.signal(name);
        let exit = service.wait_for_exit(Duration::from_secs(10));
        assert!(exit.success(), "SIG{name}: {exit:?}");
        let log = service.log();
        assert!(
            log.contains("shutdown started")
                && log.contains(&format!("signal=\"SIG{name}\""))
                && log.contains("shutdown complete"),
            "the start and the end of the shutdown are logged: {log}"
        );
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
    let second = command(database.url())
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
    first.kill();

    // With `?vfs=unix` processes share the file (as the sqlite3 shell would).
    let shared_url = format!("{}?vfs=unix", database.url());
    let mut both = [
        RunningBinary::start(command(&shared_url)),
        RunningBinary::start(command(&shared_url)),
    ];
    for service in &both {
        let ready = shared::testing::client().get(format!("{}/health/ready", service.address));
        assert_eq!(send(ready).await.0, 200);
    }
    // Neither keeps what it read: the other may write (each read is asked
    // of the file, every worker's too).
    let client = shared::testing::client();
    for price in [1.0, 2.0, 3.0] {
        let put = client
            .put(format!("{}/v1/items/shared", both[0].address))
            .bearer_auth(token())
            .json(&json!({ "price": price }));
        assert!(matches!(send(put).await.0, 200 | 201));
        for _ in 0..6 {
            let get = client
                .get(format!("{}/v1/items/shared", both[1].address))
                .bearer_auth(token());
            assert_eq!(
                send(get).await.1["price"],
                price,
                "the other process's write"
            );
        }
    }
    for service in &mut both {
        service.kill();
    }
}

#[tokio::test]
async fn a_missing_secret_stops_start_up_with_a_message_naming_jwt_secret() {
    let output = command("sqlite://unused.db")
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

    service.signal("TERM");
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
    let exit = service.wait_for_exit(Duration::from_secs(10));
    assert!(exit.success(), "{exit:?}");
}
