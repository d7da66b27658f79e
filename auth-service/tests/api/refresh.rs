//! Refresh tokens: rotation, reuse detection, the grace window, lifetimes.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::{AuthApi as _, PASSWORD, TestApp, spawn_app, spawn_app_with};

async fn logged_in(app: &TestApp) -> Value {
    assert_eq!(app.register("alice", PASSWORD).await.status(), 201);
    app.password_grant("alice", PASSWORD).await
}

fn refresh_token(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

#[tokio::test]
async fn the_password_grant_returns_an_opaque_refresh_token() {
    let app = spawn_app().await;
    let body = logged_in(&app).await;
    let token = refresh_token(&body);
    assert_eq!(token.len(), 43, "256 bits, base64url");
    assert!(!token.contains('.'), "opaque, not a JWT");
}

#[tokio::test]
async fn a_refresh_rotates_both_tokens() {
    let app = spawn_app().await;
    let first = logged_in(&app).await;
    let (status, second) = app.refresh(&refresh_token(&first)).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["scope"], "items:read items:write");
    let (status, third) = app.refresh(&refresh_token(&second)).await;
    assert_eq!(status, 200, "{third}");
    let me = app
        .get("/v1/me")
        .bearer_auth(third["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("request");
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn the_refresh_grant_takes_json_too() {
    let app = spawn_app().await;
    let first = logged_in(&app).await;
    let response = app
        .post("/v1/token")
        .json(&serde_json::json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token(&first),
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_whole_family() {
    let app = spawn_app_with(&[("AUTH__TOKENS__REFRESH_REUSE_GRACE_SECONDS", "10")]).await;
    let first = logged_in(&app).await;
    let (_, second) = app.refresh(&refresh_token(&first)).await;
    app.clock.advance(Duration::from_millis(10_001));

    let (status, reuse) = app.refresh(&refresh_token(&first)).await;
    assert_eq!(
        (status, &reuse["error"]),
        (400, &"invalid_grant".into()),
        "{reuse}"
    );
    let (status, body) = app.refresh(&refresh_token(&second)).await;
    assert_eq!(status, 400, "the successor dies with its family: {body}");
}

#[tokio::test]
async fn reuse_within_the_grace_window_yields_the_same_successor() {
    let app = spawn_app_with(&[("AUTH__TOKENS__REFRESH_REUSE_GRACE_SECONDS", "10")]).await;
    let first = logged_in(&app).await;
    let (_, second) = app.refresh(&refresh_token(&first)).await;
    app.clock.advance(Duration::from_secs(10));
    let (status, again) = app.refresh(&refresh_token(&first)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["refresh_token"], second["refresh_token"]);
    let (status, _) = app.refresh(&refresh_token(&second)).await;
    assert_eq!(status, 200, "the family lives on");
}

#[tokio::test]
async fn reuse_within_the_grace_window_after_the_successor_was_used_is_detected() {
    let app = spawn_app().await;
    let first = logged_in(&app).await;
    let (_, second) = app.refresh(&refresh_token(&first)).await;
    let (_, third) = app.refresh(&refresh_token(&second)).await;
    let (status, _) = app.refresh(&refresh_token(&first)).await;
    assert_eq!(status, 400);
    let (status, _) = app.refresh(&refresh_token(&third)).await;
    assert_eq!(status, 400, "the family is revoked");
}

#[tokio::test]
async fn many_concurrent_refreshes_of_one_token_mint_one_successor() {
    let app = spawn_app().await;
    let first = logged_in(&app).await;
    let token = refresh_token(&first);
    let results = join_all((0..16).map(|_| app.refresh(&token))).await;
    let minted: HashSet<String> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            refresh_token(body)
        })
        .collect();
    assert_eq!(minted.len(), 1, "{minted:?}");
    let successor = minted.into_iter().next().expect("one");
    assert_eq!(app.refresh(&successor).await.0, 200);
}

#[tokio::test]
async fn without_a_grace_window_concurrent_refreshes_never_yield_two_valid_tokens() {
    let app = spawn_app_with(&[("AUTH__TOKENS__REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let first = logged_in(&app).await;
    let token = refresh_token(&first);
    let results = join_all((0..16).map(|_| app.refresh(&token))).await;
    let winners: Vec<String> = results
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| refresh_token(body))
        .collect();
    assert!(winners.len() <= 1, "{winners:?}");
    let still_valid = join_all(winners.iter().map(|t| app.refresh(t))).await;
    assert!(still_valid.iter().filter(|(s, _)| *s == 200).count() <= 1);
}

#[tokio::test]
async fn a_refresh_token_unused_past_its_idle_lifetime_expires() {
    let app = spawn_app_with(&[("AUTH__TOKENS__REFRESH_IDLE_SECONDS", "3600")]).await;
    let first = logged_in(&app).await;
    app.clock.advance(Duration::from_secs(3600));
    let (status, body) = app.refresh(&refresh_token(&first)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn no_refresh_outlives_the_absolute_lifetime_even_when_used() {
    let app = spawn_app_with(&[
        ("AUTH__TOKENS__REFRESH_IDLE_SECONDS", "3600"),
        ("AUTH__TOKENS__REFRESH_ABSOLUTE_SECONDS", "7200"),
    ])
    .await;
    let mut body = logged_in(&app).await;
    for _ in 0..2 {
        app.clock.advance(Duration::from_secs(3000));
        let (status, next) = app.refresh(&refresh_token(&body)).await;
        assert_eq!(status, 200, "{next}");
        body = next;
    }
    app.clock.advance(Duration::from_secs(1200));
    let (status, end) = app.refresh(&refresh_token(&body)).await;
    assert_eq!(status, 400, "{end}");
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token_nor_the_reverse() {
    let app = spawn_app().await;
    let body = logged_in(&app).await;
    let access = body["access_token"].as_str().expect("access");
    let (status, answer) = app.refresh(access).await;
    assert_eq!((status, &answer["error"]), (400, &"invalid_grant".into()));
    let me = app
        .get("/v1/me")
        .bearer_auth(refresh_token(&body))
        .send()
        .await
        .expect("request");
    assert_eq!(me.status(), 401);
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let app = spawn_app().await;
    assert_eq!(app.register("alice", PASSWORD).await.status(), 201);
    let response = app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("scope", "items:read"),
        ])
        .await;
    let body: Value = response.json().await.expect("json");
    let widen = app
        .post_token_form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token(&body)),
            ("scope", "items:read items:write"),
        ])
        .await;
    assert_eq!(widen.status(), 400);
    assert_eq!(
        widen.json::<Value>().await.expect("json")["error"],
        "invalid_scope"
    );
    let (status, same) = app.refresh(&refresh_token(&body)).await;
    assert_eq!((status, &same["scope"]), (200, &"items:read".into()));
}

#[tokio::test]
async fn a_missing_or_unknown_refresh_token_is_refused() {
    let app = spawn_app().await;
    let missing = app
        .post_token_form(&[("grant_type", "refresh_token")])
        .await;
    assert_eq!(missing.status(), 400);
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error"],
        "invalid_request"
    );
    let (status, body) = app.refresh("made-up-token").await;
    assert_eq!((status, &body["error"]), (400, &"invalid_grant".into()));
}
