//! CORS on auth-service: the token endpoint, the Flask login, the v1 API and
//! the operations answer a configured origin, refusals included.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{AuthApi as _, PASSWORD, spawn_app_with};

const APP: &str = "https://app.example.com";

fn allow_origin(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn the_token_endpoint_and_every_route_group_answer_an_allowed_origin() {
    let app = spawn_app_with(&[("AUTH__CORS__ALLOWED_ORIGINS", APP)]).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/v1/token"))
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), 204);
    assert_eq!(allow_origin(&preflight), Some(APP));

    app.register("alice", PASSWORD).await;
    let answers = [
        app.post("/v1/token").form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ]),
        app.post("/v1/token").form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "wrong one"),
        ]),
        app.post("/auth")
            .json(&json!({"username": "alice", "password": "wrong one"})),
        app.get("/v1/me"),
        app.get("/v1/admin/users"),
        app.get("/.well-known/jwks.json"),
        app.get("/health/ready"),
    ];
    let mut statuses = Vec::new();
    for request in answers {
        let response = request.header("origin", APP).send().await.expect("answer");
        statuses.push(response.status().as_u16());
        assert_eq!(allow_origin(&response), Some(APP), "{}", response.url());
        let vary = response.headers().get("vary").and_then(|v| v.to_str().ok());
        assert!(vary.is_some_and(|v| v.contains("Origin")));
    }
    assert_eq!(statuses, [200, 400, 401, 401, 401, 200, 200]);

    let other = app
        .get("/v1/me")
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("answer");
    assert_eq!(other.status(), 401);
    assert_eq!(allow_origin(&other), None);
}
