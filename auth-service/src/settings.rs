//! auth-service settings: defaults in `defaults.toml`, then the file named by
//! `AUTH_CONFIG_FILE`, then `AUTH__SECTION__KEY` and `JWT_*` variables.

use std::collections::HashMap;
use std::path::PathBuf;

use secrecy::ExposeSecret as _;
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
    /// Sign-in for apps (`AUTH__OAUTH__*`).
    pub oauth: OAuthSettings,
    /// OpenID Connect (`AUTH__OIDC__*`).
    #[serde(default)]
    pub oidc: OidcSettings,
    /// Second factors (`AUTH__MFA__*`).
    pub mfa: MfaSettings,
    /// Account recovery mail (`AUTH__MAIL__*`).
    pub mail: MailSettings,
    /// Browser origins allowed to call (`AUTH__CORS__ALLOWED_ORIGINS`).
    #[serde(default)]
    pub cors: CorsSettings,
}

/// `AUTH__OAUTH__*`: the code flow and the password entry points.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSettings {
    /// `grant_type=password` and the Flask `/auth` login; `false` turns
    /// them off (RFC 9700 2.4), leaving the sign-in page.
    pub password_grant: bool,
    /// How long a browser stays signed in to the sign-in page.
    pub browser_session_seconds: u64,
}

/// `AUTH__OIDC__*`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The PKCS#8 P-256 key that signs ID tokens when `JWT_ALGORITHM` is
    /// not ES256 (under ES256 the access tokens' key signs them); unset,
    /// `id-token.pem` beside the SQLite file (or in `data/`), made at first
    /// start.
    pub id_token_key_file: Option<PathBuf>,
    /// Every ES256 ID token key relying parties may see (SPKI PEM), which
    /// the `keys` steps rotate; unset, only `id_token_key_file`'s own.
    pub id_token_public_key_file: Option<PathBuf>,
    /// The PKCS#8 RSA key that signs RS256 ID tokens, for clients
    /// registered with `id_token_signed_response_alg: "RS256"`; unset, no
    /// RS256. Set with `rs256_public_key_file`.
    pub rs256_key_file: Option<PathBuf>,
    /// Every RS256 public key relying parties may see (SPKI PEM).
    pub rs256_public_key_file: Option<PathBuf>,
}

/// Where a key file of this service is ([`Settings::id_token_key_file`],
/// [`Settings::mfa_key_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFile {
    /// Set by its setting.
    Set(PathBuf),
    /// Unset: beside the SQLite file.
    BesideTheDatabase(PathBuf),
    /// Unset, and the database is PostgreSQL: in `data/`, which replicas
    /// would each make for themselves.
    InTheDataFolder(PathBuf),
}

impl KeyFile {
    /// The file.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Set(path) | Self::BesideTheDatabase(path) | Self::InTheDataFolder(path) => path,
        }
    }
}

impl Settings {
    /// Where the ID token key is.
    pub fn id_token_key_file(&self) -> KeyFile {
        self.key_file(self.oidc.id_token_key_file.as_ref(), "id-token.pem")
    }

    /// Where the key that seals second factors is.
    pub fn mfa_key_file(&self) -> KeyFile {
        self.key_file(self.mfa.key_file.as_ref(), "mfa.key")
    }

    /// `set`, else `name` beside the SQLite file or in `data/`.
    fn key_file(&self, set: Option<&PathBuf>, name: &str) -> KeyFile {
        if let Some(path) = set {
            return KeyFile::Set(path.clone());
        }
        let folder = shared::db::sqlite_file(self.database.url.expose_secret()).map(|file| {
            file.parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default()
        });
        match folder {
            Some(folder) => KeyFile::BesideTheDatabase(folder.join(name)),
            None => KeyFile::InTheDataFolder(PathBuf::from("data").join(name)),
        }
    }
}

