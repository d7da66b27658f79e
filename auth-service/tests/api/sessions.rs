//! Sessions: access tokens name their login (`sid`), auth-service's own
//! routes refuse a token whose session ended, and RFC 7009 revocation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::{AuthApi as _, PASSWORD, TestApp, json_body, spawn_app};

pub(crate) fn claims_of(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).expect("a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

fn field(body: &Value, name: &str) -> String {
    body[name].as_str().expect(name).to_owned()
}

/// `GET /v1/me` with `access_token`: the status and the challenge, if any.
async fn me(app: &TestApp, access_token: &str) -> (u16, String) {
    let response = app
        .get("/v1/me")
        .bearer_auth(access_token)
        .send()
        .await
        .expect("request");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), challenge)
}

async fn revoke(app: &TestApp, form: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .post("/v1/revoke")
        .form(form)
        .send()
        .await
        .expect("request");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

#[tokio::test]
async fn an_access_token_names_its_session_through_refreshes_and_a_flask_token_none() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let login = app.password_grant("alice", PASSWORD).await;
    let sid = claims_of(&field(&login, "access_token"))["sid"].clone();
    assert!(sid.is_string(), "{sid}");
    let (status, refreshed) = app.refresh(&field(&login, "refresh_token")).await;
    assert_eq!(status, 200);
    assert_eq!(claims_of(&field(&refreshed, "access_token"))["sid"], sid);
    let other = app.password_grant("alice", PASSWORD).await;
    assert_ne!(claims_of(&field(&other, "access_token"))["sid"], sid);

    let flask = app
        .flask_login(&json!({ "username": "alice", "password": PASSWORD }))
        .await;
    let flask = field(&json_body(flask).await, "access_token");
    assert!(claims_of(&flask).get("sid").is_none());
}

#[tokio::test]
async fn a_logout_ends_its_sessions_access_tokens_here_and_spares_other_sessions() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let phone = app.password_grant("alice", PASSWORD).await;
    let laptop = app.password_grant("alice", PASSWORD).await;
    let phone_access = field(&phone, "access_token");
    assert_eq!(me(&app, &phone_access).await.0, 200);

    let logout = app
        .post("/v1/logout")
        .json(&json!({ "refresh_token": field(&phone, "refresh_token") }))
        .send()
        .await
        .expect("request");
    assert_eq!(logout.status(), 204);
    let (status, challenge) = me(&app, &phone_access).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("session"), "{challenge}");
    assert_eq!(me(&app, &field(&laptop, "access_token")).await.0, 200);
}

#[tokio::test]
async fn a_password_change_ends_the_sessions_access_tokens_here() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let access = field(&app.password_grant("alice", PASSWORD).await, "access_token");
    let change = app
        .client
        .put(app.url("/v1/me/password"))
        .bearer_auth(&access)
        .json(&json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }))
        .send()
        .await
        .expect("request");
    assert_eq!(change.status(), 204);
    assert_eq!(me(&app, &access).await.0, 401);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_session() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let login = app.password_grant("alice", PASSWORD).await;
    let refresh = field(&login, "refresh_token");
    let (status, body) = revoke(
        &app,
        &[("token", &refresh), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, ""));
    let (status, refused) = app.refresh(&refresh).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(me(&app, &field(&login, "access_token")).await.0, 401);
}

#[tokio::test]
async fn revoking_an_access_token_ends_its_session_whatever_the_hint() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    for hint in [Some("access_token"), Some("refresh_token"), None] {
        let login = app.password_grant("alice", PASSWORD).await;
        let access = field(&login, "access_token");
        let mut form = vec![("token", access.as_str())];
        form.extend(hint.map(|hint| ("token_type_hint", hint)));
        assert_eq!(revoke(&app, &form).await.0, 200, "{hint:?}");
        assert_eq!(
            app.refresh(&field(&login, "refresh_token")).await.0,
            400,
            "{hint:?}"
        );
        assert_eq!(me(&app, &access).await.0, 401, "{hint:?}");
    }
}

#[tokio::test]
async fn a_token_without_a_session_is_not_revoked_but_answered_unsupported_token_type() {
    let app = spawn_app().await;
    let flask = app.token_for("alice").await;
    for hint in [Some("access_token"), Some("refresh_token"), None] {
        let mut form = vec![("token", flask.as_str())];
        form.extend(hint.map(|hint| ("token_type_hint", hint)));
        let (status, body) = revoke(&app, &form).await;
        assert_eq!(status, 400, "{hint:?}");
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["error"], "unsupported_token_type", "{body}");
    }
    assert_eq!(me(&app, &flask).await.0, 200, "nothing was revoked");
}

#[tokio::test]
async fn revoking_an_unknown_token_is_200_and_a_request_without_one_an_oauth_error() {
    let app = spawn_app().await;
    assert_eq!(revoke(&app, &[("token", "never-issued")]).await.0, 200);
    assert_eq!(
        revoke(
            &app,
            &[("token", "a.b.c"), ("token_type_hint", "access_token")]
        )
        .await
        .0,
        200
    );
    let (status, body) = revoke(&app, &[("client_id", "some-app")]).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["error"], "invalid_request", "{body}");
    let json = app
        .post("/v1/revoke")
        .json(&json!({ "token": "never-issued" }))
        .send()
        .await
        .expect("request");
    assert_eq!(json.status(), 200);
}
