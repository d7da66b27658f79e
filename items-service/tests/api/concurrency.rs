use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{send, spawn_app};

const CLIENTS: usize = 32;

#[tokio::test]
async fn many_clients_posting_one_item_yield_exactly_one_creation() {
    let app = spawn_app().await;
    let requests =
        (0..CLIENTS).map(|i| send(app.post("/item/contested").json(&json!({ "price": i }))));
    let statuses: Vec<u16> = join_all(requests)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        CLIENTS - 1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn many_clients_putting_one_item_yield_one_201_and_the_rest_200() {
    let app = spawn_app().await;
    let requests =
        (0..CLIENTS).map(|i| send(app.put("/v1/items/contested").json(&json!({ "price": i }))));
    let statuses: Vec<u16> = join_all(requests)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        CLIENTS - 1,
        "{statuses:?}"
    );
}
