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

#[tokio::test]
async fn a_user_lists_their_sessions_and_ends_one_but_never_anothers() {
    use shared::testing::send;

    let app = spawn_app().await;
    app.register("alice", crate::helpers::PASSWORD).await;
    app.register("bob", crate::helpers::PASSWORD).await;
    let first = app.password_grant("alice", crate::helpers::PASSWORD).await;
    let second = app.password_grant("alice", crate::helpers::PASSWORD).await;
    let bobs = app.password_grant("bob", crate::helpers::PASSWORD).await;
    let access = second["access_token"].as_str().expect("access");
    let (status, listed) = send(app.get("/v1/me/sessions").bearer_auth(access)).await;
    assert_eq!(status, 200, "{listed}");
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(
        items.iter().filter(|s| s["current"] == true).count(),
        1,
        "{listed}"
    );
    assert!(
        items
            .iter()
            .all(|s| s["acr"] == "aal1" && s["client_id"].is_null())
    );
    let other = items
        .iter()
        .find(|s| s["current"] == false)
        .expect("the first session");
    let other_id = other["id"].as_str().expect("id");

    // bob's session is not alice's to end: the same answer as none.
    let sid = |tokens: &serde_json::Value| {
        let claims = crate::sessions::claims_of(tokens["access_token"].as_str().expect("access"));
        claims["sid"].as_str().expect("sid").to_owned()
    };
    for id in [sid(&bobs), "no-such-session".to_owned()] {
        let (status, _) = send(
            app.delete(&format!("/v1/me/sessions/{id}"))
                .bearer_auth(access),
        )
        .await;
        assert_eq!(status, 404);
    }
    let (status, _) = app
        .refresh(bobs["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 200, "bob's session lives on");

    let (status, _) = send(
        app.delete(&format!("/v1/me/sessions/{other_id}"))
            .bearer_auth(access),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(other_id, sid(&first));
    let (status, _) = app
        .refresh(first["refresh_token"].as_str().expect("refresh"))
        .await;
    assert_eq!(status, 400, "the ended session's refresh token");
    let (_, listed) = send(app.get("/v1/me/sessions").bearer_auth(access)).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}
