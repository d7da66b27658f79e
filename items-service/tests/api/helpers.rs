use std::collections::HashMap;
use std::sync::Arc;

use items_service::settings::Settings;
use items_service::startup::Application;
use reqwest::{RequestBuilder, Response};
use serde_json::Value;
use shared::db::TestDatabase;
use shared::token::{Claims, KeyRing, TokenSigner};

pub(crate) const SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";
pub(crate) const ALL_SCOPES: &str = "items:read items:write";

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    signer: TokenSigner,
    _database: TestDatabase,
}

pub(crate) fn signer_with(secret: &[u8], issuer: &str, audience: &str) -> TokenSigner {
    let ring = Arc::new(KeyRing::single_hmac(secret).expect("ring"));
    TokenSigner::new(ring, issuer, [audience], 900)
}

/// Environment of a test app: port 0, the database at `url`, the test secret.
pub(crate) fn settings_env(url: &str) -> HashMap<String, String> {
    [
        ("ITEMS__SERVER__PORT", "0"),
        ("ITEMS__SERVER__WORKERS", "2"),
        ("ITEMS__DATABASE__URL", url),
        ("JWT_SECRET", SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Starts items-service with this environment; its address.
pub(crate) async fn spawn_items(env: &HashMap<String, String>) -> String {
    if std::env::var_os("TEST_LOG").is_some() {
        shared::telemetry::init();
    }
    let settings = Settings::load_from(env).expect("settings");
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    address
}

/// items-service over the database at `url` with these `JWT_*` settings
/// instead of the test secret; its address.
pub(crate) async fn spawn_items_with_keys(url: &str, jwt: &[(&str, &str)]) -> String {
    let mut env = settings_env(url);
    env.remove("JWT_SECRET");
    env.extend(jwt.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    spawn_items(&env).await
}

/// items-service over a fresh database (SQLite, or PostgreSQL with
/// TEST_POSTGRES_URL), with a signer for its tokens.
pub(crate) async fn spawn_app() -> TestApp {
    let database = TestDatabase::new().await;
    TestApp {
        address: spawn_items(&settings_env(database.url())).await,
        client: reqwest::Client::new(),
        signer: signer_with(SECRET.as_bytes(), "auth-service", "items-service"),
        _database: database,
    }
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A valid token for `alice` with these scopes.
    pub(crate) fn token(&self, scopes: &str) -> String {
        self.signer
            .issue("7d3f0f8e-0000-4000-8000-000000000001", "alice", scopes)
            .expect("issue")
            .access_token
    }

    /// Claims as the signer would issue them, to alter before [`Self::sign`].
    pub(crate) fn claims(&self) -> Claims {
        self.signer
            .issue("u", "alice", ALL_SCOPES)
            .expect("issue")
            .claims
    }

    pub(crate) fn sign(&self, claims: &Claims) -> String {
        self.signer.sign(claims).expect("sign")
    }

    pub(crate) fn get(&self, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(path))
            .bearer_auth(self.token(ALL_SCOPES))
    }

    pub(crate) fn post(&self, path: &str) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .header("authorization", format!("JWT {}", self.token(ALL_SCOPES)))
    }

    pub(crate) fn put(&self, path: &str) -> RequestBuilder {
        self.client
            .put(self.url(path))
            .bearer_auth(self.token(ALL_SCOPES))
    }

    pub(crate) fn delete(&self, path: &str) -> RequestBuilder {
        self.client
            .delete(self.url(path))
            .bearer_auth(self.token(ALL_SCOPES))
    }
}

pub(crate) async fn send(request: RequestBuilder) -> (u16, Value) {
    let response: Response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("text");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Sends all `requests` at once; how many answered each status.
pub(crate) async fn tally<F>(
    requests: impl IntoIterator<Item = F>,
) -> std::collections::BTreeMap<u16, usize>
where
    F: std::future::Future<Output = (u16, Value)>,
{
    let mut counts = std::collections::BTreeMap::new();
    for (status, _) in futures_util::future::join_all(requests).await {
        *counts.entry(status).or_insert(0) += 1;
    }
    counts
}
