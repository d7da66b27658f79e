use serde_json::{Value, json};
use shared::token::KeyRing;

use crate::helpers::{AuthApi as _, PASSWORD, SECRET, json_body, spawn_app};

fn verify(token: &str) -> shared::token::Claims {
    let ring = std::sync::Arc::new(KeyRing::single_hmac(SECRET.as_bytes()).expect("ring"));
    shared::token::TokenVerifier::new(ring, "auth-service", "items-service", 0)
        .verify(token)
        .expect("a valid token")
}

#[tokio::test]
async fn post_auth_returns_an_access_token_like_flask_jwt() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let response = app
        .flask_login(&json!({ "username": "alice", "password": PASSWORD }))
        .await;
    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    let claims = verify(body["access_token"].as_str().expect("token"));
    assert_eq!(claims.username, "alice");
    assert_eq!(claims.iss, "auth-service");
    assert!(claims.aud.contains("items-service"));
    assert!(claims.has_scope("items:read") && claims.has_scope("items:write"));
    assert!(claims.exp > claims.iat && claims.exp - claims.iat <= 900);
}

#[tokio::test]
async fn login_is_case_insensitive_in_the_username() {
    let app = spawn_app().await;
    app.register("Alice", PASSWORD).await;
    let response = app
        .flask_login(&json!({ "username": "ALICE", "password": PASSWORD }))
        .await;
    assert_eq!(response.status(), 200);
}

async fn refused(body: Value) -> (u16, Vec<String>, String) {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let response = app.flask_login(&body).await;
    let status = response.status().as_u16();
    let mut names: Vec<String> = response
        .headers()
        .keys()
        .filter(|name| *name != "date")
        .map(|name| name.to_string())
        .collect();
    names.sort();
    (status, names, response.text().await.expect("text"))
}

#[tokio::test]
async fn login_with_a_wrong_password_returns_flask_jwts_401() {
    let (status, _, body) =
        refused(json!({ "username": "alice", "password": "wrong password" })).await;
    assert_eq!(status, 401);
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        body,
        json!({"description": "Invalid credentials", "error": "Bad Request", "status_code": 401})
    );
}

#[tokio::test]
async fn login_with_unknown_user_returns_the_same_status_headers_and_body_as_a_wrong_password() {
    let wrong_password =
        refused(json!({ "username": "alice", "password": "wrong password" })).await;
    let unknown_user =
        refused(json!({ "username": "mallory", "password": "wrong password" })).await;
    assert_eq!(wrong_password, unknown_user);
}

#[tokio::test]
async fn login_without_a_password_returns_401() {
    let (status, _, _) = refused(json!({ "username": "alice" })).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_token_endpoint_answers_an_unknown_user_exactly_like_a_wrong_password() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let mut answers = Vec::new();
    for username in ["alice", "mallory"] {
        let response = app
            .post_token_form(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", "wrong password"),
            ])
            .await;
        let status = response.status();
        let mut names: Vec<String> = response
            .headers()
            .keys()
            .filter(|name| *name != "date")
            .map(ToString::to_string)
            .collect();
        names.sort();
        answers.push((status, names, response.bytes().await.expect("body")));
    }
    assert_eq!(answers[0], answers[1]);
}
