use serde_json::{Value, json};

use crate::helpers::{AuthApi as _, PASSWORD, json_body, spawn_app};

#[tokio::test]
async fn the_password_grant_form_encoded_returns_an_rfc6749_response() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let response = app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("client_id", "postman"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json_body(response).await;
    assert!(body["access_token"].is_string());
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "items:read items:write");
}

#[tokio::test]
async fn the_password_grant_as_json_works_too() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let response = app
        .post("/v1/token")
        .json(&json!({ "grant_type": "password", "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_narrower_scope_is_granted_and_an_unknown_one_refused() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let form = |scope| {
        [
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
            ("scope", scope),
        ]
    };
    let narrow = json_body(app.post_token_form(&form("items:read")).await).await;
    assert_eq!(narrow["scope"], "items:read");
    let response = app.post_token_form(&form("admin")).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json_body(response).await["error"], "invalid_scope");
}

async fn oauth_error(form: &[(&str, &str)]) -> (u16, Value) {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let response = app.post_token_form(form).await;
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    (status, json_body(response).await)
}

#[tokio::test]
async fn wrong_credentials_return_invalid_grant() {
    let (status, body) = oauth_error(&[
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "not the password"),
    ])
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unknown_grant_type_returns_unsupported_grant_type() {
    let (status, body) = oauth_error(&[("grant_type", "implicit")]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_missing_grant_type_returns_invalid_request() {
    let (status, body) = oauth_error(&[("username", "alice"), ("password", PASSWORD)]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_repeated_parameter_returns_invalid_request() {
    let (status, body) = oauth_error(&[
        ("grant_type", "password"),
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
    ])
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_plain_text_body_returns_415_invalid_request() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/token")
        .header("content-type", "text/plain")
        .body("grant_type=password")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 415);
    assert_eq!(json_body(response).await["error"], "invalid_request");
}
