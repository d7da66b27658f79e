//! Configuration: built-in defaults, then an optional TOML file, then the
//! environment. A bad or unknown value stops start-up with a message that
//! names the environment variable to fix.
//!
//! Service settings come from `PREFIX__SECTION__KEY` (e.g.
//! `ITEMS__SERVER__PORT`); the token settings both services share come from
//! `JWT_*` variables (see [`JwtSettings`]). `PREFIX_CONFIG_FILE` names the
//! optional TOML file. Values stay text until a typed field parses them, so
//! a numeric secret is never turned into a number.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use config::{Config, ConfigError, Environment, File, FileFormat};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::clock::Clock;
use crate::token::{Keys, TokenVerifier};

mod key_source;

pub use key_source::KeySource;

/// A setting that stops start-up, with what to fix.
///
/// ```
/// let error = shared::settings::SettingsError::new("JWT_SECRET is not set");
/// assert_eq!(error.to_string(), "JWT_SECRET is not set");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

impl SettingsError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Where and how the HTTP server listens.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Settings { server: shared::settings::ServerSettings }
///
/// const DEFAULTS: &str = "[server]\nhost = \"127.0.0.1\"\nport = 8083\nworkers = 0\n\
///     shutdown_timeout_seconds = 30\nmax_connections_per_worker = 1024\n\
///     public_url = \"http://localhost:8083\"\n";
/// let env = std::collections::HashMap::from([
///     ("REPORTS__SERVER__PORT".to_owned(), "9000".to_owned()),
///     ("JWT_SECRET".to_owned(), "a-secret-of-at-least-32-bytes-long!".to_owned()),
/// ]);
/// let settings: Settings = shared::settings::load("REPORTS", DEFAULTS, &env).expect("settings");
/// assert_eq!(settings.server.port, 9000);
/// assert_eq!(settings.server.public_url().expect("a URL"), "http://localhost:8083");
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address (`0.0.0.0` in containers).
    pub host: String,
    /// Listen port; 0 picks a free one (tests).
    pub port: u16,
    /// Worker threads; 0 means two per core.
    pub workers: usize,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    pub shutdown_timeout_seconds: u64,
    /// Open connections one worker serves at once; beyond it, new
    /// connections wait in the listen backlog until one closes. Each costs a
    /// file descriptor and buffers, so the cap keeps a flood of idle
    /// connections from exhausting either.
    pub max_connections_per_worker: usize,
    /// The base URL clients reach the service at (behind any proxy): the
    /// URLs the service publishes about itself are built from it, never
    /// from a request's `Host` header.
    pub public_url: String,
    /// A Unix socket for the local administration commands (`auth-service
    /// users ...`, run where the service runs), created mode 0600 so that
    /// only the service's own user reaches it; none when unset.
    #[serde(default)]
    pub admin_socket: Option<PathBuf>,
}

impl ServerSettings {
    /// `public_url` checked (http or https, a host, no query or fragment)
    /// and without a trailing slash.
    pub fn public_url(&self) -> Result<String, SettingsError> {
        let url = self.public_url.trim_end_matches('/');
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .map(|rest| rest.split('/').next().unwrap_or_default());
        let plain = url.bytes().all(|b| b.is_ascii_graphic()) && !url.contains(['?', '#']);
        match host {
            Some(host) if !host.is_empty() && plain => Ok(url.to_owned()),
            _ => Err(SettingsError::new(format!(
                "the public URL `{}` must be an http(s) URL with a host and no query or \
                 fragment, e.g. https://auth.example.com (set by ..._SERVER__PUBLIC_URL)",
                self.public_url
            ))),
        }
    }
}

/// `<SERVICE>__CORS__*`: which browser origins may call the service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Comma-separated exact origins; empty (the default): no CORS headers.
    #[serde(default)]
    pub allowed_origins: String,
}

/// The database a service owns.
///
/// ```
/// let settings = shared::settings::DatabaseSettings {
///     url: "sqlite://data/notes.db".to_owned().into(),
///     max_connections: 8,
///     connect_timeout_seconds: 5,
///     statement_timeout_seconds: 5,
/// };
/// # let _ = settings;
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` (file and folder created at start) or `postgres://...`.
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection, connecting included, before
    /// answering 503.
    pub connect_timeout_seconds: u64,
    /// Seconds one statement may run (PostgreSQL `statement_timeout`) or wait
    /// for a lock (SQLite `busy_timeout`).
    pub statement_timeout_seconds: u64,
}

