//! Scopes per user, and `auth-service users grant` (the first admin), run
//! where the service runs: through its admin socket while it runs (a SQLite
//! file is one process's), on the database when it does not.

use std::path::Path;
use std::process::Command;

use shared::testing::TestDatabase;

use crate::helpers::{AuthApi as _, PASSWORD, SECRET, spawn_app_on};

const BINARY: &str = env!("CARGO_BIN_EXE_auth-service");

/// `auth-service users grant ARGS...` for the service on `url` with
/// `socket`: success, stdout, stderr.
pub(crate) async fn grant(url: &str, socket: &Path, args: &[&str]) -> (bool, String, String) {
    grant_with(url, Some(socket), args).await
}

/// `auth-service users grant ARGS...` with the settings a user would give:
/// the database, and the socket if any.
async fn grant_with(url: &str, socket: Option<&Path>, args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(BINARY);
    if let Some(socket) = socket {
        command.env("AUTH__SERVER__ADMIN_SOCKET", socket);
    }
    command
        .env("AUTH__DATABASE__URL", url)
        .env("JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .args(["users", "grant"])
        .args(args);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("the binary runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

async fn scope_of(app: &shared::testing::TestApp, username: &str) -> String {
    let token = app.password_grant(username, PASSWORD).await;
    token["scope"].as_str().expect("scope").to_owned()
}

#[tokio::test]
async fn the_first_admin_is_granted_from_the_command_line_while_the_service_runs() {
    let db = TestDatabase::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("admin.sock");
    let socket_setting = socket.display().to_string();
    let app = spawn_app_on(db.url(), &[("AUTH__SERVER__ADMIN_SOCKET", &socket_setting)]).await;
    app.register("alice", PASSWORD).await;
    assert_eq!(scope_of(&app, "alice").await, "items:read items:write");
    let too_wide = app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("scope", "auth:admin"),
        ])
        .await;
    assert_eq!(too_wide.status(), 400, "not granted yet");

    // Over TCP the route does not exist.
    let over_tcp = app
        .post("/local/users/alice/grant")
        .json(&serde_json::json!({ "scopes": ["auth:admin"] }))
        .send()
        .await
        .expect("request");
    assert_eq!(over_tcp.status(), 404);
    assert_eq!(scope_of(&app, "alice").await, "items:read items:write");

    let (ok, stdout, stderr) = grant(db.url(), &socket, &["ALICE", "auth:admin"]).await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "auth-service: ALICE is granted: items:read items:write auth:admin"
    );
    assert_eq!(
        scope_of(&app, "alice").await,
        "items:read items:write auth:admin"
    );

    let (ok, _, stderr) = grant(db.url(), &socket, &["nobody", "auth:admin"]).await;
    assert!(!ok);
    assert!(stderr.contains("no user is named `nobody`"), "{stderr}");
    let (ok, _, stderr) = grant(db.url(), &socket, &["alice", "a\"b"]).await;
    assert!(!ok);
    assert!(stderr.contains("is not a scope name"), "{stderr}");

    app.register("bob", PASSWORD).await;
    assert_eq!(scope_of(&app, "bob").await, "items:read items:write");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&socket)
            .expect("the socket")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "only the service's user opens it");
}

/// A new user's first admin, as the README says it: the service started
/// with no setting but its database, the command run with the same, while
/// the service holds the SQLite file.
#[tokio::test]
async fn the_command_finds_the_running_service_with_no_setting() {
    let db = TestDatabase::new().await;
    let app = spawn_app_on(db.url(), &[]).await;
    app.register("alice", PASSWORD).await;
    let (ok, stdout, stderr) = grant_with(db.url(), None, &["alice", "auth:admin"]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("alice is granted"), "{stdout}");
    assert_eq!(
        scope_of(&app, "alice").await,
        "items:read items:write auth:admin"
    );
    if !db.is_postgres() {
        let socket = std::path::PathBuf::from(
            db.url()
                .trim_start_matches("sqlite://")
                .replace("test.db", "test.sock"),
        );
        assert!(socket.exists(), "beside the database: {}", socket.display());
    }
}

#[tokio::test]
async fn without_a_running_service_the_command_works_on_the_database() {
    let db = TestDatabase::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let nobody_listens = dir.path().join("admin.sock");
    let (ok, _, stderr) = grant(db.url(), &nobody_listens, &["nobody", "auth:admin"]).await;
    assert!(!ok);
    assert!(stderr.contains("no user is named `nobody`"), "{stderr}");
}