/// `AUTH__MFA__*`: second factors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaSettings {
    /// The key file that seals TOTP secrets and keys recovery codes (lines
    /// of 32 base64 bytes, the first sealing); unset, `mfa.key` beside the
    /// SQLite file (or in `data/`), made at first start.
    pub key_file: Option<PathBuf>,
    /// Scopes granted only in a session signed in with a second factor,
    /// space- or comma-separated (e.g. `auth:admin`).
    pub required_scopes: String,
    /// The name authenticator apps show the account under.
    pub issuer: String,
}

impl MfaSettings {
    /// The required scopes, space-separated.
    pub fn required_scopes(&self) -> String {
        self.required_scopes
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `AUTH__MAIL__*`: the SMTP server that carries address verification and
/// password reset links. Off while `smtp_url` is unset or empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://[user:password@]host[:port]` (STARTTLS where the server
    /// offers it; `?tls=required` insists), or `smtps://...` (TLS from the
    /// start). A password in it stays out of every log line.
    pub smtp_url: Option<secrecy::SecretString>,
    /// The `From` of every mail: `auth@example.com` or
    /// `Example <auth@example.com>`.
    pub from: Option<String>,
    /// Tries after a failed send, waiting 1, 2, 4, ... seconds.
    pub retries: u32,
    /// Seconds one SMTP conversation may take.
    pub timeout_seconds: u64,
}

impl MailSettings {
    /// The SMTP URL, when mail is on.
    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp_url
            .as_ref()
            .map(|url| url.expose_secret().trim())
            .filter(|url| !url.is_empty())
    }
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

/// Where the admin socket is, and who chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSocket {
    /// `AUTH__SERVER__ADMIN_SOCKET`: the service does not start without it.
    Set(PathBuf),
    /// Unset: beside the SQLite database, named after its file
    /// (`data/auth.db`: `data/auth.sock`), so that `auth-service users ...`
    /// run with the service's own settings finds the service holding the
    /// file. Another process serving the file (`?vfs=unix`) may hold it
    /// already; then the service runs without one.
    BesideTheDatabase(PathBuf),
    /// Set empty, or PostgreSQL (where the command writes to the database
    /// itself).
    Off,
}

impl Settings {
    /// The admin socket these settings give.
    pub fn admin_socket(&self) -> AdminSocket {
        admin_socket(
            self.server.admin_socket.clone(),
            self.database.url.expose_secret(),
        )
    }
}

fn admin_socket(set: Option<PathBuf>, database_url: &str) -> AdminSocket {
    match set {
        Some(path) if path.as_os_str().is_empty() => AdminSocket::Off,
        Some(path) => AdminSocket::Set(path),
        // Never the database itself (a file named `*.sock`): a stale
        // socket file is removed at start.
        None => shared::db::sqlite_file(database_url)
            .map(|file| (file.with_extension("sock"), file))
            .filter(|(socket, file)| socket != file)
            .map_or(AdminSocket::Off, |(socket, _)| {
                AdminSocket::BesideTheDatabase(socket)
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::{AdminSocket, admin_socket};
    use std::path::PathBuf;

    #[test]
    fn the_admin_socket_is_beside_a_sqlite_file_unless_set() {
        let sqlite = "sqlite://data/auth.db";
        let beside = |path: &str| AdminSocket::BesideTheDatabase(PathBuf::from(path));
        assert_eq!(admin_socket(None, sqlite), beside("data/auth.sock"));
        assert_eq!(
            admin_socket(None, "sqlite:///d/auth.db?vfs=unix"),
            beside("/d/auth.sock")
        );
        assert_eq!(admin_socket(None, "postgres://db/auth"), AdminSocket::Off);
        assert_eq!(admin_socket(None, "sqlite::memory:"), AdminSocket::Off);
        let odd = admin_socket(None, "sqlite://data/odd.sock");
        assert_eq!(odd, AdminSocket::Off, "never the database");
        let empty = admin_socket(Some(PathBuf::new()), sqlite);
        assert_eq!(empty, AdminSocket::Off, "empty turns it off");
        let set = PathBuf::from("/run/auth/admin.sock");
        assert_eq!(
            admin_socket(Some(set.clone()), sqlite),
            AdminSocket::Set(set)
        );
    }
}
