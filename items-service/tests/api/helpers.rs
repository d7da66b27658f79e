//! items-service's side of the shared test toolkit: how to start it, and
//! tokens for its tests, minted with `shared`'s signer (no auth-service).
//! A request's scheme is in the helper's name: `bearer` sends
//! `Authorization: Bearer`, `jwt` sends Flask-JWT's `Authorization: JWT`.

use std::ops::Deref;
use std::sync::Arc;

use items_service::settings::Settings;
use items_service::startup::Application;
use reqwest::{Method, RequestBuilder};
pub(crate) use shared::testing::{TEST_SECRET as SECRET, TestApp, TestAppBuilder, send};
use shared::token::{Claims, KeyRing, TokenSigner};

pub(crate) const ALL_SCOPES: &str = "items:read items:write";

/// items-service under test, with a signer for its tokens on its clock.
pub(crate) struct ItemsApp {
    app: TestApp,
    signer: TokenSigner,
}

impl Deref for ItemsApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// A signer of HS256 tokens with `secret`, from `issuer` to `audience`.
pub(crate) fn signer_with(secret: &[u8], issuer: &str, audience: &str) -> TokenSigner {
    let ring = Arc::new(KeyRing::single_hmac(secret).expect("ring"));
    TokenSigner::new(ring, issuer, [audience], 900)
}

/// items-service's builder: port 0, a fresh database, the test secret, a
/// manual clock.
pub(crate) async fn builder() -> TestAppBuilder {
    TestApp::builder("ITEMS").await
}

/// Starts items-service in this process from a builder.
pub(crate) async fn start(builder: TestAppBuilder) -> TestApp {
    builder
        .start(
            |env, clock| async move { Application::build(Settings::load_from(&env)?, clock).await },
        )
        .await
}

/// items-service over the database at `url` (replicas share one).
pub(crate) async fn start_on(url: &str) -> TestApp {
    start(TestApp::builder_on("ITEMS", url)).await
}

/// items-service over the database at `url` with these `JWT_*` settings
/// instead of the test secret.
pub(crate) async fn start_with_keys(url: &str, jwt: &[(&str, &str)]) -> TestApp {
    start(
        TestApp::builder_on("ITEMS", url)
            .without_env("JWT_SECRET")
            .envs(jwt),
    )
    .await
}

/// items-service over a fresh database, with a signer for its tokens.
pub(crate) async fn spawn_app() -> ItemsApp {
    let app = start(builder().await).await;
    let signer = signer_with(SECRET.as_bytes(), "auth-service", "items-service")
        .with_clock(app.clock.clone());
    ItemsApp { app, signer }
}

impl ItemsApp {
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

    /// A request with `Authorization: Bearer <a token with every scope>`.
    pub(crate) fn bearer(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(self.token(ALL_SCOPES))
    }

    /// A request with Flask-JWT's `Authorization: JWT <a token with every
    /// scope>`.
    pub(crate) fn jwt(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("authorization", format!("JWT {}", self.token(ALL_SCOPES)))
    }
}

/// Sends all `requests` at once; how many answered each status.
pub(crate) async fn tally<F>(
    requests: impl IntoIterator<Item = F>,
) -> std::collections::BTreeMap<u16, usize>
where
    F: std::future::Future<Output = (u16, serde_json::Value)>,
{
    let mut counts = std::collections::BTreeMap::new();
    for (status, _) in futures_util::future::join_all(requests).await {
        *counts.entry(status).or_insert(0) += 1;
    }
    counts
}
