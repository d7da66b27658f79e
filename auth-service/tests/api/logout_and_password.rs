use serde_json::{Value, json};

use crate::helpers::{AuthApi as _, PASSWORD, TestApp, json_body, spawn_app};

fn refresh_token(body: &Value) -> String {
    body["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned()
}

async fn logout(app: &TestApp, refresh_token: &str) -> u16 {
    app.post("/v1/logout")
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn change_password(app: &TestApp, access: &str, current: &str, new: &str) -> (u16, Value) {
    let response = app
        .client
        .put(format!("{}/v1/me/password", app.address))
        .bearer_auth(access)
        .json(&json!({ "current_password": current, "new_password": new }))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn logout_revokes_the_family_and_leaves_other_logins_alone() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let phone = app.password_grant("alice", PASSWORD).await;
    let laptop = app.password_grant("alice", PASSWORD).await;
    let (_, rotated) = app.refresh(&refresh_token(&phone)).await;

    assert_eq!(logout(&app, &refresh_token(&rotated)).await, 204);
    assert_eq!(app.refresh(&refresh_token(&rotated)).await.0, 400);
    assert_eq!(app.refresh(&refresh_token(&laptop)).await.0, 200);
}

#[tokio::test]
async fn logout_with_an_unknown_token_is_204_too() {
    let app = spawn_app().await;
    assert_eq!(logout(&app, "never-issued").await, 204);
}

#[tokio::test]
async fn a_password_change_revokes_every_refresh_family_of_the_user() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let phone = app.password_grant("alice", PASSWORD).await;
    let laptop = app.password_grant("alice", PASSWORD).await;
    let access = phone["access_token"].as_str().expect("access");

    let (status, body) = change_password(&app, access, PASSWORD, "a brand new passphrase").await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(app.refresh(&refresh_token(&phone)).await.0, 400);
    assert_eq!(app.refresh(&refresh_token(&laptop)).await.0, 400);

    let old = app
        .flask_login(&json!({ "username": "alice", "password": PASSWORD }))
        .await;
    assert_eq!(old.status(), 401);
    app.password_grant("alice", "a brand new passphrase").await;
}

#[tokio::test]
async fn a_password_change_with_a_wrong_current_password_is_403() {
    let app = spawn_app().await;
    let access = app.token_for("alice").await;
    let (status, body) =
        change_password(&app, &access, "not my password", "a brand new passphrase").await;
    assert_eq!(status, 403);
    assert!(body["errors"]["current_password"].is_array(), "{body}");
    app.password_grant("alice", PASSWORD).await;
}

#[tokio::test]
async fn a_password_change_to_a_weak_password_is_422() {
    let app = spawn_app().await;
    let access = app.token_for("alice").await;
    let (status, body) = change_password(&app, &access, PASSWORD, "password1").await;
    assert_eq!(status, 422);
    assert!(body["errors"]["new_password"].is_array(), "{body}");
}

#[tokio::test]
async fn a_password_change_needs_an_access_token() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(format!("{}/v1/me/password", app.address))
        .json(&json!({ "current_password": PASSWORD, "new_password": "whatever-new-1" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert!(json_body(response).await["detail"].is_string());
}