/// The token settings both services share (`JWT_*`).
///
/// HS256 (default): one secret (`JWT_SECRET` or `JWT_SECRET_FILE`), or a
/// ring of `kid:secret` entries (`JWT_KEYS`, whitespace-separated, or
/// `JWT_KEYS_FILE`, one a line) with `JWT_ACTIVE_KID` naming the signer.
/// EdDSA and ES256, one key source: `JWT_PUBLIC_KEY_FILE` (one or more PEM
/// public keys) and, on the issuer only, `JWT_PRIVATE_KEY_FILE`;
/// `JWT_JWKS_FILE` (a JWK Set file); or `JWT_JWKS_URL` (a JWK Set fetched in
/// the background, `JWT_JWKS_COOLDOWN_SECONDS` apart at least when tokens
/// name unknown keys). Files are re-read when they change.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Settings { jwt: shared::settings::JwtSettings }
///
/// // The service's defaults name who issues its tokens and who it is.
/// const DEFAULTS: &str = "[jwt]\nissuer = \"auth-service\"\naudience = \"reports-service\"\n";
/// let env = std::collections::HashMap::from([
///     ("JWT_SECRET".to_owned(), "a-secret-of-at-least-32-bytes-long!".to_owned()),
/// ]);
/// let settings: Settings = shared::settings::load("REPORTS", DEFAULTS, &env).expect("settings");
/// assert_eq!(settings.jwt.algorithm, "HS256");
/// assert_eq!(settings.jwt.audiences(), ["reports-service"]);
///
/// let source = settings.jwt.key_source().expect("one key source");
/// let clock = shared::clock::Clock::system();
/// let keys = source.start(settings.jwt.algorithm().expect("known"), &clock).expect("a valid secret");
/// let verifier = settings.jwt.verifier(keys).expect("a verifier for reports-service");
/// assert!(verifier.verify("not.a.token").is_err());
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// `HS256`, `EdDSA` or `ES256`.
    pub algorithm: String,
    secret: Option<SecretString>,
    secret_file: Option<PathBuf>,
    keys: Option<SecretString>,
    keys_file: Option<PathBuf>,
    active_kid: Option<String>,
    public_key_file: Option<PathBuf>,
    private_key_file: Option<PathBuf>,
    jwks_file: Option<PathBuf>,
    jwks_url: Option<String>,
    /// Least seconds between two fetches of `JWT_JWKS_URL` that tokens with
    /// unknown key ids ask for.
    pub jwks_cooldown_seconds: u64,
    /// How often key files and JWK Set files are checked for a change.
    pub key_files_poll_milliseconds: u64,
    /// `iss` written and required.
    pub issuer: String,
    /// Comma-separated audiences: auth-service writes them all into `aud`;
    /// a verifier requires the first.
    pub audience: String,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway_seconds: u64,
}

fn read_setting_file(variable: &str, path: &Path) -> Result<String, SettingsError> {
    std::fs::read_to_string(path).map_err(|e| {
        SettingsError::new(format!(
            "{variable} {}: cannot be read: {e}",
            path.display()
        ))
    })
}

const HMAC_HINT: &str = "a random value of at least 32 bytes, e.g. `openssl rand -base64 48`";

