//! auth-service's side of the shared test toolkit: how to start it, and
//! what its tests say to it. Requests carry no credentials unless a test
//! adds them.

use std::sync::Arc;

use auth_service::accounts::Accounts;
use auth_service::passwords::PasswordHasher;
use auth_service::settings::Settings;
use auth_service::startup::Application;
use auth_service::store::{MIGRATIONS, SqlAuthStore};
use auth_service::throttle::Throttle;
use reqwest::Response;
use serde_json::{Value, json};
use shared::clock::Clock;
pub(crate) use shared::testing::{TEST_SECRET as SECRET, TestApp, TestAppBuilder};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// argon2id at 1 MiB and one pass instead of OWASP's 19 MiB and two: a
/// test's logins then cost about a millisecond. The tests of hashing
/// itself set their own.
const CHEAP_HASHING: [(&str, &str); 2] = [
    ("AUTH__PASSWORDS__MEMORY_KIB", "1024"),
    ("AUTH__PASSWORDS__ITERATIONS", "1"),
];

/// auth-service's builder: port 0, a fresh database, the test secret, a
/// manual clock, cheap hashing.
pub(crate) async fn builder() -> TestAppBuilder {
    let builder = TestApp::builder("AUTH").await.envs(&CHEAP_HASHING);
    let url = builder.environment()["AUTH__DATABASE__URL"].clone();
    with_key_files(builder, &url)
}

/// The same over the database at `url`.
pub(crate) fn builder_on(url: &str) -> TestAppBuilder {
    with_key_files(TestApp::builder_on("AUTH", url).envs(&CHEAP_HASHING), url)
}

/// On PostgreSQL, one ID token key file and one MFA key file for the test
/// process, in the temporary folder (replicas must share them; on SQLite
/// they are made beside the database file, not in the working directory).
fn with_key_files(builder: TestAppBuilder, url: &str) -> TestAppBuilder {
    if !url.starts_with("postgres") {
        return builder;
    }
    let file = |name: &str| {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        path.display().to_string()
    };
    builder
        .env(
            "AUTH__OIDC__ID_TOKEN_KEY_FILE",
            &file("jwt-pair-id-token.pem"),
        )
        .env("AUTH__MFA__KEY_FILE", &file("mfa.key"))
}

/// The store over the database at `url`, as the command line opens it,
/// beside an app that may start on it after.
async fn open_store(url: &str) -> (Settings, shared::db::Database) {
    // SQLite: the seed's connections share the file (`vfs=unix`), so that
    // one closing a moment after `close` does not lock the app out.
    let url = match url.starts_with("sqlite:") {
        true if url.contains('?') => format!("{url}&vfs=unix"),
        true => format!("{url}?vfs=unix"),
        false => url.to_owned(),
    };
    let settings = Settings::load_from(builder_on(&url).environment()).expect("settings");
    let db = shared::db::open(&settings.database, MIGRATIONS)
        .await
        .expect("the database opens");
    (settings, db)
}

