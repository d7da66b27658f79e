use reqwest::Method;
use shared::metrics::sample;

use crate::helpers::{ItemsApp, send, spawn_app};

async fn scrape(app: &ItemsApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/openmetrics-text"))
    );
    response.text().await.expect("text")
}

fn count(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_token_rejections_by_reason() {
    let app = spawn_app().await;
    let read_series = r#"http_requests_total{method="GET",route="/v1/items/{name}",status="404"}"#;
    let expired_series = r#"token_rejections_total{reason="expired"}"#;
    let signature_series = r#"token_rejections_total{reason="bad_signature"}"#;
    let before = scrape(&app).await;

    // A path no one else uses: it must never appear as a label.
    let item = "metrics-probe-item-7f3a";
    for _ in 0..3 {
        assert_eq!(
            send(app.bearer(Method::GET, &format!("/v1/items/{item}")))
                .await
                .0,
            404
        );
    }
    let mut claims = app.claims();
    claims.exp = app.clock.now_seconds() - 120;
    let expired = app.sign(&claims);
    // Another token's signature on this token's content.
    let token = app.token("items:read");
    let (content, _) = token.rsplit_once('.').expect("a JWS");
    let other = app.token("items:read");
    let (_, signature) = other.rsplit_once('.').expect("a JWS");
    let forged = format!("{content}.{signature}");
    for token in [&expired, &forged] {
        let response = app
            .client
            .get(app.url("/v1/items"))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 401);
    }

    let after = scrape(&app).await;
    // Other tests share the process's registry: at least ours were counted.
    assert!(
        count(&after, read_series) - count(&before, read_series) >= 3.0,
        "{after}"
    );
    assert!(count(&after, expired_series) - count(&before, expired_series) >= 1.0);
    assert!(count(&after, signature_series) - count(&before, signature_series) >= 1.0);
    assert!(after.contains(
        r#"http_request_duration_seconds_count{method="GET",route="/v1/items/{name}",status="404"}"#
    ));
    assert!(!after.contains(item), "a raw path became a label");
    assert!(
        !after.contains(&expired[..20]),
        "a token reached the metrics"
    );
}

#[tokio::test]
async fn a_path_no_route_matches_is_counted_as_unmatched() {
    let app = spawn_app().await;
    let path = "/no-such-endpoint-9c2e";
    assert_eq!(send(app.bearer(Method::GET, path)).await.0, 404);
    let text = scrape(&app).await;
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(!text.contains(path));
}
