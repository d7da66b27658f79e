//! Two auth-service and two items-service processes on one database each:
//! the services keep no state of their own, so any replica serves any request.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use shared::testing::TestDatabase;

use crate::cross_service::spawn_auth_service_with;
use crate::helpers::{SECRET, send, start_on, tally};

const NO_GRACE: (&str, &str) = ("AUTH__TOKENS__REFRESH_REUSE_GRACE_SECONDS", "0");

async fn auth_replica(url: &str) -> String {
    spawn_auth_service_with(url, &[("JWT_SECRET", SECRET), NO_GRACE]).await
}

async fn grant(client: &reqwest::Client, auth: &str, form: &[(&str, &str)]) -> (u16, Value) {
    send(client.post(format!("{auth}/v1/token")).form(form)).await
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_is_detected_across_auth_replicas() {
    let database = TestDatabase::new().await;
    let (a, b) = (
        auth_replica(database.url()).await,
        auth_replica(database.url()).await,
    );
    let client = shared::testing::client();
    let user = json!({ "username": "replicated", "password": "replicas-share-state" });
    assert_eq!(
        send(client.post(format!("{a}/v1/users")).json(&user))
            .await
            .0,
        201
    );

    let login = [
        ("grant_type", "password"),
        ("username", "replicated"),
        ("password", "replicas-share-state"),
    ];
    let (_, first) = grant(&client, &a, &login).await;
    let first_refresh = first["refresh_token"].as_str().expect("refresh").to_owned();

    let (status, second) = refresh(&client, &b, &first_refresh).await;
    assert_eq!(status, 200, "rotated through the other replica: {second}");
    let second_refresh = second["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();

    let (status, _) = refresh(&client, &a, &first_refresh).await;
    assert_eq!(
        status, 400,
        "reuse of the first token is detected on the first replica"
    );
    let (status, _) = refresh(&client, &b, &second_refresh).await;
    assert_eq!(status, 400, "and the family is revoked everywhere");
}

async fn refresh(client: &reqwest::Client, auth: &str, token: &str) -> (u16, Value) {
    grant(
        client,
        auth,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[tokio::test]
async fn failed_logins_count_across_auth_replicas() {
    let database = TestDatabase::new().await;
    let (a, b) = (
        auth_replica(database.url()).await,
        auth_replica(database.url()).await,
    );
    let client = shared::testing::client();
    let user = json!({ "username": "targeted", "password": "a-good-passphrase" });
    assert_eq!(
        send(client.post(format!("{a}/v1/users")).json(&user))
            .await
            .0,
        201
    );
    let wrong = json!({ "username": "targeted", "password": "a-bad-guess" });
    for replica in [&a, &b, &a, &b, &a] {
        assert_eq!(
            send(client.post(format!("{replica}/auth")).json(&wrong))
                .await
                .0,
            401
        );
    }
    let (status, _) = send(client.post(format!("{b}/auth")).json(&user)).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn items_written_through_one_replica_are_read_through_the_other_and_created_once() {
    let database = TestDatabase::new().await;
    let (c, d) = (
        start_on(database.url()).await.address,
        start_on(database.url()).await.address,
    );
    let client = shared::testing::client();
    let token = crate::helpers::signer_with(SECRET.as_bytes(), "auth-service", "items-service")
        .issue("u", "alice", "items:read items:write")
        .expect("issue")
        .access_token;

    let put = client
        .put(format!("{c}/v1/items/shared-shelf"))
        .bearer_auth(&token)
        .json(&json!({ "price": 42.5 }));
    assert_eq!(send(put).await.0, 201);
    let (status, body) = send(
        client
            .get(format!("{d}/v1/items/shared-shelf"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!((status, &body["price"]), (200, &json!(42.5)));

    let creations = (0..24).map(|i| {
        let replica = if i % 2 == 0 { &c } else { &d };
        send(
            client
                .post(format!("{replica}/item/contested"))
                .bearer_auth(&token)
                .json(&json!({ "price": i })),
        )
    });
    let expected = BTreeMap::from([(201, 1), (400, 23)]);
    assert_eq!(tally(creations).await, expected);
}
