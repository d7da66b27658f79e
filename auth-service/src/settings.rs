//! auth-service settings: defaults in `defaults.toml`, then the file named by
//! `AUTH_CONFIG_FILE`, then `AUTH__SECTION__KEY` and `JWT_*` variables.

use std::collections::HashMap;

use serde::Deserialize;
use shared::settings::{DatabaseSettings, JwtSettings, ServerSettings, SettingsError};

use crate::passwords::PasswordSettings;

/// Everything auth-service reads at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener.
    pub server: ServerSettings,
    /// The users database.
    pub database: DatabaseSettings,
    /// Key ring, issuer, audience.
    pub jwt: JwtSettings,
    /// What tokens carry.
    pub tokens: TokenSettings,
    /// Password hashing.
    pub passwords: PasswordSettings,
}

/// `AUTH__TOKENS__*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// Access-token lifetime in seconds (short: a token stays valid this long
    /// after logout or a password change).
    pub access_token_seconds: u64,
    /// Space-separated scopes every user is granted.
    pub default_scopes: String,
}

impl Settings {
    /// Loads from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&shared::settings::process_env())
    }

    /// Loads from the given environment (tests pass their own).
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let settings: Self = shared::settings::load("AUTH", include_str!("defaults.toml"), env)?;
        if settings.tokens.access_token_seconds == 0 {
            return Err(SettingsError::new(
                "AUTH__TOKENS__ACCESS_TOKEN_SECONDS must be more than 0",
            ));
        }
        Ok(settings)
    }
}