/// Closes what [`open_store`] opened, and on SQLite waits until the last
/// connection has let go of the file (sqlx closes each on a thread of its
/// own; SQLite removes the `-shm` file then), so that another process
/// may open it at once.
async fn close_store(url: &str, db: shared::db::Database) {
    db.close().await;
    let Some(file) = shared::db::sqlite_file(url) else {
        return;
    };
    let shm = format!("{}-shm", file.display());
    for _ in 0..200 {
        if !std::path::Path::new(&shm).exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Writes users into the database at `url` through the store, as the
/// command line's `users grant` does, before an app starts on it: each
/// `(username, scopes to add)` with [`PASSWORD`], hashed as the tests'
/// apps hash.
pub(crate) async fn seed_users(url: &str, users: &[(&str, &str)]) {
    let (settings, db) = open_store(url).await;
    let accounts = Accounts {
        store: Arc::new(SqlAuthStore::new(db.clone())),
        hasher: PasswordHasher::new(&settings.passwords).expect("a hasher"),
        throttle: Throttle::new(settings.throttle.clone()),
        default_scope: settings.tokens.default_scope(),
        clock: Clock::system(),
    };
    for (username, scopes) in users {
        accounts
            .register(username, PASSWORD.into(), None, "seed")
            .await
            .expect("registered");
        let scopes: Vec<String> = scopes.split_whitespace().map(str::to_owned).collect();
        if !scopes.is_empty() {
            let store = accounts.store.as_ref();
            auth_service::accounts::grant(
                store,
                &accounts.default_scope,
                username,
                &scopes,
                &accounts.clock,
            )
            .await
            .expect("granted");
        }
    }
    close_store(url, db).await;
}

/// Writes a public client with these grants and redirect URIs into the
/// database at `url` through the store; its id.
pub(crate) async fn seed_client(url: &str, grant_types: &[&str], redirect_uris: &[&str]) -> String {
    let (_, db) = open_store(url).await;
    let admin = auth_service::admin::Admin {
        store: Arc::new(SqlAuthStore::new(db.clone())),
        id_token_algorithms: &auth_service::id_tokens::SIGNING_ALGORITHMS,
        clock: Clock::system(),
    };
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let (grant_types, redirect_uris) = (owned(grant_types), owned(redirect_uris));
    let scopes = vec!["items:read".to_owned()];
    let fields = auth_service::admin::ClientFields {
        name: Some("seeded"),
        scopes: Some(&scopes),
        grant_types: Some(&grant_types),
        redirect_uris: Some(&redirect_uris),
        public: Some(true),
        ..Default::default()
    };
    let actor = auth_service::audit::Actor::from_address("seed");
    let created = admin.create_client(&fields, &actor).await.expect("created");
    close_store(url, db).await;
    created.client.client_id
}

/// Starts auth-service in this process from a builder.
pub(crate) async fn start(builder: TestAppBuilder) -> TestApp {
    builder
        .start(
            |env, clock| async move { Application::build(Settings::load_from(&env)?, clock).await },
        )
        .await
}

/// auth-service over a fresh database.
pub(crate) async fn spawn_app() -> TestApp {
    start(builder().await).await
}

/// auth-service over a fresh database with these settings.
pub(crate) async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    start(builder().await.envs(overrides)).await
}

/// auth-service over the database at `url` (a restart, when another app
/// used it).
pub(crate) async fn spawn_app_on(url: &str, overrides: &[(&str, &str)]) -> TestApp {
    start(builder_on(url).envs(overrides)).await
}

/// What auth-service's tests ask of it.
pub(crate) trait AuthApi {
    async fn register(&self, username: &str, password: &str) -> Response;
    async fn flask_login(&self, body: &Value) -> Response;
    async fn post_token_form(&self, form: &[(&str, &str)]) -> Response;
    /// The password grant for `username`; the RFC 6749 5.1 body.
    async fn password_grant(&self, username: &str, password: &str) -> Value;
    /// The refresh grant: status and body.
    async fn refresh(&self, refresh_token: &str) -> (u16, Value);
    /// Registers `username` and returns an access token for it.
    async fn token_for(&self, username: &str) -> String;
}

impl AuthApi for TestApp {
    async fn register(&self, username: &str, password: &str) -> Response {
        self.post("/v1/users")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("request")
    }

    async fn flask_login(&self, body: &Value) -> Response {
        self.post("/auth").json(body).send().await.expect("request")
    }

    async fn post_token_form(&self, form: &[(&str, &str)]) -> Response {
        self.post("/v1/token")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    async fn password_grant(&self, username: &str, password: &str) -> Value {
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

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let response = self
            .post_token_form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .await;
        (response.status().as_u16(), json_body(response).await)
    }

    async fn token_for(&self, username: &str) -> String {
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
