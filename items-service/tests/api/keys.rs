//! Key rotation with no downtime, and EdDSA, across both services.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::FutureExt as _;
use serde_json::{Value, json};
use shared::testing::TestDatabase;

use crate::cross_service::spawn_auth_service_with;
use crate::helpers::{send, start_with_keys};

const OLD: &str = "old-secret-0123456789abcdef0123456789abcdef";
const NEW: &str = "new-secret-0123456789abcdef0123456789abcdef";
const CREDENTIALS: (&str, &str) = ("rotator", "rotate-me-please-42");

fn fixture(name: &str) -> String {
    format!("{}/../shared/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Registers the test user on auth-service at `auth`.
async fn register(client: &reqwest::Client, auth: &str) {
    let (user, password) = CREDENTIALS;
    let request = client
        .post(format!("{auth}/v1/users"))
        .json(&json!({ "username": user, "password": password }));
    assert_eq!(send(request).await.0, 201);
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
    let client = shared::testing::client();
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
    register(&client, &auth).await;
    let old_token = login(&client, &auth).await;
    assert_eq!(kid_of(&old_token), "old");
    assert!(
        reads(&client, &items, &old_token, 5)
            .await
            .iter()
            .all(|s| *s == 200)
    );

    // Step 1: verifiers learn the new key (a rolling restart of items-service).
    let items = start_with_keys(
        items_db.url(),
        &[("JWT_KEYS", &both), ("JWT_ACTIVE_KID", "old")],
    )
    .await
    .address;
    assert!(
        reads(&client, &items, &old_token, 5)
            .await
            .iter()
            .all(|s| *s == 200)
    );

    // Step 2: the issuer signs with the new key; old tokens still verify.
    let auth = spawn_auth_service_with(
        auth_db.url(),
        &[("JWT_KEYS", &both), ("JWT_ACTIVE_KID", "new")],
    )
    .await;
    let new_token = login(&client, &auth).await;
    assert_eq!(kid_of(&new_token), "new");
    for token in [&old_token, &new_token] {
        assert!(
            reads(&client, &items, token, 5)
                .await
                .iter()
                .all(|s| *s == 200)
        );
    }

    // Step 3, after the access-token lifetime: the old key goes.
    let items = start_with_keys(items_db.url(), &[("JWT_KEYS", &new_only)])
        .await
        .address;
    assert!(
        reads(&client, &items, &new_token, 5)
            .await
            .iter()
            .all(|s| *s == 200)
    );
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
    let client = shared::testing::client();
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
    register(&client, &auth).await;
    let token = login(&client, &auth).await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "EdDSA");
    assert!(
        reads(&client, &items, &token, 3)
            .await
            .iter()
            .all(|s| *s == 200)
    );

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

/// Key folders as `auth-service keys init` makes them for `docker compose`.
struct Folders {
    _dir: tempfile::TempDir,
    auth: std::path::PathBuf,
    items: std::path::PathBuf,
}

impl Folders {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (auth, items) = (dir.path().join("auth"), dir.path().join("items"));
        std::fs::create_dir_all(&auth).expect("auth folder");
        std::fs::create_dir_all(&items).expect("items folder");
        Self {
            _dir: dir,
            auth,
            items,
        }
    }

    fn keys(&self, algorithm: jsonwebtoken::Algorithm) -> auth_service::key_files::KeyFolders<'_> {
        auth_service::key_files::KeyFolders {
            algorithm,
            auth: &self.auth,
            items: &self.items,
        }
    }

    fn setting(&self, service: &str) -> String {
        let dir = if service == "auth" {
            &self.auth
        } else {
            &self.items
        };
        dir.join(format!("{service}.toml")).display().to_string()
    }
}

/// Waits until `done` (checked every 50 ms), for at most 10 s.
async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// How many ES256 keys auth-service publishes (its RS256 ID token keys aside).
async fn published_kids(client: &reqwest::Client, auth: &str) -> usize {
    let (_, set) = send(client.get(format!("{auth}/.well-known/jwks.json"))).await;
    set["keys"].as_array().map_or(0, |keys| {
        keys.iter().filter(|k| k["alg"] == "ES256").count()
    })
}

