//! Configuration: built-in defaults, then an optional TOML file, then the
//! environment. A bad or unknown value stops start-up with a message that
//! names the environment variable to fix.
//!
//! Service settings come from `PREFIX__SECTION__KEY` (e.g.
//! `ITEMS__SERVER__PORT`); the token settings both services share come from
//! `JWT_SECRET`, `JWT_SECRET_FILE`, `JWT_ISSUER`, `JWT_AUDIENCE` and
//! `JWT_LEEWAY_SECONDS`. `PREFIX_CONFIG_FILE` names the optional TOML file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use config::{Config, ConfigError, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::token::{KeyError, KeyRing, TokenVerifier};

/// A setting that stops start-up, with what to fix.
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address (`0.0.0.0` in containers).
    pub host: String,
    /// Listen port; 0 picks a free one (tests).
    pub port: u16,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    pub shutdown_timeout_seconds: u64,
}

/// The database a service owns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` (file and folder created at start).
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds to wait for a connection (or a lock) before answering 503.
    pub timeout_seconds: u64,
}

/// The token settings both services share (`JWT_*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    secret: Option<SecretString>,
    secret_file: Option<PathBuf>,
    /// `iss` written and required.
    pub issuer: String,
    /// Comma-separated audiences: auth-service writes them all into `aud`;
    /// a verifier requires the first.
    pub audience: String,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    pub leeway_seconds: u64,
}

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

    /// The key ring from `JWT_SECRET` or `JWT_SECRET_FILE`.
    pub fn key_ring(&self) -> Result<KeyRing, SettingsError> {
        let secret = match (&self.secret, &self.secret_file) {
            (Some(_), Some(_)) => {
                return Err(SettingsError::new(
                    "both JWT_SECRET and JWT_SECRET_FILE are set; set only one",
                ))
            }
            (Some(secret), None) => secret.expose_secret().to_owned(),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    SettingsError::new(format!(
                        "JWT_SECRET_FILE {}: cannot be read: {e}",
                        path.display()
                    ))
                })?;
                // A secret file written by `echo` ends with a newline that is not part of it.
                text.trim_end_matches(['\r', '\n']).to_owned()
            }
            (None, None) => return Err(SettingsError::new(
                "JWT_SECRET is not set: set JWT_SECRET (or JWT_SECRET_FILE, a file holding it) \
                     to a random value of at least 32 bytes, e.g. `openssl rand -base64 48`",
            )),
        };
        KeyRing::single_hmac(secret.as_bytes()).map_err(|e| match e {
            KeyError::SecretTooShort { len, .. } => SettingsError::new(format!(
                "JWT_SECRET is {len} bytes; it must be at least 32 bytes (RFC 7518 3.2), \
                 e.g. `openssl rand -base64 48`"
            )),
            other => SettingsError::new(format!("JWT_SECRET: {other}")),
        })
    }

    /// A verifier for tokens addressed to this service (the first audience).
    pub fn verifier(&self, ring: Arc<KeyRing>) -> Result<TokenVerifier, SettingsError> {
        let audience = self
            .audiences()
            .into_iter()
            .next()
            .ok_or_else(|| SettingsError::new("JWT_AUDIENCE is empty"))?;
        Ok(TokenVerifier::new(
            ring,
            self.issuer.clone(),
            audience,
            self.leeway_seconds,
        ))
    }
}

const JWT_DEFAULTS: &str = r#"
[jwt]
issuer = "auth-service"
audience = "items-service"
leeway_seconds = 30
"#;

const JWT_VARIABLES: [&str; 5] = [
    "SECRET",
    "SECRET_FILE",
    "ISSUER",
    "AUDIENCE",
    "LEEWAY_SECONDS",
];

/// Loads settings of type `T` for the service whose variables start with
/// `prefix` (e.g. `AUTH`), from `defaults` (TOML), the file named by
/// `{prefix}_CONFIG_FILE`, and `env`. `T` has a `jwt` table for the `JWT_*`
/// variables.
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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Test {
        server: ServerSettings,
        jwt: JwtSettings,
    }

    const DEFAULTS: &str = r#"
        [server]
        host = "127.0.0.1"
        port = 8081
        workers = 0
        shutdown_timeout_seconds = 30
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
        assert!(settings.jwt.key_ring().is_ok());
    }

    #[test]
    fn a_missing_secret_names_jwt_secret() {
        let settings = load_test(&[]).expect("loads");
        let err = settings.jwt.key_ring().expect_err("no secret");
        assert!(err.to_string().contains("JWT_SECRET"), "{err}");
    }

    #[test]
    fn a_short_secret_names_jwt_secret_and_its_length() {
        let settings = load_test(&[("JWT_SECRET", "short")]).expect("loads");
        let err = settings.jwt.key_ring().expect_err("short");
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
        let from_file = settings.jwt.key_ring().expect("ring");
        let direct = KeyRing::single_hmac(secret.as_bytes()).expect("ring");
        assert_eq!(from_file.active_kid(), direct.active_kid());
    }

    #[test]
    fn both_secret_sources_at_once_are_refused() {
        let settings = load_test(&[("JWT_SECRET", &"a".repeat(32)), ("JWT_SECRET_FILE", "/x")])
            .expect("loads");
        assert!(settings.jwt.key_ring().is_err());
    }

    #[test]
    fn the_secret_never_prints_in_debug_output() {
        let secret = "do-not-print-me-do-not-print-me-!";
        let settings = load_test(&[("JWT_SECRET", secret)]).expect("loads");
        assert!(!format!("{settings:?}").contains(secret));
    }
}
