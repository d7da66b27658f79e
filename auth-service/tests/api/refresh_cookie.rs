//! The refresh token in a cookie (`AUTH__TOKENS__REFRESH_COOKIE=true`): set
//! HttpOnly, Secure, SameSite=Strict on the two paths that read it, never in
//! the JSON body; read by the refresh grant and logout only for a request
//! from this service's pages or an allowed CORS origin (the CSRF defence).

use reqwest::{RequestBuilder, Response};
use serde_json::Value;

use crate::helpers::{AuthApi as _, PASSWORD, TestApp, json_body, spawn_app_with};

const OWN: &str = "https://auth.example.com";
const APP: &str = "https://app.example.com";

async fn cookie_app() -> TestApp {
    spawn_app_with(&[
        ("AUTH__TOKENS__REFRESH_COOKIE", "true"),
        ("AUTH__TOKENS__REFRESH_REUSE_GRACE_SECONDS", "0"),
        ("AUTH__SERVER__PUBLIC_URL", OWN),
        ("AUTH__CORS__ALLOWED_ORIGINS", APP),
    ])
    .await
}

/// The `Set-Cookie` headers of an answer.
fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .collect()
}

/// The refresh token an answer set (the same on both paths).
fn refresh_cookie(response: &Response) -> String {
    let values: Vec<String> = set_cookies(response)
        .iter()
        .map(|c| {
            let pair = c.split(';').next().expect("a pair");
            pair.strip_prefix("refresh_token=")
                .expect("the cookie")
                .to_owned()
        })
        .collect();
    assert_eq!(values.len(), 2, "one per path");
    assert_eq!(values[0], values[1]);
    values[0].clone()
}

/// Logs alice in as a page of this service would; the refresh cookie.
async fn log_in(app: &TestApp) -> String {
    app.register("alice", PASSWORD).await;
    let response = same_origin(app.post("/v1/token").form(&LOGIN))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    refresh_cookie(&response)
}

/// alice's password grant.
const LOGIN: [(&str, &str); 3] = [
    ("grant_type", "password"),
    ("username", "alice"),
    ("password", PASSWORD),
];

async fn preflight(app: &TestApp) -> Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/v1/token"))
        .header("origin", APP)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight")
}

fn same_origin(request: RequestBuilder) -> RequestBuilder {
    request
        .header("origin", OWN)
        .header("sec-fetch-site", "same-origin")
}

fn cookie_refresh(app: &TestApp, cookie: &str) -> RequestBuilder {
    app.post("/v1/token")
        .header("cookie", format!("refresh_token={cookie}"))
        .form(&[("grant_type", "refresh_token")])
}

fn cookie_logout(app: &TestApp, cookie: &str) -> RequestBuilder {
    app.post("/v1/logout")
        .header("cookie", format!("refresh_token={cookie}"))
}

#[tokio::test]
async fn the_refresh_token_is_a_scoped_http_only_cookie_and_not_in_the_body() {
    let app = cookie_app().await;
    app.register("alice", PASSWORD).await;
    // A client that is not a browser logs in too; it just gets no refresh token to keep.
    let response = app.post_token_form(&LOGIN).await;
    assert_eq!(response.status(), 200);
    let cookies = set_cookies(&response);
    let body = json_body(response).await;
    assert!(body["access_token"].is_string());
    assert_eq!(body.get("refresh_token"), None, "{body}");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for (cookie, path) in cookies.iter().zip(["/v1/token", "/v1/logout"]) {
        let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
        for expected in ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age=2592000"] {
            assert!(attributes.contains(&expected), "{cookie}");
        }
        assert!(
            attributes.contains(&format!("Path={path}").as_str()),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn a_page_of_this_service_refreshes_and_logs_out_with_the_cookie() {
    let app = cookie_app().await;
    let first = log_in(&app).await;

    let refreshed = same_origin(cookie_refresh(&app, &first))
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), 200);
    let second = refresh_cookie(&refreshed);
    assert_ne!(second, first, "rotated");
    let body = json_body(refreshed).await;
    assert!(body["access_token"].is_string());
    assert_eq!(body.get("refresh_token"), None);

    let logout = same_origin(cookie_logout(&app, &second))
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 204);
    let cleared = set_cookies(&logout);
    assert_eq!(cleared.len(), 2);
    assert!(
        cleared
            .iter()
            .all(|c| c.starts_with("refresh_token=;") && c.contains("Max-Age=0"))
    );

    let after = same_origin(cookie_refresh(&app, &second))
        .send()
        .await
        .expect("refresh");
    assert_eq!(after.status(), 400);
    assert_eq!(json_body(after).await["error"], "invalid_grant");
}

