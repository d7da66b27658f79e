use reqwest::Method;
use serde_json::json;

use crate::helpers::{send, spawn_app};

#[tokio::test]
async fn put_creates_with_201_then_replaces_with_200() {
    let app = spawn_app().await;
    let response = app
        .bearer(Method::PUT, "/v1/items/desk")
        .json(&json!({ "price": 100 }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/v1/items/desk");
    let created: serde_json::Value = response.json().await.expect("json");
    assert_eq!(created["created_by"], "alice");
    assert_eq!(created["created_at"], created["updated_at"]);

    app.clock.advance(std::time::Duration::from_millis(5));
    let (status, replaced) = send(
        app.bearer(Method::PUT, "/v1/items/desk")
            .json(&json!({ "price": 120.5 })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(replaced["price"], 120.5);
    assert_eq!(replaced["created_at"], created["created_at"]);
    assert_ne!(replaced["updated_at"], created["updated_at"]);

    let (status, fetched) = send(app.bearer(Method::GET, "/v1/items/desk")).await;
    assert_eq!((status, fetched), (200, replaced));
}

#[tokio::test]
async fn an_item_read_is_labelled_json_on_both_routes_every_time() {
    let app = spawn_app().await;
    let (status, _) = send(
        app.bearer(Method::PUT, "/v1/items/lamp")
            .json(&json!({ "price": 12 })),
    )
    .await;
    assert_eq!(status, 201);
    // A later read may be answered from the bytes the first one wrote.
    for path in [
        "/v1/items/lamp",
        "/item/lamp",
        "/v1/items/lamp",
        "/item/lamp",
    ] {
        let response = app.bearer(Method::GET, path).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
    }
}

#[tokio::test]
async fn get_of_a_missing_item_is_a_404_problem() {
    let app = spawn_app().await;
    let (status, body) = send(app.bearer(Method::GET, "/v1/items/nothing")).await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404);
    assert_eq!(body["type"], "about:blank");
}

#[tokio::test]
async fn delete_returns_204_then_404() {
    let app = spawn_app().await;
    send(
        app.bearer(Method::PUT, "/v1/items/desk")
            .json(&json!({ "price": 1 })),
    )
    .await;
    assert_eq!(
        send(app.bearer(Method::DELETE, "/v1/items/desk")).await.0,
        204
    );
    assert_eq!(
        send(app.bearer(Method::DELETE, "/v1/items/desk")).await.0,
        404
    );
    assert_eq!(send(app.bearer(Method::GET, "/v1/items/desk")).await.0, 404);
}

#[tokio::test]
async fn invalid_prices_are_422_with_the_field_named() {
    let app = spawn_app().await;
    for price in ["-0.5", "\"5\"", "null", "1e400", "true"] {
        let body = format!("{{\"price\": {price}}}");
        let (status, answer) = send(
            app.bearer(Method::PUT, "/v1/items/desk")
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await;
        assert!(status == 422 || status == 400, "{body}: {status}");
        if status == 422 {
            assert!(answer["errors"]["price"].is_array(), "{body}: {answer}");
        }
    }
    assert_eq!(send(app.bearer(Method::GET, "/v1/items/desk")).await.0, 404);
}

#[tokio::test]
async fn zero_is_a_valid_price() {
    let app = spawn_app().await;
    let (status, body) = send(
        app.bearer(Method::PUT, "/v1/items/free")
            .json(&json!({ "price": 0 })),
    )
    .await;
    assert_eq!((status, &body["price"]), (201, &json!(0.0)));
}

#[tokio::test]
async fn the_list_pages_through_every_item_in_name_order() {
    let app = spawn_app().await;
    let mut names: Vec<String> = (0..25).map(|i| format!("item-{i:02}")).collect();
    names.push("Ärmel".into());
    names.push("椅子".into());
    for name in &names {
        let path = format!("/v1/items/{}", urlencode(name));
        assert_eq!(
            send(app.bearer(Method::PUT, &path).json(&json!({ "price": 1 })))
                .await
                .0,
            201
        );
    }
    names.sort();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/items?limit=10&cursor={c}"),
            None => "/v1/items?limit=10".to_owned(),
        };
        let (status, page) = send(app.bearer(Method::GET, &path)).await;
        assert_eq!(status, 200);
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 10);
        seen.extend(
            items
                .iter()
                .map(|i| i["name"].as_str().expect("name").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, names);
}

#[tokio::test]
async fn the_list_caps_limit_at_100_and_defaults_to_20() {
    let app = spawn_app().await;
    for i in 0..105 {
        send(
            app.bearer(Method::PUT, &format!("/v1/items/i{i:03}"))
                .json(&json!({ "price": 1 })),
        )
        .await;
    }
    let (_, capped) = send(app.bearer(Method::GET, "/v1/items?limit=1000")).await;
    assert_eq!(capped["items"].as_array().map(Vec::len), Some(100));
    assert!(capped["next_cursor"].is_string());
    let (_, default) = send(app.bearer(Method::GET, "/v1/items")).await;
    assert_eq!(default["items"].as_array().map(Vec::len), Some(20));
}

#[tokio::test]
async fn bad_list_parameters_are_400() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=-1",
        "limit=ten",
        "cursor=%%%",
        "cursor=!!",
        "sort=name",
    ] {
        let (status, body) = send(app.bearer(Method::GET, &format!("/v1/items?{query}"))).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["detail"].is_string(), "{query}");
    }
}

/// Every byte but ASCII letters, digits and `-` percent-encoded.
fn urlencode(name: &str) -> String {
    const KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-');
    percent_encoding::utf8_percent_encode(name, KEPT).to_string()
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_any_other_replaced() {
    let app = spawn_app().await;
    let id_of = |response: &reqwest::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    let kept = app
        .bearer(Method::GET, "/v1/items")
        .header("x-request-id", "trace-42.a:b_c")
        .send()
        .await
        .expect("request");
    assert_eq!(id_of(&kept), "trace-42.a:b_c");
    for bad in ["has space", "semi;colon", &"x".repeat(65)] {
        let replaced = app
            .bearer(Method::GET, "/v1/items/nothing")
            .header("x-request-id", bad)
            .send()
            .await
            .expect("request");
        let id = id_of(&replaced);
        assert_ne!(id, bad);
        assert_eq!(id.len(), 36, "a new UUID: {id}");
    }
    let fresh = app
        .bearer(Method::GET, "/health/live")
        .send()
        .await
        .expect("request");
    assert_eq!(id_of(&fresh).len(), 36);
}
