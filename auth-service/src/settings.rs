//! auth-service settings: defaults in `defaults.toml`, then the file named by
//! `AUTH_CONFIG_FILE`, then `AUTH__SECTION__KEY` and `JWT_*` variables.

use std::collections::HashMap;

use serde::Deserialize;
use shared::settings::{
    CorsSettings, DatabaseSettings, JwtSettings, ServerSettings, SettingsError,
};

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
    /// Failed-login throttling.
    pub throttle: ThrottleSettings,
    /// The audit log.
    pub audit: AuditSettings,
    /// Browser origins allowed to call (`AUTH__CORS__ALLOWED_ORIGINS`).
    #[serde(default)]
    pub cors: CorsSettings,
}

/// `AUTH__AUDIT__*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Events older than this many days are deleted.
    pub retention_days: u32,
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
    /// A refresh token unused this long expires.
    pub refresh_idle_seconds: u64,
    /// No refresh token of one login outlives this.
    pub refresh_absolute_seconds: u64,
    /// A spent refresh token presented again within this window yields the
    /// same successor instead of revoking the family; 0 disables.
    pub refresh_reuse_grace_seconds: u64,
    /// How long verifiers may cache the JWK Set (`Cache-Control: max-age`):
    /// in a rotation, the wait between publishing a key and signing with it.
    pub jwks_max_age_seconds: u64,
    /// The refresh token in an HttpOnly cookie, not the JSON body.
    pub refresh_cookie: bool,
}

impl TokenSettings {
    /// `default_scopes` with single spaces.
    pub fn default_scope(&self) -> String {
        self.default_scopes
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `AUTH__THROTTLE__*`: failed logins allowed per fixed window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleSettings {
    /// Window length.
    pub window_seconds: u64,
    /// Failures per account name in one window before logins get 429.
    pub max_failures_per_account: u32,
    /// Failures per client address in one window before logins get 429.
    pub max_failures_per_client: u32,
    /// Proxies in front of the service whose `X-Forwarded-For` is trusted.
    pub trusted_proxy_hops: usize,
}

impl Settings {
    /// Loads from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&shared::settings::process_env())
    }

    /// Loads from the given environment (tests pass their own).
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let settings: Self = shared::settings::load("AUTH", include_str!("defaults.toml"), env)?;
        let positive = [
            (
                "AUTH__TOKENS__ACCESS_TOKEN_SECONDS",
                settings.tokens.access_token_seconds,
            ),
            (
                "AUTH__TOKENS__REFRESH_IDLE_SECONDS",
                settings.tokens.refresh_idle_seconds,
            ),
            (
                "AUTH__TOKENS__REFRESH_ABSOLUTE_SECONDS",
                settings.tokens.refresh_absolute_seconds,
            ),
            (
                "AUTH__THROTTLE__WINDOW_SECONDS",
                settings.throttle.window_seconds,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(SettingsError::new(format!("{name} must be more than 0")));
        }
        let admin = crate::domain::scope::ADMIN_SCOPE;
        if crate::domain::scope::includes(&settings.tokens.default_scopes, admin) {
            return Err(SettingsError::new(format!(
                "AUTH__TOKENS__DEFAULT_SCOPES may not hold `{admin}`: grant it to a user with \
                 `auth-service users grant USERNAME {admin}`"
            )));
        }
        let defaults: Vec<&str> = settings
            .tokens
            .default_scopes
            .split_ascii_whitespace()
            .collect();
        crate::domain::scope::joined(&defaults)
            .map_err(|why| SettingsError::new(format!("AUTH__TOKENS__DEFAULT_SCOPES: {why}")))?;
        Ok(settings)
    }
}