impl JwtSettings {
    /// The configured audiences, in order.
    pub fn audiences(&self) -> Vec<String> {
        self.audience
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The algorithm named by `JWT_ALGORITHM`.
    pub fn algorithm(&self) -> Result<Algorithm, SettingsError> {
        parse_algorithm(&self.algorithm)
    }

    /// The key source these settings name, checked: exactly one, and one
    /// that fits `JWT_ALGORITHM` (see [`JwtSettings`]). Reads no file.
    pub fn key_source(&self) -> Result<KeySource, SettingsError> {
        let algorithm = self.algorithm()?;
        if algorithm == Algorithm::HS256 {
            return self.hmac_source();
        }
        if [&self.secret, &self.keys].iter().any(|s| s.is_some())
            || self.secret_file.is_some()
            || self.keys_file.is_some()
        {
            return Err(SettingsError::new(format!(
                "JWT_SECRET, JWT_SECRET_FILE, JWT_KEYS and JWT_KEYS_FILE are for HS256; \
                 {} uses JWT_PUBLIC_KEY_FILE (and JWT_PRIVATE_KEY_FILE on auth-service), \
                 JWT_JWKS_FILE or JWT_JWKS_URL",
                self.algorithm
            )));
        }
        if self.private_key_file.is_some() && self.public_key_file.is_none() {
            return Err(SettingsError::new(
                "JWT_PRIVATE_KEY_FILE needs JWT_PUBLIC_KEY_FILE: the issuer publishes the public \
                 keys it reads there",
            ));
        }
        let source = match (&self.public_key_file, &self.jwks_file, &self.jwks_url) {
            (Some(public), None, None) => KeySource::KeyFiles {
                public: public.clone(),
                private: self.private_key_file.clone(),
                poll: self.key_files_poll(),
            },
            (None, Some(path), None) => KeySource::JwksFile {
                path: path.clone(),
                poll: self.key_files_poll(),
            },
            (None, None, Some(url)) => KeySource::JwksUrl {
                url: url.clone(),
                cooldown: Duration::from_secs(self.jwks_cooldown_seconds),
            },
            _ => {
                return Err(SettingsError::new(format!(
                    "JWT_ALGORITHM={} needs one key source: JWT_PUBLIC_KEY_FILE (PEM public \
                     keys, `openssl pkey -in private.pem -pubout`), JWT_JWKS_FILE (a JWK Set \
                     file) or JWT_JWKS_URL (a JWK Set URL, e.g. \
                     http://auth-service:8081/.well-known/jwks.json)",
                    self.algorithm
                )));
            }
        };
        Ok(source)
    }

    /// [`Self::key_source`] started: shorthand for
    /// `self.key_source()?.start(self.algorithm()?, clock)`.
    pub fn start_keys(&self, clock: &Clock) -> Result<Keys, SettingsError> {
        self.key_source()?.start(self.algorithm()?, clock)
    }

    /// How often key files are checked for a change
    /// (`JWT_KEY_FILES_POLL_MILLISECONDS`); at least a millisecond: a zero
    /// poll would spin.
    pub fn key_files_poll(&self) -> Duration {
        Duration::from_millis(self.key_files_poll_milliseconds.max(1))
    }

    fn hmac_source(&self) -> Result<KeySource, SettingsError> {
        if self.public_key_file.is_some()
            || self.private_key_file.is_some()
            || self.jwks_file.is_some()
            || self.jwks_url.is_some()
        {
            return Err(SettingsError::new(
                "JWT_PUBLIC_KEY_FILE, JWT_PRIVATE_KEY_FILE, JWT_JWKS_FILE and JWT_JWKS_URL are \
                 for JWT_ALGORITHM=EdDSA or ES256; HS256 uses JWT_SECRET",
            ));
        }
        let active_kid = self.active_kid.clone();
        match (&self.secret, &self.secret_file, &self.keys, &self.keys_file) {
            (Some(secret), None, None, None) => Ok(KeySource::Secret(secret.clone())),
            (None, Some(path), None, None) => Ok(KeySource::SecretFile(path.clone())),
            (None, None, Some(keys), None) => Ok(KeySource::Secrets {
                keys: keys.clone(),
                active_kid,
            }),
            (None, None, None, Some(path)) => Ok(KeySource::SecretsFile {
                path: path.clone(),
                active_kid,
            }),
            (None, None, None, None) => Err(SettingsError::new(format!(
                "JWT_SECRET is not set: set JWT_SECRET (or JWT_SECRET_FILE, a file holding \
                 it) to {HMAC_HINT}"
            ))),
            _ => Err(SettingsError::new(
                "set only one of JWT_SECRET, JWT_SECRET_FILE, JWT_KEYS and JWT_KEYS_FILE",
            )),
        }
    }

    /// A verifier for tokens addressed to this service (the first audience).
    pub fn verifier(&self, keys: impl Into<Keys>) -> Result<TokenVerifier, SettingsError> {
        let audience = self
            .audiences()
            .into_iter()
            .next()
            .ok_or_else(|| SettingsError::new("JWT_AUDIENCE is empty"))?;
        Ok(TokenVerifier::new(
            keys,
            self.issuer.clone(),
            audience,
            self.leeway_seconds,
        ))
    }
}

/// An algorithm a key ring offers, by its `JWT_ALGORITHM` name.
///
/// ```
/// use jsonwebtoken::Algorithm;
/// assert_eq!(shared::settings::parse_algorithm("ES256").ok(), Some(Algorithm::ES256));
/// assert!(shared::settings::parse_algorithm("RS256").is_err());
/// ```
pub fn parse_algorithm(name: &str) -> Result<Algorithm, SettingsError> {
    match name {
        "HS256" => Ok(Algorithm::HS256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        "ES256" => Ok(Algorithm::ES256),
        other => Err(SettingsError::new(format!(
            "JWT_ALGORITHM is `{other}`; it must be HS256, EdDSA or ES256"
        ))),
    }
}

/// The service's own defaults name its issuer and audience.
const JWT_DEFAULTS: &str = r#"
[jwt]
algorithm = "HS256"
leeway_seconds = 30
jwks_cooldown_seconds = 30
key_files_poll_milliseconds = 1000
"#;

const JWT_VARIABLES: [&str; 15] = [
    "ALGORITHM",
    "SECRET",
    "SECRET_FILE",
    "KEYS",
    "KEYS_FILE",
    "ACTIVE_KID",
    "PUBLIC_KEY_FILE",
    "PRIVATE_KEY_FILE",
    "JWKS_FILE",
    "JWKS_URL",
    "JWKS_COOLDOWN_SECONDS",
    "KEY_FILES_POLL_MILLISECONDS",
    "ISSUER",
    "AUDIENCE",
    "LEEWAY_SECONDS",
];

/// Loads settings of type `T` for the service whose variables start with
/// `prefix` (e.g. `AUTH`), from `defaults` (TOML), the file named by
/// `{prefix}_CONFIG_FILE`, and `env`. `T` has a `jwt` table for the `JWT_*`
/// variables. See [`ServerSettings`] and [`JwtSettings`] for examples.
pub fn load<T: DeserializeOwned>(
    prefix: &str,
    defaults: &str,
    env: &HashMap<String, String>,
) -> Result<T, SettingsError> {
    let mut builder = Config::builder()
        .add_source(File::from_str(JWT_DEFAULTS, FileFormat::Toml))
        .add_source(File::from_str(defaults, FileFormat::Toml));
    let file_variable = format!("{prefix}_CONFIG_FILE");
    if let Some(path) = env.get(&file_variable) {
        builder = builder.add_source(File::new(path, FileFormat::Toml).required(true));
    }
    builder = builder.add_source(
        Environment::with_prefix(prefix)
            .prefix_separator("__")
            .separator("__")
            .source(Some(env.clone().into_iter().collect())),
    );
    for name in JWT_VARIABLES {
        if let Some(value) = env.get(&format!("JWT_{name}")) {
            let key = format!("jwt.{}", name.to_ascii_lowercase());
            builder = builder
                .set_override(key, value.as_str())
                .map_err(|e| explain(prefix, e))?;
        }
    }
    builder
        .build()
        .and_then(|config| config.try_deserialize())
        .map_err(|e| explain(prefix, e))
}

/// The process environment, for [`load`].
pub fn process_env() -> HashMap<String, String> {
    std::env::vars().collect()
}

/// Adds the environment variable that sets the failing key.
fn explain(prefix: &str, error: ConfigError) -> SettingsError {
    let key = match &error {
        ConfigError::Type { key: Some(key), .. } | ConfigError::At { key: Some(key), .. } => {
            Some(key.clone())
        }
        _ => None,
    };
    match key {
        Some(key) => {
            let variable = match key.strip_prefix("jwt.") {
                Some(jwt_key) => format!("JWT_{}", jwt_key.to_ascii_uppercase()),
                None => format!("{prefix}__{}", key.replace('.', "__").to_ascii_uppercase()),
            };
            SettingsError::new(format!(
                "invalid configuration: {error} (set by {variable})"
            ))
        }
        None => SettingsError::new(format!("invalid configuration: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::token::KeyRing;

    #[test]
    fn the_key_source_is_parsed_once_into_its_kind_and_starts_nothing() {
        let secret = load_test(&[("JWT_SECRET", "a-secret-of-at-least-32-bytes-long!")]);
        let source = secret.expect("settings").jwt.key_source().expect("one");
        assert!(matches!(source, KeySource::Secret(_)));
        let files = load_test(&[
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PUBLIC_KEY_FILE", "/nowhere/public.pem"),
        ]);
        let source = files.expect("settings").jwt.key_source().expect("one");
        let KeySource::KeyFiles {
            public, private, ..
        } = &source
        else {
            panic!("{source:?}")
        };
        assert_eq!(
            (public.to_str(), private),
            (Some("/nowhere/public.pem"), &None)
        );
        let started = source
            .start(Algorithm::EdDSA, &Clock::system())
            .expect_err("no such file");
        assert!(
            started.to_string().contains("JWT_PUBLIC_KEY_FILE"),
            "{started}"
        );
        let url = load_test(&[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_JWKS_URL", "http://127.0.0.1:9/jwks.json"),
            ("JWT_JWKS_COOLDOWN_SECONDS", "7"),
        ]);
        let source = url.expect("settings").jwt.key_source().expect("one");
        assert!(
            matches!(&source, KeySource::JwksUrl { cooldown, .. } if cooldown.as_secs() == 7),
            "{source:?}"
        );
    }

    fn ring_of(jwt: &JwtSettings) -> Result<Arc<KeyRing>, SettingsError> {
        Ok(jwt
            .start_keys(&Clock::system())?
            .current()
            .expect("secrets and files load at once"))
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Test {
        server: ServerSettings,
        jwt: JwtSettings,
    }

    const DEFAULTS: &str = r#"
        [jwt]
        issuer = "auth-service"
        audience = "items-service"

        [server]
        host = "127.0.0.1"
        port = 8081
        workers = 0
        shutdown_timeout_seconds = 30
        max_connections_per_worker = 1024
        public_url = "http://localhost:8081"
    "#;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load_test(pairs: &[(&str, &str)]) -> Result<Test, SettingsError> {
        load("TEST", DEFAULTS, &env(pairs))
    }

    #[test]
    fn defaults_apply_and_the_environment_overrides_them() {
        let settings = load_test(&[("TEST__SERVER__PORT", "9000")]).expect("loads");
        assert_eq!(settings.server.port, 9000);
        assert_eq!(settings.server.host, "127.0.0.1");
        assert_eq!(settings.jwt.issuer, "auth-service");
    }

    #[test]
    fn the_public_url_must_be_a_plain_http_url() {
        let url = |value: &str| {
            load_test(&[("TEST__SERVER__PUBLIC_URL", value)])
                .expect("loads")
                .server
                .public_url()
        };
        assert_eq!(
            url("https://auth.example/").expect("valid"),
            "https://auth.example"
        );
        assert_eq!(
            url("http://10.0.0.1:8081/auth").expect("valid"),
            "http://10.0.0.1:8081/auth"
        );
        for bad in [
            "auth.example",
            "ftp://x",
            "https://",
            "https://x/?a=1",
            "https://x/#f",
            "http://a b",
        ] {
            let err = url(bad).expect_err(bad);
            assert!(err.to_string().contains("PUBLIC_URL"), "{err}");
        }
    }

    #[test]
    fn a_bad_port_names_its_variable() {
        let err = load_test(&[("TEST__SERVER__PORT", "eighty")]).expect_err("bad port");
        assert!(err.to_string().contains("TEST__SERVER__PORT"), "{err}");
    }

    #[test]
    fn an_unknown_setting_is_refused() {
        let err = load_test(&[("TEST__SERVER__PROT", "1")]).expect_err("typo");
        assert!(err.to_string().contains("prot"), "{err}");
    }

    #[test]
    fn a_numeric_secret_stays_text() {
        let digits = "12345678901234567890123456789012345";
        let settings = load_test(&[("JWT_SECRET", digits)]).expect("loads");
        assert!(ring_of(&settings.jwt).is_ok());
    }

    #[test]
    fn a_missing_secret_names_jwt_secret() {
        let settings = load_test(&[]).expect("loads");
        let err = ring_of(&settings.jwt).expect_err("no secret");
        assert!(err.to_string().contains("JWT_SECRET"), "{err}");
    }

    #[test]
    fn a_short_secret_names_jwt_secret_and_its_length() {
        let settings = load_test(&[("JWT_SECRET", "short")]).expect("loads");
        let err = ring_of(&settings.jwt).expect_err("short");
        assert!(err.to_string().contains("JWT_SECRET is 5 bytes"), "{err}");
    }

    #[test]
    fn the_secret_is_read_from_a_file_without_its_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret");
        let secret = "s".repeat(32);
        std::fs::write(&path, format!("{secret}\n")).expect("write");
        let path = path.to_string_lossy().into_owned();
        let settings = load_test(&[("JWT_SECRET_FILE", &path)]).expect("loads");
        let from_file = ring_of(&settings.jwt).expect("ring");
        let direct = KeyRing::single_hmac(secret.as_bytes()).expect("ring");
        assert_eq!(from_file.active_kid(), direct.active_kid());
    }

    #[test]
    fn both_secret_sources_at_once_are_refused() {
        let settings = load_test(&[("JWT_SECRET", &"a".repeat(32)), ("JWT_SECRET_FILE", "/x")])
            .expect("loads");
        assert!(ring_of(&settings.jwt).is_err());
    }

    #[test]
    fn a_ring_of_keys_from_the_environment_signs_with_the_active_one() {
        let keys = format!("old:{} new:{}", "o".repeat(32), "n".repeat(32));
        let settings = load_test(&[("JWT_KEYS", &keys), ("JWT_ACTIVE_KID", "new")]).expect("loads");
        let ring = ring_of(&settings.jwt).expect("ring");
        assert_eq!(ring.active_kid(), Some("new"));
        assert_eq!(ring.kids().collect::<Vec<_>>(), ["old", "new"]);
    }

    #[test]
    fn a_ring_of_keys_from_a_file_takes_one_a_line_with_comments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys");
        let text = format!(
            "# rotated 2026-11\nold:{}\nnew:{}\n",
            "o".repeat(32),
            "n".repeat(32)
        );
        std::fs::write(&path, text).expect("write");
        let path = path.to_string_lossy().into_owned();
        let settings =
            load_test(&[("JWT_KEYS_FILE", &path), ("JWT_ACTIVE_KID", "old")]).expect("loads");
        assert_eq!(
            ring_of(&settings.jwt).expect("ring").active_kid(),
            Some("old")
        );
    }

    #[test]
    fn several_keys_without_an_active_kid_are_refused() {
        let keys = format!("a:{} b:{}", "a".repeat(32), "b".repeat(32));
        let settings = load_test(&[("JWT_KEYS", &keys)]).expect("loads");
        let err = ring_of(&settings.jwt).expect_err("which one signs?");
        assert!(err.to_string().contains("JWT_ACTIVE_KID"), "{err}");
    }

    #[test]
    fn a_short_key_in_a_ring_is_refused() {
        let settings = load_test(&[("JWT_KEYS", "a:short")]).expect("loads");
        assert!(ring_of(&settings.jwt).is_err());
    }

    #[test]
    fn eddsa_loads_public_keys_and_optionally_the_private_key() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
        let public = format!("{fixtures}/ed25519-1.public.pem");
        let private = format!("{fixtures}/ed25519-1.private.pem");
        let verifier = load_test(&[("JWT_ALGORITHM", "EdDSA"), ("JWT_PUBLIC_KEY_FILE", &public)])
            .expect("loads");
        assert_eq!(ring_of(&verifier.jwt).expect("ring").active_kid(), None);
        let issuer = load_test(&[
            ("JWT_ALGORITHM", "EdDSA"),
            ("JWT_PUBLIC_KEY_FILE", &public),
            ("JWT_PRIVATE_KEY_FILE", &private),
        ])
        .expect("loads");
        assert!(ring_of(&issuer.jwt).expect("ring").active_kid().is_some());
    }

    #[test]
    fn eddsa_with_a_secret_or_an_unknown_algorithm_is_refused() {
        let secret = "s".repeat(32);
        let mixed =
            load_test(&[("JWT_ALGORITHM", "EdDSA"), ("JWT_SECRET", &secret)]).expect("loads");
        assert!(ring_of(&mixed.jwt).is_err());
        let unknown =
            load_test(&[("JWT_ALGORITHM", "ES512"), ("JWT_SECRET", &secret)]).expect("loads");
        let err = ring_of(&unknown.jwt).expect_err("unsupported");
        assert!(err.to_string().contains("JWT_ALGORITHM"), "{err}");
    }

    #[test]
    fn rs256_and_rsa_key_files_are_refused() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
        let public = format!("{fixtures}/rsa-2048.public.pem");
        let rs256 = load_test(&[("JWT_ALGORITHM", "RS256"), ("JWT_PUBLIC_KEY_FILE", &public)])
            .expect("loads");
        let err = ring_of(&rs256.jwt).expect_err("RS256 is not offered");
        assert!(err.to_string().contains("JWT_ALGORITHM"), "{err}");
        let rsa_as_eddsa =
            load_test(&[("JWT_ALGORITHM", "EdDSA"), ("JWT_PUBLIC_KEY_FILE", &public)])
                .expect("loads");
        assert!(ring_of(&rsa_as_eddsa.jwt).is_err());
    }

    #[test]
    fn the_secret_never_prints_in_debug_output() {
        let secret = "do-not-print-me-do-not-print-me-!";
        let settings = load_test(&[("JWT_SECRET", secret)]).expect("loads");
        assert!(!format!("{settings:?}").contains(secret));
    }

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");

    #[test]
    fn es256_loads_pem_keys() {
        let public = format!("{FIXTURES}/p256-1.public.pem");
        let private = format!("{FIXTURES}/p256-1.private.pem");
        let issuer = load_test(&[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_PUBLIC_KEY_FILE", &public),
            ("JWT_PRIVATE_KEY_FILE", &private),
        ])
        .expect("loads");
        let ring = ring_of(&issuer.jwt).expect("ring");
        assert!(ring.active_kid().is_some());
        assert_eq!(ring.jwks().keys[0].crv, "P-256");
    }

    #[test]
    fn a_jwk_set_file_is_a_verifiers_key_source() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jwks.json");
        let pem = std::fs::read_to_string(format!("{FIXTURES}/p256-2.public.pem")).expect("read");
        let ring = KeyRing::from_pem(Algorithm::ES256, &pem, None).expect("ring");
        std::fs::write(&path, serde_json::to_vec(&ring.jwks()).expect("JSON")).expect("write");
        let path = path.to_string_lossy().into_owned();
        let settings =
            load_test(&[("JWT_ALGORITHM", "ES256"), ("JWT_JWKS_FILE", &path)]).expect("loads");
        let loaded = ring_of(&settings.jwt).expect("ring");
        assert!(loaded.kids().eq(ring.kids()));
        assert_eq!(loaded.active_kid(), None);

        let missing = load_test(&[
            ("JWT_ALGORITHM", "ES256"),
            ("JWT_JWKS_FILE", "/nonexistent"),
        ])
        .expect("loads");
        let err = missing
            .jwt
            .start_keys(&Clock::system())
            .expect_err("no file");
        assert!(err.to_string().contains("JWT_JWKS_FILE"), "{err}");
    }

