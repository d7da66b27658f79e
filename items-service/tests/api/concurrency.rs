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

/// Reads racing writes never answer an item older than the last write
/// acknowledged before the read was sent, by either route: on SQLite each
/// worker keeps what it read (this process alone writes the file), and a
/// write must make every worker forget it; on PostgreSQL reads are gathered
/// into shared statements, and none may join one that began before it.
/// Then a deletion is seen at once.
#[tokio::test]
async fn a_read_never_answers_older_than_the_last_acknowledged_write() {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

    let app = spawn_app().await;
    let acknowledged = AtomicU64::new(0);
    let writes = async {
        for price in 1..=150_u64 {
            let (status, body) = send(
                app.bearer(Method::PUT, "/v1/items/raced")
                    .json(&json!({ "price": price })),
            )
            .await;
            assert!(status == 200 || status == 201, "{status} {body}");
            acknowledged.store(price, SeqCst);
            // A pause, in which a stale copy would be read.
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        }
    };
    let reader = |flask: bool| {
        let (app, acknowledged) = (&app, &acknowledged);
        async move {
            let mut reads = 0;
            while acknowledged.load(SeqCst) < 150 {
                let floor = acknowledged.load(SeqCst);
                let (status, body) = match flask {
                    true => send(app.jwt(Method::GET, "/item/raced")).await,
                    false => send(app.bearer(Method::GET, "/v1/items/raced")).await,
                };
                if floor == 0 && status == 404 {
                    continue;
                }
                let price = match flask {
                    true => &body["item"]["price"],
                    false => &body["price"],
                };
                let price = price.as_f64().unwrap_or_else(|| panic!("{status} {body}"));
                assert!(
                    price >= floor as f64,
                    "read {price} after {floor} was acknowledged"
                );
                reads += 1;
            }
            reads
        }
    };
    let (_, reads) = tokio::join!(
        writes,
        futures_util::future::join_all([reader(true), reader(false), reader(true), reader(false)])
    );
    assert!(reads.iter().all(|&count| count > 0), "{reads:?}");
    assert_eq!(
        send(app.bearer(Method::DELETE, "/v1/items/raced")).await.0,
        204
    );
    for _ in 0..8 {
        assert_eq!(send(app.jwt(Method::GET, "/item/raced")).await.0, 404);
        assert_eq!(
            send(app.bearer(Method::GET, "/v1/items/raced")).await.0,
            404
        );
    }
}
