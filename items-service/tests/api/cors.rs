//! CORS: off by default; for configured origins, preflights answered before
//! authentication and every answer naming the origin, on every route group.

use reqwest::Method;

use crate::helpers::{SECRET, builder, signer_with, start};

const APP: &str = "https://app.example.com";
const OTHER: &str = "https://evil.example";

async fn with_cors() -> (shared::testing::TestApp, String) {
    let app = start(builder().await.env(
        "ITEMS__CORS__ALLOWED_ORIGINS",
        &format!("{APP}, http://localhost:5173"),
    ))
    .await;
    let token = signer_with(SECRET.as_bytes(), "auth-service", "items-service")
        .with_clock(app.clock.clone())
        .issue("u", "alice", "items:read items:write")
        .expect("issue")
        .access_token;
    (app, token)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("text").to_owned())
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_before_authentication() {
    let (app, _) = with_cors().await;
    for (method, path) in [
        ("GET", "/v1/items"),
        ("PUT", "/v1/items/desk"),
        ("POST", "/item/desk"),
        ("GET", "/health/ready"),
    ] {
        let response = app
            .client
            .request(Method::OPTIONS, app.url(path))
            .header("origin", APP)
            .header("access-control-request-method", method)
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
            .await
            .expect("preflight");
        assert_eq!(response.status(), 204, "{method} {path}");
        assert_eq!(
            header(&response, "access-control-allow-origin").as_deref(),
            Some(APP)
        );
        let methods = header(&response, "access-control-allow-methods").expect("methods");
        assert!(methods.contains(method), "{methods}");
        let headers = header(&response, "access-control-allow-headers").expect("headers");
        assert!(headers.contains("Authorization") && headers.contains("Content-Type"));
        assert!(header(&response, "access-control-max-age").is_some());
        assert_eq!(header(&response, "vary").as_deref(), Some("Origin"));
        assert!(header(&response, "access-control-allow-credentials").is_none());
    }

    let refused = app
        .client
        .request(Method::OPTIONS, app.url("/v1/items"))
        .header("origin", OTHER)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert_ne!(refused.status(), 204);
    assert!(header(&refused, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn every_answer_to_an_allowed_origin_names_it_refusals_included() {
    let (app, token) = with_cors().await;
    let cases = [
        (Method::GET, "/v1/items", None, 401),
        (Method::GET, "/v1/items", Some(token.clone()), 200),
        (Method::GET, "/item/desk", None, 401),
        (Method::GET, "/item/desk", Some(token.clone()), 404),
        (Method::GET, "/health/live", None, 200),
        (Method::GET, "/metrics", None, 200),
        (Method::GET, "/no/such/path", None, 404),
    ];
    for (method, path, token, status) in cases {
        let mut request = app.client.request(method.clone(), app.url(path));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        let allowed = request.try_clone().expect("clone").header("origin", APP);
        let response = allowed.send().await.expect("answer");
        assert_eq!(response.status(), status, "{method} {path}");
        assert_eq!(
            header(&response, "access-control-allow-origin").as_deref(),
            Some(APP),
            "{method} {path}"
        );
        assert!(header(&response, "vary").is_some_and(|v| v.contains("Origin")));
        if status == 401 {
            assert!(header(&response, "www-authenticate").is_some());
            // A page may read the challenge (RFC 6750, RFC 9470 step-up).
            assert!(
                header(&response, "access-control-expose-headers")
                    .is_some_and(|exposed| exposed.contains("WWW-Authenticate"))
            );
        }
        let other = request
            .header("origin", OTHER)
            .send()
            .await
            .expect("answer");
        assert_eq!(other.status(), status);
        assert!(
            header(&other, "access-control-allow-origin").is_none(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn without_configured_origins_there_are_no_cors_headers() {
    let app = start(builder().await).await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("origin", APP)
        .send()
        .await
        .expect("answer");
    assert!(header(&response, "access-control-allow-origin").is_none());
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/v1/items"))
        .header("origin", APP)
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("preflight");
    assert_ne!(preflight.status(), 204);
    assert!(header(&preflight, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_wildcard_or_a_path_in_the_origins_stops_start_up() {
    for bad in ["*", "https://app.example.com/", "app.example.com"] {
        let settings = items_service::settings::Settings::load_from(
            &[
                ("ITEMS__CORS__ALLOWED_ORIGINS".to_owned(), bad.to_owned()),
                ("JWT_SECRET".to_owned(), SECRET.to_owned()),
            ]
            .into_iter()
            .collect(),
        )
        .expect("settings load; the origins are checked at build");
        let built =
            items_service::startup::Application::build(settings, shared::clock::Clock::system())
                .await;
        let error = built.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("CORS__ALLOWED_ORIGINS"), "{bad}: {error}");
    }
}
