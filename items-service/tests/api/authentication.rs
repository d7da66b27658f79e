//! Every route refuses a missing, bad or under-scoped token as RFC 6750 says.

use std::time::Duration;

use serde_json::json;
use shared::token::Audience;

use crate::helpers::{ALL_SCOPES, ItemsApp, SECRET, builder, send, signer_with, spawn_app, start};

fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

const ROUTES: [(&str, &str); 6] = [
    ("GET", "/item/x"),
    ("POST", "/item/x"),
    ("GET", "/v1/items"),
    ("GET", "/v1/items/x"),
    ("PUT", "/v1/items/x"),
    ("DELETE", "/v1/items/x"),
];

fn request(app: &ItemsApp, method: &str, path: &str) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    app.client
        .request(method, app.url(path))
        .json(&json!({ "price": 1 }))
}

#[tokio::test]
async fn every_route_without_a_token_returns_401_with_a_bare_challenge_naming_the_metadata() {
    let app = spawn_app().await;
    for (method, path) in ROUTES {
        let response = request(&app, method, path).send().await.expect("request");
        assert_eq!(response.status(), 401, "{method} {path}");
        assert_eq!(
            challenge(&response),
            "Bearer realm=\"items-service\", resource_metadata=\"http://localhost:8082/.well-known/oauth-protected-resource\"",
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn the_protected_resource_metadata_is_built_from_the_public_url() {
    let app = start(
        builder()
            .await
            .env("ITEMS__SERVER__PUBLIC_URL", "https://api.example/items/")
            .env("JWT_ISSUER", "https://auth.example"),
    )
    .await;
    let (status, metadata) = send(
        app.client
            .get(app.url("/.well-known/oauth-protected-resource"))
            .header("host", "evil.example"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        metadata,
        json!({
            "resource": "https://api.example/items",
            "authorization_servers": ["https://auth.example"],
            "scopes_supported": ["items:read", "items:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "items-service",
            "resource_documentation": "https://api.example/items/docs/"
        })
    );
    let refused = app
        .client
        .get(app.url("/v1/items"))
        .send()
        .await
        .expect("request");
    assert!(challenge(&refused).ends_with(
        "resource_metadata=\"https://api.example/items/.well-known/oauth-protected-resource\""
    ));
}

async fn assert_refused(app: &ItemsApp, authorization: &str, why: &str) {
    for (method, path) in ROUTES {
        let response = request(app, method, path)
            .header("authorization", authorization)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401, "{why}: {method} {path}");
        let challenge = challenge(&response);
        assert!(
            challenge.starts_with("Bearer realm=\"items-service\", error=\"invalid_token\""),
            "{why}: {challenge}"
        );
    }
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = spawn_app().await;
    let token = app.token(ALL_SCOPES);
    // 900 s of lifetime and 30 s of leeway: valid up to the last second.
    app.clock.advance(Duration::from_secs(929));
    let (status, _) = send(request(&app, "GET", "/v1/items").bearer_auth(&token)).await;
    assert_eq!(status, 200);
    app.clock.advance(Duration::from_secs(1));
    assert_refused(&app, &format!("Bearer {token}"), "expired").await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let app = spawn_app().await;
    let mut claims = app.claims();
    claims.aud = Audience::one("billing-service");
    assert_refused(&app, &format!("Bearer {}", app.sign(&claims)), "audience").await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let app = spawn_app().await;
    let mut claims = app.claims();
    claims.iss = "someone-else".into();
    assert_refused(&app, &format!("Bearer {}", app.sign(&claims)), "issuer").await;
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let app = spawn_app().await;
    let other = signer_with(
        b"another-secret-another-secret-another",
        "auth-service",
        "items-service",
    );
    let token = other
        .issue("u", "mallory", "items:read items:write")
        .expect("issue");
    assert_refused(&app, &format!("Bearer {}", token.access_token), "key").await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let kid = shared::token::derive_kid(SECRET.as_bytes());
    let token = format!(
        "{}.{}.",
        b64(json!({ "alg": "none", "typ": "JWT", "kid": kid })),
        b64(serde_json::to_value(app.claims()).expect("claims"))
    );
    assert_refused(&app, &format!("Bearer {token}"), "alg none").await;
}

#[tokio::test]
async fn garbage_and_malformed_headers_are_refused() {
    let app = spawn_app().await;
    let token = app.token("items:read items:write");
    for (authorization, why) in [
        ("Bearer not-a-token", "garbage"),
        ("Bearer ", "empty token"),
        (&format!("Bearer {token} extra") as &str, "two tokens"),
        (
            &format!("Bearer {}", &token[..token.len() - 2]),
            "truncated",
        ),
    ] {
        assert_refused(&app, authorization, why).await;
    }
}

#[tokio::test]
async fn both_schemes_in_any_case_are_accepted() {
    let app = spawn_app().await;
    let token = app.token("items:read");
    for scheme in ["Bearer", "bearer", "JWT", "jwt"] {
        let response = app
            .client
            .get(app.url("/item/x"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 404, "{scheme}");
    }
}

#[tokio::test]
async fn a_token_in_the_query_string_is_never_accepted() {
    let app = spawn_app().await;
    let token = app.token("items:read");
    let (status, _) = send(
        app.client
            .get(app.url(&format!("/v1/items?access_token={token}"))),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let app = spawn_app().await;
    let value = format!("Bearer {}", app.token("items:read"));
    let response = app
        .client
        .get(app.url("/v1/items"))
        .header("authorization", &value)
        .header("authorization", &value)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_read_only_token_cannot_write_and_gets_403_insufficient_scope() {
    let app = spawn_app().await;
    let token = app.token("items:read");
    for (method, path) in [
        ("POST", "/item/x"),
        ("PUT", "/v1/items/x"),
        ("DELETE", "/v1/items/x"),
    ] {
        let response = request(&app, method, path)
            .bearer_auth(&token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 403, "{method} {path}");
        let challenge = challenge(&response);
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
        assert!(challenge.contains("scope=\"items:write\""), "{challenge}");
    }
    let read = request(&app, "GET", "/v1/items")
        .bearer_auth(&token)
        .send()
        .await;
    assert_eq!(read.expect("request").status(), 200);
}

#[tokio::test]
async fn a_write_only_token_cannot_read() {
    let app = spawn_app().await;
    let token = app.token("items:write");
    let response = request(&app, "GET", "/v1/items")
        .bearer_auth(&token)
        .send()
        .await;
    assert_eq!(response.expect("request").status(), 403);
}

#[tokio::test]
async fn the_flask_routes_answer_401_in_flask_jwts_shape() {
    let app = spawn_app().await;
    let (status, body) = send(app.client.get(app.url("/item/x"))).await;
    assert_eq!(status, 401);
    assert_eq!(body["status_code"], 401);
    assert_eq!(body["error"], "Authorization Required");
}

#[tokio::test]
async fn with_a_step_up_for_writes_a_weaker_or_older_sign_in_gets_the_rfc_9470_challenge() {
    let app = start(
        builder()
            .await
            .env("ITEMS__AUTH__WRITE_ACR", "aal2")
            .env("ITEMS__AUTH__WRITE_MAX_AGE", "600"),
    )
    .await;
    let signer = signer_with(SECRET.as_bytes(), "auth-service", "items-service")
        .with_clock(app.clock.clone());
    let token = |acr: &'static str| {
        let sign_in = shared::token::SignIn {
            auth_time: app.clock.now_seconds(),
            acr,
            amr: &["pwd"],
        };
        signer
            .issue_signed_in(None, "u", "alice", ALL_SCOPES, &sign_in)
            .expect("issue")
            .access_token
    };
    let write = |token: &str, scheme: &str, path: &str| {
        app.client
            .post(format!("{}{path}", app.address))
            .header("authorization", format!("{scheme} {token}"))
            .json(&json!({"price": 1.5}))
    };
    let expected = "Bearer realm=\"items-service\", error=\"insufficient_user_authentication\", \
                    error_description=\"this request needs a sign-in at level aal2 within the last \
                    600 seconds\", acr_values=\"aal2\", max_age=\"600\"";
    let weak = token("aal1");
    for (scheme, path) in [("Bearer", "/item/chair"), ("JWT", "/item/chair")] {
        let refused = write(&weak, scheme, path).send().await.expect("answer");
        assert_eq!(refused.status(), 401);
        let challenge = refused.headers()["www-authenticate"]
            .to_str()
            .expect("ascii");
        assert_eq!(challenge, expected);
    }
    let refused = app
        .client
        .put(format!("{}/v1/items/chair", app.address))
        .bearer_auth(&weak)
        .json(&json!({"price": 1.5}))
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 401);
    let (status, body) = send(
        app.client
            .get(format!("{}/v1/items", app.address))
            .bearer_auth(&weak),
    )
    .await;
    assert_eq!(status, 200, "reads ask for nothing more: {body}");

    let strong = token("aal2");
    let (status, _) = send(write(&strong, "Bearer", "/item/chair")).await;
    assert_eq!(status, 201);
    app.clock.advance(Duration::from_secs(601));
    let refused = write(&strong, "Bearer", "/item/table")
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 401, "a sign-in older than max_age");
}