    #[test]
    fn one_key_source_at_a_time() {
        let public = format!("{FIXTURES}/p256-1.public.pem");
        let private = format!("{FIXTURES}/p256-1.private.pem");
        let url = "http://auth-service:8081/.well-known/jwks.json";
        let cases: [&[(&str, &str)]; 5] = [
            &[("JWT_ALGORITHM", "ES256")],
            &[
                ("JWT_ALGORITHM", "ES256"),
                ("JWT_PUBLIC_KEY_FILE", &public),
                ("JWT_JWKS_URL", url),
            ],
            &[
                ("JWT_ALGORITHM", "ES256"),
                ("JWT_JWKS_URL", url),
                ("JWT_PRIVATE_KEY_FILE", &private),
            ],
            &[
                ("JWT_JWKS_URL", url),
                ("JWT_SECRET", "s-s-s-s-s-s-s-s-s-s-s-s-s-s-s-s-s-s"),
            ],
            &[
                ("JWT_ALGORITHM", "ES256"),
                ("JWT_JWKS_FILE", "/a"),
                ("JWT_JWKS_URL", url),
            ],
        ];
        for pairs in cases {
            let settings = load_test(pairs).expect("loads");
            let err = settings.jwt.key_source().expect_err("ambiguous");
            assert!(err.to_string().contains("JWT_"), "{pairs:?}: {err}");
        }
        let remote =
            load_test(&[("JWT_ALGORITHM", "ES256"), ("JWT_JWKS_URL", url)]).expect("loads");
        let keys = remote
            .jwt
            .start_keys(&Clock::system())
            .expect("fetched in the background");
        assert_eq!(keys.status().source, "url");
    }
}
