use serde_json::json;

use crate::helpers::{AuthApi as _, PASSWORD, json_body, spawn_app};

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
    for name in ["Zoë_用户", "Ωμέγα", "ユーザー"] {
        let response = app.register(name, PASSWORD).await;
        assert_eq!(response.status(), 201, "{name}");
        assert_eq!(json_body(response).await["username"], name);
    }
}

/// The outside attack's finding: full-width, decomposed and blank-looking
/// names registered as new users, and a Cyrillic-spoofed `root` stood
/// beside the real one.
#[tokio::test]
async fn names_that_look_like_another_or_like_nothing_are_refused() {
    let app = spawn_app().await;
    for name in ["root", "jos\u{e9}"] {
        assert_eq!(app.register(name, PASSWORD).await.status(), 201);
    }
    for (name, why) in [
        ("\u{ff52}\u{ff4f}\u{ff4f}\u{ff54}", "full-width root"),
        ("ROOT", "root in capitals"),
        ("jose\u{301}", "a decomposed josé"),
    ] {
        let response = app.register(name, PASSWORD).await;
        assert_eq!(response.status(), 409, "{why}");
    }
    for (name, why) in [
        (
            "\u{3164}\u{3164}\u{3164}",
            "Hangul fillers, which show as blanks",
        ),
        ("r\u{43e}\u{43e}t", "root with Cyrillic о"),
        ("ab c", "a space"),
    ] {
        let response = app.register(name, PASSWORD).await;
        assert_eq!(response.status(), 422, "{why}");
        let body = json_body(response).await;
        assert!(body["errors"]["username"].is_array(), "{why}: {body}");
    }
    // The same rules find the user at login.
    let login = app
        .post_token_form(&[
            ("grant_type", "password"),
            ("username", "\u{ff52}\u{ff4f}\u{ff4f}\u{ff54}"),
            ("password", PASSWORD),
        ])
        .await;
    assert_eq!(login.status(), 200, "full-width root is root");
}

/// A name stored before RFC 8265 that the rules now refuse still signs in,
/// by the key it was stored under; nobody can register it again.
#[tokio::test]
async fn a_name_stored_before_the_rules_still_signs_in() {
    let database = shared::testing::TestDatabase::new().await;
    let app = crate::helpers::spawn_app_on(database.url(), &[]).await;
    for name in ["zoe_legacy", "jose_legacy"] {
        assert_eq!(app.register(name, PASSWORD).await.status(), 201);
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database.url()).await.expect("open");
    for (old, name) in [
        ("zoe_legacy", "Zoë Ångström"),
        ("jose_legacy", "jose\u{301}"),
    ] {
        sqlx::query("UPDATE users SET username = $1, username_key = $2 WHERE username = $3")
            .bind(name)
            .bind(name.to_lowercase())
            .bind(old)
            .execute(&pool)
            .await
            .expect("a name as stored before");
    }
    pool.close().await;
    for name in ["Zoë Ångström", "ZOË ÅNGSTRÖM", "jose\u{301}"] {
        let login = app
            .flask_login(&serde_json::json!({ "username": name, "password": PASSWORD }))
            .await;
        assert_eq!(login.status(), 200, "{name}");
    }
    assert_eq!(app.register("Zoë Ångström", PASSWORD).await.status(), 422);
}
