//! The real binary stopped by SIGTERM leaves a SQLite file that is whole on
//! its own (what a backup that copies one file needs).

use std::time::Duration;

use serde_json::json;
use shared::testing::{RunningBinary, TestApp, TestDatabase};
use sqlx::Connection as _;

use crate::helpers::PASSWORD;

#[tokio::test]
async fn after_sigterm_the_sqlite_file_alone_holds_every_write() {
    let database = TestDatabase::new().await;
    let Some(path) = database.url().strip_prefix("sqlite://") else {
        return; // PostgreSQL keeps its own files.
    };
    let builder = TestApp::builder_on("AUTH", database.url()).env("RUST_LOG", "info");
    let mut service = RunningBinary::start(builder.command(env!("CARGO_BIN_EXE_auth-service")));
    let registered = shared::testing::client()
        .post(format!("{}/v1/users", service.address))
        .json(&json!({ "username": "kept", "password": PASSWORD }))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);

    service.signal("TERM");
    let exit = service.wait_for_exit(Duration::from_secs(10));
    let log = service.log();
    assert!(
        log.contains("shutdown started") && log.contains("shutdown complete"),
        "one line when the shutdown starts, one when it ends: {log}"
    );
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
