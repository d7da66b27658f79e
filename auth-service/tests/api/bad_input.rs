use crate::helpers::{AuthApi as _, PASSWORD, json_body, spawn_app};

#[tokio::test]
async fn malformed_or_mistyped_bodies_get_a_4xx_that_says_what_was_wrong() {
    let app = spawn_app().await;
    let cases: [(&str, &str, u16, &str); 6] = [
        (
            "application/json",
            "{\"username\": \"a\"",
            400,
            "not valid JSON",
        ),
        ("application/json", "", 400, "empty"),
        ("text/plain", "{}", 415, "Content-Type"),
        ("application/json", "[1, 2]", 422, "body"),
        (
            "application/json",
            "{\"username\": 5, \"password\": \"x\"}",
            422,
            "username",
        ),
        (
            "application/json",
            "{\"password\": \"correct horse\"}",
            422,
            "username",
        ),
    ];
    for (content_type, body, status, mentions) in cases {
        let response = app
            .post("/v1/users")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), status, "{body}");
        let text = response.text().await.expect("text");
        assert!(text.contains(mentions), "{body}: {text}");
    }
}

#[tokio::test]
async fn a_body_over_16_kib_returns_413() {
    let app = spawn_app().await;
    let big = format!(
        "{{\"username\": \"alice\", \"password\": \"{}\"}}",
        "p".repeat(17 * 1024)
    );
    let response = app
        .post("/v1/users")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_header_over_the_servers_limit_gets_a_4xx() {
    let app = spawn_app().await;
    let response = app
        .get("/health/live")
        // actix-http refuses request heads over 128 KiB (431) or with over 96 fields.
        .header("x-filler", "f".repeat(200 * 1024))
        .send()
        .await;
    match response {
        Ok(response) => assert!(response.status().is_client_error(), "{}", response.status()),
        // The server may close the connection instead, which is also a refusal.
        Err(error) => assert!(error.is_request() || error.is_connect(), "{error}"),
    }
    let still_up = app.get("/health/live").send().await.expect("request");
    assert_eq!(still_up.status(), 200);
}

#[tokio::test]
async fn unknown_paths_and_methods_get_problem_details() {
    let app = spawn_app().await;
    let missing = app.get("/nothing/here").send().await.expect("request");
    assert_eq!(missing.status(), 404);
    assert_eq!(json_body(missing).await["status"], 404);
    let wrong_method = app.get("/v1/users").send().await.expect("request");
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(wrong_method.headers()["allow"], "POST", "RFC 9110 15.5.6");
    let trace = app
        .client
        .request(reqwest::Method::TRACE, format!("{}/v1/me", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(trace.status(), 405);
    assert_eq!(trace.headers()["allow"], "GET");
}

#[tokio::test]
async fn a_flask_login_with_malformed_json_gets_flasks_message_shape() {
    let app = spawn_app().await;
    app.register("alice", PASSWORD).await;
    let response = app
        .post("/auth")
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert!(json_body(response).await["message"].is_string());
}
