//! Failed-login throttling per account and per client address.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{AuthApi as _, PASSWORD, TestApp, spawn_app_with};

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.flask_login(&json!({ "username": username, "password": password }))
        .await
}

#[tokio::test]
async fn after_five_failures_even_the_right_password_gets_429_with_retry_after() {
    let app = spawn_app_with(&[]).await;
    app.register("alice", PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(login(&app, "alice", "wrong password").await.status(), 401);
    }
    let throttled = login(&app, "alice", PASSWORD).await;
    assert_eq!(throttled.status(), 429);
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&retry_after), "{retry_after}");

    let token_endpoint = app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "ALICE"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(
        token_endpoint.status(),
        429,
        "the account is throttled on every login route"
    );
    // OAuth clients read RFC 6749 5.2 members, not problem details alone.
    assert!(token_endpoint.headers().contains_key("retry-after"));
    let body: serde_json::Value = token_endpoint.json().await.expect("JSON");
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn the_window_passes_by_itself() {
    let app = spawn_app_with(&[("AUTH__THROTTLE__WINDOW_SECONDS", "300")]).await;
    app.register("alice", PASSWORD).await;
    for _ in 0..5 {
        login(&app, "alice", "wrong password").await;
    }
    app.clock.advance(Duration::from_secs(299));
    let throttled = login(&app, "alice", PASSWORD).await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "1");
    app.clock.advance(Duration::from_secs(1));
    assert_eq!(login(&app, "alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn one_client_trying_many_accounts_is_throttled() {
    let app = spawn_app_with(&[("AUTH__THROTTLE__MAX_FAILURES_PER_CLIENT", "3")]).await;
    app.register("alice", PASSWORD).await;
    for name in ["bob", "carol", "dave"] {
        assert_eq!(login(&app, name, "guess-guess").await.status(), 401);
    }
    assert_eq!(login(&app, "alice", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn an_unknown_account_is_throttled_like_a_known_one() {
    let app = spawn_app_with(&[]).await;
    for _ in 0..5 {
        login(&app, "nobody", "wrong password").await;
    }
    assert_eq!(login(&app, "nobody", "wrong password").await.status(), 429);
}

#[tokio::test]
async fn a_successful_login_resets_the_accounts_count() {
    let app = spawn_app_with(&[]).await;
    app.register("alice", PASSWORD).await;
    for _ in 0..4 {
        login(&app, "alice", "wrong password").await;
    }
    assert_eq!(login(&app, "alice", PASSWORD).await.status(), 200);
    for _ in 0..4 {
        login(&app, "alice", "wrong password").await;
    }
    assert_eq!(login(&app, "alice", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for() {
    let app = spawn_app_with(&[
        ("AUTH__THROTTLE__TRUSTED_PROXY_HOPS", "1"),
        ("AUTH__THROTTLE__MAX_FAILURES_PER_CLIENT", "2"),
    ])
    .await;
    app.register("alice", PASSWORD).await;
    let from = |client: &'static str, username: &'static str, password: &'static str| {
        app.post("/auth")
            .header("x-forwarded-for", client)
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    for name in ["bob", "carol"] {
        assert_eq!(
            from("203.0.113.7", name, "guess")
                .await
                .expect("request")
                .status(),
            401
        );
    }
    let attacker = from("203.0.113.7", "alice", PASSWORD)
        .await
        .expect("request");
    assert_eq!(attacker.status(), 429);
    let someone_else = from("198.51.100.20", "alice", PASSWORD)
        .await
        .expect("request");
    assert_eq!(someone_else.status(), 200);
}