#[tokio::test]
async fn a_cross_site_request_carrying_the_cookie_is_refused_and_changes_nothing() {
    let app = cookie_app().await;
    let cookie = log_in(&app).await;

    // What a browser sends for a form or fetch from each page.
    let untrusted: [&[(&str, &str)]; 4] = [
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        // Same site, so SameSite=Strict would let the cookie through: the
        // Origin check does not.
        &[
            ("origin", "https://blog.example.com"),
            ("sec-fetch-site", "same-site"),
        ],
        &[("origin", "null"), ("sec-fetch-site", "cross-site")],
        // No browser sends neither: the cookie is for browsers.
        &[],
    ];
    for headers in untrusted {
        for request in [cookie_refresh(&app, &cookie), cookie_logout(&app, &cookie)] {
            let request = headers.iter().fold(request, |request, (name, value)| {
                request.header(*name, *value)
            });
            let response = request.send().await.expect("answer");
            assert_eq!(response.status(), 403, "{headers:?} {}", response.url());
            assert!(set_cookies(&response).is_empty());
            let body: Value = json_body(response).await;
            let detail = body["detail"].as_str().expect("a detail");
            assert!(detail.contains("refresh cookie"), "{body}");
        }
    }
    let login = app
        .post("/v1/token")
        .header("origin", "https://evil.example")
        .form(&LOGIN)
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 403, "no login CSRF");

    // Nothing was spent or revoked: the page itself still refreshes.
    let refreshed = same_origin(cookie_refresh(&app, &cookie))
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), 200);
}

/// Cookie tossing: a sibling subdomain sets a second `refresh_token` for
/// the parent domain; the browser sends both (the older first).
#[tokio::test]
async fn a_request_with_a_tossed_second_cookie_is_refused_and_rotates_or_ends_nothing() {
    let app = cookie_app().await;
    let victim = log_in(&app).await;
    let response = app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .await;
    let attacker = refresh_cookie(&response);
    let both = format!("refresh_token={attacker}; refresh_token={victim}");
    for path in ["/v1/token", "/v1/logout"] {
        let mut request = same_origin(app.post(path)).header("cookie", &both);
        if path == "/v1/token" {
            request = request.form(&[("grant_type", "refresh_token")]);
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status(), 400, "{path}");
        assert!(set_cookies(&response).is_empty(), "{path}");
        let body = json_body(response).await;
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains("more than one refresh cookie"), "{body}");
    }
    // Nothing was rotated or revoked: each session still renews alone.
    for cookie in [attacker, victim] {
        let response = same_origin(cookie_refresh(&app, &cookie))
            .send()
            .await
            .expect("refresh");
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn same_origin_fetch_metadata_beside_a_foreign_origin_is_refused() {
    let app = cookie_app().await;
    let cookie = log_in(&app).await;
    for origin in ["https://evil.example", APP] {
        let response = cookie_refresh(&app, &cookie)
            .header("origin", origin)
            .header("sec-fetch-site", "same-origin")
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), 403, "{origin}");
    }
    let response = same_origin(cookie_refresh(&app, &cookie))
        .send()
        .await
        .expect("refresh");
    assert_eq!(response.status(), 200, "nothing was spent");
}

#[tokio::test]
async fn an_allowed_cors_origin_may_use_the_cookie_with_credentials() {
    let app = cookie_app().await;
    let cookie = log_in(&app).await;
    let preflight = preflight(&app).await;
    assert_eq!(preflight.status(), 204);
    let credentials = |response: &Response| {
        response
            .headers()
            .get("access-control-allow-credentials")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(credentials(&preflight).as_deref(), Some("true"));

    let refreshed = cookie_refresh(&app, &cookie)
        .header("origin", APP)
        .header("sec-fetch-site", "same-site")
        .send()
        .await
        .expect("refresh");
    assert_eq!(refreshed.status(), 200);
    assert_eq!(credentials(&refreshed).as_deref(), Some("true"));
    let origin = refreshed.headers().get("access-control-allow-origin");
    assert_eq!(origin.and_then(|v| v.to_str().ok()), Some(APP));
}

#[tokio::test]
async fn with_the_cookie_off_nothing_reads_or_sets_one() {
    let app = spawn_app_with(&[("AUTH__CORS__ALLOWED_ORIGINS", APP)]).await;
    app.register("alice", PASSWORD).await;
    let login = same_origin(app.post("/v1/token").form(&LOGIN))
        .send()
        .await
        .expect("login");
    assert!(set_cookies(&login).is_empty());
    let body = json_body(login).await;
    let refresh_token = body["refresh_token"].as_str().expect("in the body");

    let from_cookie = same_origin(cookie_refresh(&app, refresh_token))
        .send()
        .await
        .expect("refresh");
    assert_eq!(from_cookie.status(), 400);
    assert_eq!(json_body(from_cookie).await["error"], "invalid_request");
    let preflight = preflight(&app).await;
    assert!(
        preflight
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}
