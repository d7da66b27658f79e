use reqwest::Method;
use std::collections::BTreeMap;

use serde_json::json;

use crate::helpers::{send, spawn_app, tally};

const CLIENTS: usize = 32;

#[tokio::test]
async fn many_clients_posting_one_item_yield_exactly_one_creation() {
    let app = spawn_app().await;
    let requests = (0..CLIENTS).map(|i| {
        send(
            app.jwt(Method::POST, "/item/contested")
                .json(&json!({ "price": i })),
        )
    });
    let expected = BTreeMap::from([(201, 1), (400, CLIENTS - 1)]);
    assert_eq!(tally(requests).await, expected);
}

#[tokio::test]
async fn many_clients_putting_one_item_yield_one_201_and_the_rest_200() {
    let app = spawn_app().await;
    let requests = (0..CLIENTS).map(|i| {
        send(
            app.bearer(Method::PUT, "/v1/items/contested")
                .json(&json!({ "price": i })),
        )
    });
    let expected = BTreeMap::from([(201, 1), (200, CLIENTS - 1)]);
    assert_eq!(tally(requests).await, expected);
}
