use serde_json::json;
use shared::metrics::sample;

use crate::helpers::{AuthApi as _, PASSWORD, TestApp, spawn_app_with};

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").send().await.expect("scrape");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

fn count(text: &str, series: &str) -> f64 {
    sample(text, series).unwrap_or(0.0)
}

async fn login(app: &TestApp, password: &str) -> u16 {
    app.flask_login(&json!({ "username": "alice", "password": password }))
        .await
        .status()
        .as_u16()
}

// Other tests share the process's registry: each check is on what this test
// added at least.
#[tokio::test]
async fn failed_and_throttled_logins_are_counted_and_no_name_or_password_shows() {
    let app = spawn_app_with(&[]).await;
    app.register("alice", PASSWORD).await;
    let before = scrape(&app).await;
    for _ in 0..5 {
        assert_eq!(login(&app, "wrong password").await, 401);
    }
    assert_eq!(login(&app, PASSWORD).await, 429);
    let after = scrape(&app).await;

    let delta = |series| count(&after, series) - count(&before, series);
    assert!(delta("login_failures_total") >= 5.0, "{after}");
    assert!(delta("logins_throttled_total") >= 1.0, "{after}");
    assert!(delta(r#"http_requests_total{method="POST",route="/auth",status="401"}"#) >= 5.0);
    assert!(delta(r#"http_requests_total{method="POST",route="/auth",status="429"}"#) >= 1.0);
    for secret in ["alice", "wrong password", PASSWORD] {
        assert!(!after.contains(secret), "`{secret}` reached the metrics");
    }
}

#[tokio::test]
async fn the_password_hash_queue_depth_is_seen_during_a_flood_and_overflow_counted() {
    // Slow hashes (about 0.1 s) keep the queue standing while it is watched.
    let app = spawn_app_with(&[
        ("AUTH__PASSWORDS__MEMORY_KIB", "19456"),
        ("AUTH__PASSWORDS__ITERATIONS", "8"),
        ("AUTH__PASSWORDS__MAX_CONCURRENT", "1"),
        ("AUTH__PASSWORDS__MAX_QUEUED", "6"),
    ])
    .await;
    app.register("alice", PASSWORD).await;
    let before = scrape(&app).await;

    let flood = futures_util::future::join_all((0..12).map(|_| login(&app, PASSWORD)));
    let watch = async {
        let mut deepest = 0.0_f64;
        for _ in 0..40 {
            let depth = count(&scrape(&app).await, "password_hash_queue_depth");
            deepest = deepest.max(depth);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        deepest
    };
    let (statuses, deepest) = tokio::join!(flood, watch);
    let refused = statuses.iter().filter(|s| **s == 503).count();
    assert!(
        refused >= 1,
        "12 logins fit one slot and 6 places: {statuses:?}"
    );
    assert!(deepest >= 1.0, "the queue was never seen waiting");

    let after = scrape(&app).await;
    let overflow = count(&after, "password_hash_queue_full_total")
        - count(&before, "password_hash_queue_full_total");
    assert!(
        overflow >= refused as f64,
        "{overflow} counted, {refused} refused"
    );
}
