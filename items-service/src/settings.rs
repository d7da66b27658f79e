//! items-service settings: defaults in `defaults.toml`, then the file named
//! by `ITEMS_CONFIG_FILE`, then `ITEMS__SECTION__KEY` and `JWT_*` variables.

use std::collections::HashMap;

use serde::Deserialize;
use shared::auth::{RequiredScope as _, StepUp, StepUpPolicy};
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
    /// What writes need of how the user signed in (`ITEMS__AUTH__*`).
    pub auth: AuthSettings,
}

/// `ITEMS__AUTH__*`: step-up for writes (RFC 9470).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The `acr` a write needs (e.g. `aal2`: a second factor); empty: any.
    pub write_acr: String,
    /// How recent, in seconds, the sign-in of a write must be; 0: any.
    pub write_max_age: u64,
}

impl AuthSettings {
    /// The step-up policy: `items:write` needs what the settings say.
    pub fn step_up_policy(&self) -> StepUpPolicy {
        StepUpPolicy::default().require(
            crate::routes::ItemsWrite::SCOPE,
            StepUp::from_settings(&self.write_acr, self.write_max_age),
        )
    }
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
