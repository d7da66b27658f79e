//! The real binary, logging at debug level: no password or token in any line.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::helpers::{test_env, PASSWORD, SECRET};

#[tokio::test]
async fn no_password_token_or_secret_reaches_the_log() {
    let database = shared::db::TestDatabase::new().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-service"))
        .envs(test_env(database.url()))
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn auth-service");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut log = String::new();
    let address = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).expect("read") > 0,
            "exited: {log}"
        );
        log.push_str(&line);
        if let Some(at) = line.find("listening on ") {
            break line[at + "listening on ".len()..].trim().to_owned();
        }
    };

    let client = reqwest::Client::new();
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

    child.kill().expect("kill");
    child.wait().expect("reaped");
    stdout.read_to_string(&mut log).expect("rest of stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("stderr");

    assert!(log.contains("request finished"), "the log is on: {log}");
    assert!(
        log.lines()
            .any(|line| line.contains("user registered") && line.contains("registration-7")),
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
async fn with_log_format_json_every_line_is_a_json_object_with_the_request_id() {
    let database = shared::db::TestDatabase::new().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-service"))
        .envs(test_env(database.url()))
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn auth-service");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    let address = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).expect("read") > 0,
            "exited: {lines:?}"
        );
        if let Some(at) = line.find("listening on ") {
            let address = line[at + "listening on ".len()..]
                .split('"')
                .next()
                .expect("address")
                .to_owned();
            lines.push(line);
            break address;
        }
        lines.push(line);
    };
    let status = reqwest::Client::new()
        .get(format!("{address}/health/ready"))
        .header("x-request-id", "json-check-1")
        .send()
        .await
        .expect("ready")
        .status();
    assert_eq!(status, 200);
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest");
    lines.extend(rest.lines().map(str::to_owned));
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
