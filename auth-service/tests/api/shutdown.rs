//! The real binary stopped by SIGTERM leaves a SQLite file that is whole on
//! its own (what a backup that copies one file needs).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Connection as _;

use crate::helpers::{test_env, PASSWORD};

#[tokio::test]
async fn after_sigterm_the_sqlite_file_alone_holds_every_write() {
    let database = shared::db::TestDatabase::new().await;
    let Some(path) = database.url().strip_prefix("sqlite://") else {
        return; // PostgreSQL keeps its own files.
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-service"))
        .envs(test_env(database.url()))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn auth-service");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let address = loop {
        let line = lines.next().expect("the address is logged").expect("line");
        if let Some(at) = line.find("listening on ") {
            break line[at + "listening on ".len()..].trim().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let registered = reqwest::Client::new()
        .post(format!("{address}/v1/users"))
        .json(&json!({ "username": "kept", "password": PASSWORD }))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");

    // Checkpointed and emptied: copying the one file is a whole backup.
    let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0);
    // Beside the original: the test database's folder is removed with it.
    let copy = std::path::Path::new(path).with_file_name("copy.db");
    std::fs::copy(path, &copy).expect("copy the database file");
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&format!("sqlite://{}", copy.display()))
        .await
        .expect("open the copy");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = 'kept'")
        .fetch_one(&mut connection)
        .await
        .expect("count");
    connection.close().await.expect("closed");
    assert_eq!(users, 1);
}
