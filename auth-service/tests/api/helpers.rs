use std::collections::HashMap;

use auth_service::settings::Settings;
use auth_service::startup::Application;
use reqwest::{RequestBuilder, Response};
use serde_json::{json, Value};
use shared::db::TestDatabase;

pub(crate) const SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct TestApp {
    pub(crate) address: String,
    pub(crate) client: reqwest::Client,
    _database: Option<TestDatabase>,
}

/// Environment of a test app: port 0, the database at `url`, the test secret.
pub(crate) fn test_env(url: &str) -> HashMap<String, String> {
    [
        ("AUTH__SERVER__PORT", "0"),
        ("AUTH__SERVER__WORKERS", "2"),
        ("AUTH__DATABASE__URL", url),
        ("JWT_SECRET", SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// An app over a fresh database (SQLite, or PostgreSQL with TEST_POSTGRES_URL).
pub(crate) async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let database = TestDatabase::new().await;
    let mut app = spawn_app_on(database.url(), overrides).await;
    app._database = Some(database);
    app
}

/// An app over the database at `url` (a restart, when another app used it).
pub(crate) async fn spawn_app_on(url: &str, overrides: &[(&str, &str)]) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        shared::telemetry::init();
    }
    let mut env = test_env(url);
    for (key, value) in overrides {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    let settings = Settings::load_from(&env).expect("settings");
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        _database: None,
    }
}

impl TestApp {
    pub(crate) fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(format!("{}{path}", self.address))
    }

    pub(crate) fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(format!("{}{path}", self.address))
    }

    pub(crate) async fn register(&self, username: &str, password: &str) -> Response {
        self.post("/v1/users")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn flask_login(&self, body: &Value) -> Response {
        self.post("/auth").json(body).send().await.expect("request")
    }

    pub(crate) async fn post_token_form(&self, form: &[(&str, &str)]) -> Response {
        self.post("/v1/token")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// The password grant for `username`; the RFC 6749 5.1 body.
    pub(crate) async fn password_grant(&self, username: &str, password: &str) -> Value {
        let response = self
            .post_token_form(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ])
            .await;
        assert_eq!(response.status(), 200, "password grant for {username}");
        json_body(response).await
    }

    /// The refresh grant: status and body.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let response = self
            .post_token_form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .await;
        (response.status().as_u16(), json_body(response).await)
    }

    /// Registers `username` and returns an access token for it.
    pub(crate) async fn token_for(&self, username: &str) -> String {
        assert_eq!(self.register(username, PASSWORD).await.status(), 201);
        let response = self
            .flask_login(&json!({ "username": username, "password": PASSWORD }))
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

pub(crate) async fn json_body(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}
