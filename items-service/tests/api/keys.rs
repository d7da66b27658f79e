//! Key rotation with no downtime, and EdDSA, across both services.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use shared::testing::TestDatabase;

use crate::cross_service::spawn_auth_service_with;
use crate::helpers::{send, start_with_keys};

const OLD: &str = "old-secret-0123456789abcdef0123456789abcdef";
const NEW: &str = "new-secret-0123456789abcdef0123456789abcdef";
const CREDENTIALS: (&str, &str) = ("rotator", "rotate-me-please-42");

fn fixture(name: &str) -> String {
    format!("{}/../shared/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn login(client: &reqwest::Client, auth: &str) -> String {
    let (user, password) = CREDENTIALS;
    let form = [
        ("grant_type", "password"),
        ("username", user),
        ("password", password),
    ];
    let (status, body) = send(client.post(format!("{auth}/v1/token")).form(&form)).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    header["kid"].as_str().expect("kid").to_owned()
}

/// `count` reads through `items` with `token`; every status.
async fn reads(client: &reqwest::Client, items: &str, token: &str, count: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        let request = client.get(format!("{items}/v1/items")).bearer_auth(token);
        statuses.push(send(request).await.0);
    }
    statuses
}

#[tokio::test]
async fn keys_rotate_with_no_failed_request() {
    let client = reqwest::Client::new();
    let auth_db = TestDatabase::new().await;
    let items_db = TestDatabase::new().await;
    let old_only = format!("old:{OLD}");
    let both = format!("old:{OLD} new:{NEW}");
    let new_only = format!("new:{NEW}");

    // Before: one key everywhere.
    let auth = spawn_auth_service_with(auth_db.url(), &[("JWT_KEYS", &old_only)]).await;
    let items = start_with_keys(items_db.url(), &[("JWT_KEYS", &old_only)])
        .await
        .address;
    let (user, password) = CREDENTIALS;
    let register = client
        .post(format!("{auth}/v1/users"))
        .json(&json!({ "username": user, "password": password }));
    assert_eq!(send(register).await.0, 201);
    let old_token = login(&client, &auth).await;
    assert_eq!(kid_of(&old_token), "old");
    assert!(reads(&client, &items, &old_token, 5)
        .await
        .iter()
        .all(|s| *s == 200));

    // Step 1: verifiers learn the new key (a rolling restart of items-service).
    let items = start_with_keys(
        items_db.url(),
        &[("JWT_KEYS", &both), ("JWT_ACTIVE_KID", "old")],
    )
    .await
    .address;
    assert!(reads(&client, &items, &old_token, 5)
        .await
        .iter()
        .all(|s| *s == 200));

    // Step 2: the issuer signs with the new key; old tokens still verify.
    let auth = spawn_auth_service_with(
        auth_db.url(),
        &[("JWT_KEYS", &both), ("JWT_ACTIVE_KID", "new")],
    )
    .await;
    let new_token = login(&client, &auth).await;
    assert_eq!(kid_of(&new_token), "new");
    for token in [&old_token, &new_token] {
        assert!(reads(&client, &items, token, 5)
            .await
            .iter()
            .all(|s| *s == 200));
    }

    // Step 3, after the access-token lifetime: the old key goes.
    let items = start_with_keys(items_db.url(), &[("JWT_KEYS", &new_only)])
        .await
        .address;
    assert!(reads(&client, &items, &new_token, 5)
        .await
        .iter()
        .all(|s| *s == 200));
    let response = client
        .get(format!("{items}/v1/items"))
        .bearer_auth(&old_token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii");
    assert!(challenge.contains("key id is not known"), "{challenge}");
}

#[tokio::test]
async fn eddsa_tokens_from_auth_service_verify_on_items_service_with_the_public_key_only() {
    let client = reqwest::Client::new();
    let auth_db = TestDatabase::new().await;
    let items_db = TestDatabase::new().await;
    let public = fixture("ed25519-1.public.pem");
    let private = fixture("ed25519-1.private.pem");
    let auth = spawn_auth_service_with(
        auth_db.url(),
        &[
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PUBLIC_KEY_FILE", &public),
            ("JWT_PRIVATE_KEY_FILE", &private),
        ],
    )
    .await;
    let items = start_with_keys(
        items_db.url(),
        &[("JWT_ALGORITHM", "EdDSA"), ("JWT_PUBLIC_KEY_FILE", &public)],
    )
    .await
    .address;
    let (user, password) = CREDENTIALS;
    let register = client
        .post(format!("{auth}/v1/users"))
        .json(&json!({ "username": user, "password": password }));
    assert_eq!(send(register).await.0, 201);
    let token = login(&client, &auth).await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "EdDSA");
    assert!(reads(&client, &items, &token, 3)
        .await
        .iter()
        .all(|s| *s == 200));

    // Algorithm confusion: HMAC with the (public) key as the secret.
    let public_pem = std::fs::read(&public).expect("public key");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).expect("claims"))
            .expect("b64"),
    )
    .expect("json");
    let forged_header = json!({ "alg": "HS256", "typ": "JWT", "kid": header["kid"] });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(forged_header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(&public_pem),
        jsonwebtoken::Algorithm::HS256,
    )
    .expect("sign");
    let forged = format!("{input}.{signature}");
    assert_eq!(reads(&client, &items, &forged, 1).await, [401]);
}
