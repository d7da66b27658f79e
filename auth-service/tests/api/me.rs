use crate::helpers::{AuthApi as _, json_body, spawn_app};

#[tokio::test]
async fn me_returns_the_callers_record() {
    let app = spawn_app().await;
    let token = app.token_for("alice").await;
    let response = app
        .get("/v1/me")
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["username"], "alice");
    assert!(body.get("password_hash").is_none());
}

#[tokio::test]
async fn me_without_a_token_returns_401_with_a_bare_challenge() {
    let app = spawn_app().await;
    let response = app.get("/v1/me").send().await.expect("request");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"auth-service\""
    );
}

#[tokio::test]
async fn me_with_a_forged_token_returns_401_invalid_token() {
    let app = spawn_app().await;
    let token = app.token_for("alice").await;
    let forged = format!("{}x", &token[..token.len() - 1]);
    let response = app
        .get("/v1/me")
        .bearer_auth(forged)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}
