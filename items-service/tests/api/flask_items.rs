//! The seed tutorial's routes answer exactly as Flask-RESTful did.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{send, spawn_app};

#[tokio::test]
async fn post_then_get_an_item_returns_the_tutorials_bodies() {
    let app = spawn_app().await;
    let (status, body) = send(
        app.jwt(Method::POST, "/item/chair")
            .json(&json!({ "price": 15.99 })),
    )
    .await;
    assert_eq!(
        (status, body),
        (201, json!({ "name": "chair", "price": 15.99 }))
    );
    let (status, body) = send(app.bearer(Method::GET, "/item/chair")).await;
    assert_eq!(
        (status, body),
        (200, json!({ "item": { "name": "chair", "price": 15.99 } }))
    );
}

#[tokio::test]
async fn get_of_a_missing_item_returns_404_item_null() {
    let app = spawn_app().await;
    assert_eq!(
        send(app.bearer(Method::GET, "/item/ghost")).await,
        (404, json!({ "item": null }))
    );
}

#[tokio::test]
async fn a_duplicate_post_returns_the_tutorials_400_message() {
    let app = spawn_app().await;
    send(
        app.jwt(Method::POST, "/item/chair")
            .json(&json!({ "price": 1 })),
    )
    .await;
    let (status, body) = send(
        app.jwt(Method::POST, "/item/chair")
            .json(&json!({ "price": 2 })),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({ "message": "An item with name 'chair' already exists." })
    );
    let (_, kept) = send(app.bearer(Method::GET, "/item/chair")).await;
    assert_eq!(kept["item"]["price"], 1.0);
}

#[tokio::test]
async fn a_post_without_price_returns_the_tutorials_field_message() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({ "price": null }),
        json!({ "price": "cheap" }),
    ] {
        let (status, answer) = send(app.jwt(Method::POST, "/item/chair").json(&body)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            answer,
            json!({ "message": { "price": "This field cannot be left blank!" } }),
            "{body}"
        );
    }
    assert_eq!(send(app.bearer(Method::GET, "/item/chair")).await.0, 404);
}

#[tokio::test]
async fn a_numeric_string_price_is_accepted_as_flask_did() {
    let app = spawn_app().await;
    let (status, body) = send(
        app.jwt(Method::POST, "/item/lamp")
            .json(&json!({ "price": "12.5" })),
    )
    .await;
    assert_eq!(
        (status, body),
        (201, json!({ "name": "lamp", "price": 12.5 }))
    );
}

#[tokio::test]
async fn a_negative_price_is_refused_with_a_field_message() {
    let app = spawn_app().await;
    let (status, body) = send(
        app.jwt(Method::POST, "/item/lamp")
            .json(&json!({ "price": -1 })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"]["price"].is_string(), "{body}");
}

#[tokio::test]
async fn names_are_percent_decoded_and_may_be_any_script() {
    let app = spawn_app().await;
    for (path, name) in [
        ("/item/%E6%A4%85%E5%AD%90", "椅子"),
        ("/item/a%2Fb", "a/b"),
        ("/item/two%20words", "two words"),
        ("/item/caf%C3%A9+x", "café+x"),
    ] {
        let (status, body) = send(app.jwt(Method::POST, path).json(&json!({ "price": 3 }))).await;
        assert_eq!(status, 201, "{path}");
        assert_eq!(body["name"], name, "{path}");
        let (status, body) = send(app.bearer(Method::GET, path)).await;
        assert_eq!(
            (status, &body["item"]["name"]),
            (200, &json!(name)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_name_over_128_characters_or_with_a_control_character_is_refused() {
    let app = spawn_app().await;
    let long = "é".repeat(129);
    for path in [
        format!("/item/{long}"),
        "/item/a%00b".to_owned(),
        "/item/a%0Ab".to_owned(),
    ] {
        let (status, body) = send(app.jwt(Method::POST, &path).json(&json!({ "price": 3 }))).await;
        assert_eq!(status, 400, "{path}");
        assert!(body["message"]["name"].is_string(), "{body}");
    }
    let longest = "é".repeat(128);
    let (status, _) = send(
        app.jwt(Method::POST, &format!("/item/{longest}"))
            .json(&json!({ "price": 3 })),
    )
    .await;
    assert_eq!(status, 201);
}
