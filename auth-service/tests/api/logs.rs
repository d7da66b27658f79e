//! The real binary, logging at debug level: no password or token in any line.

use serde_json::{Value, json};
use shared::testing::RunningBinary;

use crate::helpers::{PASSWORD, SECRET, builder};

const BINARY: &str = env!("CARGO_BIN_EXE_auth-service");

#[tokio::test]
async fn no_password_token_or_secret_reaches_the_log() {
    let builder = builder().await.env("RUST_LOG", "debug");
    let mut service = RunningBinary::start(builder.command(BINARY));
    let address = service.address.clone();

    let client = shared::testing::client();
    let credentials = json!({ "username": "alice", "password": PASSWORD });
    client
        .post(format!("{address}/v1/users"))
        .header("x-request-id", "registration-7")
        .json(&credentials)
        .send()
        .await
        .expect("register");
    let wrong = json!({ "username": "alice", "password": "a-wrong-password-xyz" });
    client
        .post(format!("{address}/auth"))
        .json(&wrong)
        .send()
        .await
        .expect("login");
    let form = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ];
    let grant: Value = client
        .post(format!("{address}/v1/token"))
        .form(&form)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let access = grant["access_token"].as_str().expect("access").to_owned();
    let refresh = grant["refresh_token"].as_str().expect("refresh").to_owned();
    client
        .get(format!("{address}/v1/me?access_token={access}"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("me");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    client
        .post(format!("{address}/v1/token"))
        .form(&form)
        .send()
        .await
        .expect("refresh");

    service.kill();
    let log = service.log();

    assert!(log.contains("request finished"), "the log is on: {log}");
    assert!(
        log.lines()
            .any(|line| line.contains("event=\"user_registered\"")
                && line.contains("registration-7")),
        "the request id is on the request's lines: {log}"
    );
    for (what, secret) in [
        ("password", PASSWORD),
        ("wrong password", "a-wrong-password-xyz"),
        ("access token", access.as_str()),
        (
            "access token signature",
            access.rsplit('.').next().expect("signature"),
        ),
        ("refresh token", refresh.as_str()),
        ("signing secret", SECRET),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log:\n{log}");
    }
}

#[tokio::test]
async fn no_mailed_link_reaches_the_log() {
    let mailbox = crate::mailbox::Mailbox::start();
    let builder = builder()
        .await
        .env("RUST_LOG", "debug")
        .envs(&mailbox.settings());
    let mut service = RunningBinary::start(builder.command(BINARY));
    let address = service.address.clone();
    let client = shared::testing::client();
    let registration = json!({
        "username": "alice", "password": PASSWORD, "email": "alice@example.com",
    });
    let response = client
        .post(format!("{address}/v1/users"))
        .json(&registration)
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), 201);
    let verify = mailbox
        .next_to("alice@example.com", 0)
        .await
        .token("/v1/email/verify");
    let page = |path: &str, form: Vec<(&'static str, String)>| {
        client.post(format!("{address}{path}")).form(&form).send()
    };
    let verified = page("/v1/email/verify", vec![("token", verify.clone())]).await;
    assert_eq!(verified.expect("verify").status(), 200);
    let response = client
        .post(format!("{address}/v1/password-reset"))
        .json(&json!({"username": "alice"}))
        .send()
        .await
        .expect("reset request");
    assert_eq!(response.status(), 202);
    let reset = mailbox
        .next_to("alice@example.com", 1)
        .await
        .token("/v1/password-reset/new");
    let opened = client
        .get(format!("{address}/v1/password-reset/new?token={reset}"))
        .send()
        .await
        .expect("open");
    assert_eq!(opened.status(), 200);
    let form = vec![
        ("token", reset.clone()),
        ("new_password", "a brand new passphrase".to_owned()),
    ];
    assert_eq!(
        page("/v1/password-reset/new", form)
            .await
            .expect("reset")
            .status(),
        200
    );

    service.kill();
    let log = service.log();
    assert!(log.contains("mail sent"), "the log is on: {log}");
    assert!(log.contains("password_reset"), "{log}");
    for (what, secret) in [
        ("verification token", verify.as_str()),
        ("reset token", reset.as_str()),
        ("new password", "a brand new passphrase"),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log:\n{log}");
    }
}

#[tokio::test]
async fn with_log_format_json_every_line_is_a_json_object_with_the_request_id() {
    let builder = builder()
        .await
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json");
    let mut service = RunningBinary::start(builder.command(BINARY));
    let status = shared::testing::client()
        .get(format!("{}/health/ready", service.address))
        .header("x-request-id", "json-check-1")
        .send()
        .await
        .expect("ready")
        .status();
    assert_eq!(status, 200);
    service.kill();
    let log = service.log();
    let lines: Vec<&str> = log.lines().collect();
    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        parsed
            .iter()
            .any(|entry| entry["span"]["request_id"] == "json-check-1"
                && entry["fields"]["status"] == 200),
        "{lines:?}"
    );
}

#[tokio::test]
async fn the_refresh_cookie_with_a_cross_site_cors_origin_is_warned_about_at_start() {
    // `info`: the binary is known to be up by its `listening` line.
    let builder = builder().await.envs(&[
        ("RUST_LOG", "info"),
        ("AUTH__TOKENS__REFRESH_COOKIE", "true"),
        ("AUTH__SERVER__PUBLIC_URL", "https://auth.example.com"),
        (
            "AUTH__CORS__ALLOWED_ORIGINS",
            "https://app.example.com,https://app.elsewhere.example",
        ),
    ]);
    let mut service = RunningBinary::start(builder.command(BINARY));
    service.kill();
    let log = service.log();
    let warned: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("another site"))
        .collect();
    assert_eq!(warned.len(), 1, "{log}");
    assert!(warned[0].contains("https://app.elsewhere.example"), "{log}");
}

#[tokio::test]
async fn an_issuer_other_than_the_public_url_is_warned_about_once_apps_sign_in() {
    let db = shared::testing::TestDatabase::new().await;
    let start = |seeded: bool| {
        let builder = crate::helpers::builder_on(db.url()).envs(&[
            ("RUST_LOG", "info"),
            ("AUTH__SERVER__PUBLIC_URL", "https://auth.example.com"),
        ]);
        let mut service = RunningBinary::start(builder.command(BINARY));
        service.kill();
        let warned = service
            .log()
            .contains("JWT_ISSUER is not AUTH__SERVER__PUBLIC_URL");
        assert_eq!(warned, seeded, "{}", service.log());
    };
    // No app signs in yet: `auth-service` is a fine issuer for the seed's flow.
    start(false);
    crate::helpers::seed_client(
        db.url(),
        &["authorization_code"],
        &["https://app.example.com/cb"],
    )
    .await;
    start(true);
}