/// How often both services check their key files here (1 s by default).
const FILE_POLL: (&str, &str) = ("JWT_KEY_FILES_POLL_MILLISECONDS", "100");

/// The key files' poll interval, and a margin: a verifier has reloaded by then.
const FILE_RELOAD: std::time::Duration = std::time::Duration::from_millis(500);

#[tokio::test]
async fn asymmetric_keys_rotate_through_the_key_files_with_no_restart_and_no_refused_request() {
    let client = shared::testing::client();
    let folders = Folders::new();
    let keys = folders.keys(jsonwebtoken::Algorithm::ES256);
    keys.init(None).expect("init");
    let auth_db = TestDatabase::new().await;
    let items_db = TestDatabase::new().await;
    let auth_toml = folders.setting("auth");
    let auth = spawn_auth_service_with(
        auth_db.url(),
        &[("AUTH_CONFIG_FILE", &auth_toml), FILE_POLL],
    )
    .await;
    let items_toml = folders.setting("items");
    let items = start_with_keys(
        items_db.url(),
        &[("ITEMS_CONFIG_FILE", &items_toml), FILE_POLL],
    )
    .await
    .address;
    register(&client, &auth).await;
    let first = login(&client, &auth).await;

    // Throughout: reads with the first token and with the newest one.
    let newest = std::sync::Arc::new(std::sync::Mutex::new(first.clone()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (client, items, newest, stop, first) = (
            client.clone(),
            items.clone(),
            newest.clone(),
            stop.clone(),
            first.clone(),
        );
        tokio::spawn(async move {
            let mut refused = Vec::new();
            let mut count = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let latest = newest.lock().expect("lock").clone();
                for token in [&first, &latest] {
                    let status = reads(&client, &items, token, 1).await[0];
                    count += 1;
                    if status != 200 {
                        refused.push(status);
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            (count, refused)
        })
    };

    // 1. Publish the next key; the issuer and the verifier see it with no restart.
    keys.next().expect("next");
    until("auth-service publishes two keys", || {
        published_kids(&client, &auth).map(|n| n == 2)
    })
    .await;
    tokio::time::sleep(FILE_RELOAD).await;
    assert_eq!(
        kid_of(&login(&client, &auth).await),
        kid_of(&first),
        "still the old key"
    );

    // 2. Sign with it.
    keys.activate().expect("activate");
    until("auth-service signs with the next key", || async {
        kid_of(&login(&client, &auth).await) != kid_of(&first)
    })
    .await;
    *newest.lock().expect("lock") = login(&client, &auth).await;
    tokio::time::sleep(FILE_RELOAD).await;

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (count, refused) = reader.await.expect("reader");
    assert!(count > 20, "only {count} reads");
    assert!(
        refused.is_empty(),
        "{} of {count} refused: {refused:?}",
        refused.len()
    );

    // 3. After the old key's tokens expired: withdraw it.
    keys.retire().expect("retire");
    until("auth-service publishes one key", || {
        published_kids(&client, &auth).map(|n| n == 1)
    })
    .await;
    tokio::time::sleep(FILE_RELOAD).await;
    let latest = newest.lock().expect("lock").clone();
    assert_eq!(reads(&client, &items, &latest, 3).await, [200, 200, 200]);
    assert_eq!(reads(&client, &items, &first, 1).await, [401]);
}

/// A JWK Set server that counts its fetches and can be made to fail.
struct JwksServer {
    address: String,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl JwksServer {
    /// Serves the file at `path` as it is at each request.
    fn start(path: std::path::PathBuf) -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        use std::sync::atomic::Ordering;
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let failing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (counted, fails) = (fetches.clone(), failing.clone());
        let server = HttpServer::new(move || {
            let (counted, fails, path) = (counted.clone(), fails.clone(), path.clone());
            App::new().route(
                "/jwks.json",
                web::get().to(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = std::fs::read(&path).expect("the JWK Set file");
                    let failing = fails.load(Ordering::SeqCst);
                    async move {
                        if failing {
                            return HttpResponse::ServiceUnavailable().finish();
                        }
                        HttpResponse::Ok()
                            .insert_header(("cache-control", "public, max-age=300"))
                            .body(body)
                    }
                }),
            )
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind");
        let address = format!("http://{}", server.addrs()[0]);
        tokio::spawn(server.run());
        Self {
            address,
            fetches,
            failing,
        }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A token like `token` whose header names the key id `kid`.
fn with_kid(token: &str, kid: &str) -> String {
    let mut parts = token.splitn(2, '.');
    let header = parts.next().expect("header");
    let mut header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("json");
    header["kid"] = kid.into();
    let rest = parts.next().expect("rest");
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[tokio::test]
async fn a_jwks_url_verifier_bounds_fetches_under_a_kid_flood_and_survives_an_outage_and_a_rotation()
 {
    let client = shared::testing::client();
    let folders = Folders::new();
    let keys = folders.keys(jsonwebtoken::Algorithm::EdDSA);
    keys.init(None).expect("init");
    let jwks = JwksServer::start(folders.items.join("jwks.json"));
    let auth_db = TestDatabase::new().await;
    let items_db = TestDatabase::new().await;
    let auth_toml = folders.setting("auth");
    let auth = spawn_auth_service_with(
        auth_db.url(),
        &[("AUTH_CONFIG_FILE", &auth_toml), FILE_POLL],
    )
    .await;
    let url = format!("{}/jwks.json", jwks.address);
    // Counted on items-service's clock, which moves only when told.
    let cooldown = std::time::Duration::from_secs(30);
    let items_app = start_with_keys(
        items_db.url(),
        &[
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_JWKS_URL", &url),
            ("JWT_JWKS_COOLDOWN_SECONDS", "30"),
        ],
    )
    .await;
    let items = items_app.address.clone();
    register(&client, &auth).await;
    let token = login(&client, &auth).await;
    assert_eq!(reads(&client, &items, &token, 3).await, [200, 200, 200]);
    assert_eq!(jwks.fetches(), 1, "fetched once at start, then kept");

    // A flood of made-up key ids within one cooldown: one fetch.
    let forged: Vec<String> = (0..400)
        .map(|i| with_kid(&token, &format!("forged-{i}")))
        .collect();
    let statuses = futures_util::future::join_all(forged.iter().map(|forged| {
        let request = client.get(format!("{items}/v1/items")).bearer_auth(forged);
        async move { send(request).await.0 }
    }))
    .await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(jwks.fetches() - 1, 1, "fetches for 400 forged key ids");
    assert_eq!(reads(&client, &items, &token, 3).await, [200, 200, 200]);

    // The issuer's keys are down: a fetch fails, valid tokens still verify.
    jwks.failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    items_app.clock.advance(cooldown);
    let before = jwks.fetches();
    assert_eq!(
        reads(&client, &items, &with_kid(&token, "forged-again"), 1).await,
        [401]
    );
    assert_eq!(
        jwks.fetches(),
        before + 1,
        "the forged id asked for one fetch"
    );
    assert_eq!(reads(&client, &items, &token, 3).await, [200, 200, 200]);
    jwks.failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    // The failed fetch is retried within seconds: let it land before the
    // rotation, or it may fetch the rotated set before the count below.
    let failed_fetches = jwks.fetches();
    until("the fetch after the outage is retried", || async {
        jwks.fetches() > failed_fetches
    })
    .await;

    // A rotation the verifier has not seen yet: the new key id fetches the set once.
    items_app.clock.advance(cooldown);
    keys.next().expect("next");
    keys.activate().expect("activate");
    until("auth-service signs with the next key", || async {
        kid_of(&login(&client, &auth).await) != kid_of(&token)
    })
    .await;
    let rotated = login(&client, &auth).await;
    let before = jwks.fetches();
    assert_eq!(reads(&client, &items, &rotated, 3).await, [200, 200, 200]);
    assert_eq!(jwks.fetches(), before + 1);
    assert_eq!(
        reads(&client, &items, &token, 1).await,
        [200],
        "the old key stays until retired"
    );
}
