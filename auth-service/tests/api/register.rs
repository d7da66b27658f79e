use serde_json::json;

use crate::helpers::{json_body, spawn_app, AuthApi as _, PASSWORD};

#[tokio::test]
async fn register_returns_201_with_the_user_and_never_the_hash() {
    let app = spawn_app().await;
    let response = app.register("alice", PASSWORD).await;
    assert_eq!(response.status(), 201);
    let body = json_body(response).await;
    assert_eq!(body["username"], "alice");
    assert!(body["id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(body["created_at"].is_string());
    let text = body.to_string();
    assert!(
        !text.contains("argon2") && !text.contains(PASSWORD),
        "{text}"
    );
}

#[tokio::test]
async fn register_with_a_taken_name_in_any_case_returns_409() {
    let app = spawn_app().await;
    assert_eq!(app.register("Alice", PASSWORD).await.status(), 201);
    let response = app.register("aLICE", PASSWORD).await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = json_body(response).await;
    assert_eq!(body["errors"]["username"][0], "is taken");
}

#[tokio::test]
async fn register_with_invalid_fields_returns_422_naming_each_field() {
    let app = spawn_app().await;
    let long_password = "p".repeat(1025);
    let cases = [
        ("ab", PASSWORD, "username", "a name of 2 characters"),
        (
            &"x".repeat(65) as &str,
            PASSWORD,
            "username",
            "a name of 65 characters",
        ),
        ("bad\u{0}name", PASSWORD, "username", "a control character"),
        (
            "zero\u{200B}width",
            PASSWORD,
            "username",
            "a zero-width space",
        ),
        ("evil\u{202E}txt", PASSWORD, "username", "a bidi override"),
        ("carol", "short", "password", "a 5-byte password"),
        ("carol", &long_password, "password", "a 1025-byte password"),
        ("carol", "password123", "password", "a common password"),
        ("carol", "Carol-Carol", "password", "fine"),
    ];
    for (username, password, field, case) in cases {
        let response = app.register(username, password).await;
        if case == "fine" {
            assert_eq!(response.status(), 201, "{case}");
            continue;
        }
        assert_eq!(response.status(), 422, "{case}");
        let body = json_body(response).await;
        assert!(body["errors"][field].is_array(), "{case}: {body}");
    }
}

#[tokio::test]
async fn register_reports_both_fields_when_both_are_invalid() {
    let app = spawn_app().await;
    let body = json_body(app.register("x", "123").await).await;
    assert!(body["errors"]["username"].is_array(), "{body}");
    assert!(body["errors"]["password"].is_array(), "{body}");
}

#[tokio::test]
async fn a_refused_registration_writes_nothing() {
    let app = spawn_app().await;
    assert_eq!(app.register("dave", "123").await.status(), 422);
    assert_eq!(app.register("dave", PASSWORD).await.status(), 201);
}

#[tokio::test]
async fn register_with_an_unknown_field_returns_422() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/users")
        .json(&json!({ "username": "erin", "password": PASSWORD, "admin": true }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let body = json_body(response).await;
    assert!(body["errors"]["admin"].is_array(), "{body}");
}

#[tokio::test]
async fn usernames_in_other_scripts_register() {
    let app = spawn_app().await;
    let response = app.register("Zoë 用户", PASSWORD).await;
    assert_eq!(response.status(), 201);
    assert_eq!(json_body(response).await["username"], "Zoë 用户");
}
