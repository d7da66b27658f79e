//! Where a service's keys come from ([`KeySource`]), parsed once from the
//! `JWT_*` settings, and the visible step that loads, watches or fetches
//! them ([`KeySource::start`]).

use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use secrecy::{ExposeSecret, SecretString};

use super::{HMAC_HINT, SettingsError, read_setting_file};
use crate::clock::Clock;
use crate::token::{KeyError, KeyRing, Keys};

/// Where a service's keys come from, as [`super::JwtSettings::key_source`] read
/// it from the `JWT_*` settings: exactly one. Nothing is read, watched or
/// fetched until [`KeySource::start`].
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `JWT_SECRET`: one HS256 secret.
    Secret(SecretString),
    /// `JWT_SECRET_FILE`: a file holding one HS256 secret.
    SecretFile(PathBuf),
    /// `JWT_KEYS`: HS256 `kid:secret` entries, `JWT_ACTIVE_KID` signing.
    Secrets {
        /// The entries.
        keys: SecretString,
        /// The signing key's id; may be left out when there is one key.
        active_kid: Option<String>,
    },
    /// `JWT_KEYS_FILE`: those entries in a file.
    SecretsFile {
        /// The file.
        path: PathBuf,
        /// As for [`KeySource::Secrets`].
        active_kid: Option<String>,
    },
    /// `JWT_PUBLIC_KEY_FILE` (and `JWT_PRIVATE_KEY_FILE` for the issuer):
    /// PEM files, re-read when they change.
    KeyFiles {
        /// One or more SPKI public keys.
        public: PathBuf,
        /// The PKCS#8 private key that signs, on the issuer.
        private: Option<PathBuf>,
        /// `JWT_KEY_FILES_POLL_MILLISECONDS`: how often they are checked.
        poll: Duration,
    },
    /// `JWT_JWKS_FILE`: a JWK Set file, re-read when it changes.
    JwksFile {
        /// The file.
        path: PathBuf,
        /// `JWT_KEY_FILES_POLL_MILLISECONDS`: how often it is checked.
        poll: Duration,
    },
    /// `JWT_JWKS_URL`: a JWK Set fetched in the background.
    JwksUrl {
        /// Where.
        url: String,
        /// `JWT_JWKS_COOLDOWN_SECONDS`: least time between two fetches that
        /// tokens with unknown key ids ask for.
        cooldown: Duration,
    },
}

impl KeySource {
    /// Loads the keys for `algorithm`: a secret or a file now; a key file
    /// or JWK Set file with a thread that re-reads it when it changes (a
    /// change that does not load is logged and the last good ring stays);
    /// a JWK Set URL with its fetcher (`remote-keys`), its cooldown counted
    /// on `clock`.
    pub fn start(&self, algorithm: Algorithm, clock: &Clock) -> Result<Keys, SettingsError> {
        match self {
            Self::Secret(secret) => single_hmac(secret.expose_secret()).map(Keys::fixed),
            // A secret file written by `echo` ends with a newline that is not part of it.
            Self::SecretFile(path) => {
                let text = read_setting_file("JWT_SECRET_FILE", path)?;
                single_hmac(text.trim_end_matches(['\r', '\n'])).map(Keys::fixed)
            }
            Self::Secrets { keys, active_kid } => {
                hmac_ring("JWT_KEYS", keys.expose_secret(), active_kid.as_deref()).map(Keys::fixed)
            }
            Self::SecretsFile { path, active_kid } => {
                let text = read_setting_file("JWT_KEYS_FILE", path)?;
                hmac_ring("JWT_KEYS_FILE", &text, active_kid.as_deref()).map(Keys::fixed)
            }
            Self::KeyFiles {
                public,
                private,
                poll,
            } => {
                let mut paths = vec![public.clone()];
                paths.extend(private.clone());
                Keys::watch_files(paths, *poll, move |files| {
                    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
                    let private = files.get(1).map(|bytes| text(bytes));
                    KeyRing::from_pem(algorithm, &text(&files[0]), private.as_deref())
                        .map_err(|e| format!("JWT_PUBLIC_KEY_FILE / JWT_PRIVATE_KEY_FILE: {e}"))
                })
                .map_err(|e| SettingsError::new(format!("JWT_PUBLIC_KEY_FILE: {e}")))
            }
            Self::JwksFile { path, poll } => {
                Keys::watch_files(vec![path.clone()], *poll, move |files| {
                    KeyRing::from_jwks(algorithm, &files[0])
                        .map_err(|e| format!("JWT_JWKS_FILE: {e}"))
                })
                .map_err(|e| SettingsError::new(format!("JWT_JWKS_FILE: {e}")))
            }
            Self::JwksUrl { url, cooldown } => remote_keys(url, *cooldown, algorithm, clock),
        }
    }
}

fn single_hmac(secret: &str) -> Result<KeyRing, SettingsError> {
    KeyRing::single_hmac(secret.as_bytes()).map_err(|e| match e {
        KeyError::SecretTooShort { len, .. } => SettingsError::new(format!(
            "JWT_SECRET is {len} bytes; it must be at least 32 bytes (RFC 7518 3.2): {HMAC_HINT}"
        )),
        other => SettingsError::new(format!("JWT_SECRET: {other}")),
    })
}

fn hmac_ring(
    variable: &str,
    text: &str,
    active_kid: Option<&str>,
) -> Result<KeyRing, SettingsError> {
    let entries = parse_key_entries(text).map_err(|why| {
        SettingsError::new(format!("{variable}: {why}; write `kid:secret` entries"))
    })?;
    let active = match (active_kid, entries.as_slice()) {
        (Some(kid), _) => kid.to_owned(),
        (None, [(kid, _)]) => kid.clone(),
        (None, _) => {
            return Err(SettingsError::new(format!(
                "{variable} lists several keys: set JWT_ACTIVE_KID to the one that signs"
            )));
        }
    };
    KeyRing::hmac(
        entries
            .iter()
            .map(|(kid, secret)| (kid.as_str(), secret.as_bytes())),
        &active,
    )
    .map_err(|e| SettingsError::new(format!("{variable}: {e} ({HMAC_HINT})")))
}

#[cfg(feature = "remote-keys")]
fn remote_keys(
    url: &str,
    cooldown: Duration,
    algorithm: Algorithm,
    clock: &Clock,
) -> Result<Keys, SettingsError> {
    let options = crate::token::RemoteKeyOptions {
        cooldown,
        clock: clock.clone(),
        ..Default::default()
    };
    Keys::fetch_jwks(url, algorithm, options)
        .map_err(|e| SettingsError::new(format!("JWT_JWKS_URL: {e}")))
}

#[cfg(not(feature = "remote-keys"))]
fn remote_keys(_: &str, _: Duration, _: Algorithm, _: &Clock) -> Result<Keys, SettingsError> {
    Err(SettingsError::new(
        "JWT_JWKS_URL needs shared's `remote-keys` feature, which this build lacks",
    ))
}

/// `kid:secret` entries separated by white space; `#` starts a comment line.
fn parse_key_entries(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(|entry| match entry.split_once(':') {
            Some((kid, secret)) if !kid.is_empty() && !secret.is_empty() => {
                Ok((kid.to_owned(), secret.to_owned()))
            }
            _ => Err("an entry is not of the form `kid:secret`".to_owned()),
        })
        .collect()
}
