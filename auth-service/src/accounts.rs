//! What the routes do, apart from HTTP: register users, check credentials,
//! issue tokens.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use shared::token::{IssuedToken, TokenSigner};

use crate::domain::{NewPassword, Username, MAX_PASSWORD_BYTES};
use crate::passwords::PasswordHasher;
use crate::store::{InsertUserError, User, UserStore};
use shared::problem::ApiError;

/// The service's state, shared by every worker.
pub struct Accounts {
    /// The users table.
    pub store: Arc<dyn UserStore>,
    /// argon2id, bounded.
    pub hasher: PasswordHasher,
    /// Issues access tokens.
    pub signer: TokenSigner,
    /// Scopes every user is granted, in configured order.
    pub default_scopes: Vec<String>,
}

/// Why a registration was refused.
pub enum RegisterError {
    /// Field errors, by field.
    Invalid(Vec<(&'static str, String)>),
    /// The name is taken (case-insensitively).
    Taken,
    /// A failure below.
    Failed(ApiError),
}

impl From<ApiError> for RegisterError {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

impl Accounts {
    /// Validates, hashes and stores a new user.
    pub async fn register(
        &self,
        username: &str,
        password: SecretString,
    ) -> Result<User, RegisterError> {
        let username_result = Username::parse(username);
        let password_result = NewPassword::parse(password, username);
        let (username, password) = match (username_result, password_result) {
            (Ok(u), Ok(p)) => (u, p),
            (u, p) => {
                let errors = [("username", u.err()), ("password", p.err())]
                    .into_iter()
                    .filter_map(|(field, error)| error.map(|e| (field, e)))
                    .collect();
                return Err(RegisterError::Invalid(errors));
            }
        };
        let password_hash = self
            .hasher
            .hash(password.into_secret())
            .await
            .map_err(ApiError::from)?;
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            username: username.as_str().to_owned(),
            password_hash,
            created_at: shared::db::timestamp(),
        };
        match self.store.insert(&user, username.key()).await {
            Ok(()) => {
                tracing::info!(user_id = %user.id, "user registered");
                Ok(user)
            }
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::Taken),
            Err(InsertUserError::Store(e)) => Err(ApiError::from(e).into()),
        }
    }

    /// The user these credentials belong to, or `None`. An unknown name and a
    /// wrong password cost one argon2 check each and look the same.
    pub async fn check_credentials(
        &self,
        username: &str,
        password: SecretString,
    ) -> Result<Option<User>, ApiError> {
        if password.expose_secret().len() > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        let user = self.store.find_by_key(&Username::key_of(username)).await?;
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        let matches = self.hasher.verify(password, stored_hash).await?;
        if matches {
            Ok(user)
        } else {
            tracing::info!("login refused: bad credentials");
            Ok(None)
        }
    }

    /// An access token for `user` with `scopes` (already checked).
    pub fn issue(&self, user: &User, scopes: &str) -> Result<IssuedToken, ApiError> {
        self.signer
            .issue(&user.id, &user.username, scopes)
            .map_err(|e| ApiError::Unexpected(e.into()))
    }

    /// The default scopes as one space-separated string.
    pub fn default_scope(&self) -> String {
        self.default_scopes.join(" ")
    }

    /// The requested scopes if every one is granted to users; `None` asks for
    /// the defaults.
    pub fn narrow_scope(&self, requested: Option<&str>) -> Result<String, String> {
        let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
            return Ok(self.default_scope());
        };
        let mut granted: Vec<&str> = Vec::new();
        for scope in requested.split_ascii_whitespace() {
            if !self.default_scopes.iter().any(|s| s == scope) {
                return Err(format!("the scope `{scope}` cannot be granted"));
            }
            if !granted.contains(&scope) {
                granted.push(scope);
            }
        }
        Ok(granted.join(" "))
    }
}
