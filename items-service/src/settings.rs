//! items-service settings: defaults in `defaults.toml`, then the file named
//! by `ITEMS_CONFIG_FILE`, then `ITEMS__SECTION__KEY` and `JWT_*` variables.

use std::collections::HashMap;

use serde::Deserialize;
use shared::settings::{
    CorsSettings, DatabaseSettings, JwtSettings, ServerSettings, SettingsError,
};

/// Everything items-service reads at start-up.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener.
    pub server: ServerSettings,
    /// The items database.
    pub database: DatabaseSettings,
    /// Key ring, issuer, audience (only verification: no signing here).
    pub jwt: JwtSettings,
    /// Browser origins allowed to call (`ITEMS__CORS__ALLOWED_ORIGINS`).
    #[serde(default)]
    pub cors: CorsSettings,
}

impl Settings {
    /// Loads from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&shared::settings::process_env())
    }

    /// Loads from the given environment (tests pass their own).
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        shared::settings::load("ITEMS", include_str!("defaults.toml"), env)
    }
}
