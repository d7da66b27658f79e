//! What the routes do, apart from HTTP: register users, check credentials
//! (throttled), issue access tokens. Refresh sessions are in `sessions`.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use shared::problem::ApiError;
use shared::token::{IssuedToken, TokenSigner};

use crate::domain::{NewPassword, Username, MAX_PASSWORD_BYTES};
use crate::passwords::PasswordHasher;
use crate::sessions::SessionLifetimes;
use crate::store::{AuthStore, InsertUserError, User};
use crate::throttle::{LoginAttempt, Throttle};

/// The service's state, shared by every worker.
pub struct Accounts {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// argon2id, bounded.
    pub hasher: PasswordHasher,
    /// Issues access tokens.
    pub signer: TokenSigner,
    /// Scopes every user is granted, space-separated, in configured order.
    pub default_scope: String,
    /// Refresh-token lifetimes.
    pub lifetimes: SessionLifetimes,
    /// Failed-login limits.
    pub throttle: Throttle,
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

/// Milliseconds since the Unix epoch, the store's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
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
        match self.store.insert_user(&user, username.key()).await {
            Ok(()) => {
                tracing::info!(user_id = %user.id, "user registered");
                Ok(user)
            }
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::Taken),
            Err(InsertUserError::Store(e)) => Err(ApiError::from(e).into()),
        }
    }

    /// The user these credentials belong to, or `None`. Throttled (429) per
    /// account and client. An unknown name and a wrong password cost one
    /// argon2 check each and look the same. A hash made with older argon2
    /// parameters is replaced on success.
    pub async fn login(
        &self,
        username: &str,
        password: SecretString,
        client_address: &str,
    ) -> Result<Option<User>, ApiError> {
        let username_key = Username::key_of(username);
        let attempt = LoginAttempt::new(&username_key, client_address);
        self.throttle
            .check(self.store.as_ref(), &attempt, now_ms())
            .await?;
        let user = self
            .check_password(self.store.find_by_key(&username_key).await?, password)
            .await?;
        match &user {
            Some(_) => {
                self.throttle
                    .succeeded(self.store.as_ref(), &attempt)
                    .await?
            }
            None => {
                tracing::info!("login refused: bad credentials");
                self.throttle
                    .failed(self.store.as_ref(), &attempt, now_ms())
                    .await?;
            }
        }
        Ok(user)
    }

    /// `user` if `password` is theirs (a dummy check when there is no user).
    /// A password longer than any we accept is refused without hashing.
    pub(crate) async fn check_password(
        &self,
        user: Option<User>,
        password: SecretString,
    ) -> Result<Option<User>, ApiError> {
        if password.expose_secret().len() > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        let verified = self.hasher.verify(password, stored_hash).await?;
        let Some(user) = user.filter(|_| verified.matches) else {
            return Ok(None);
        };
        if let Some(upgraded) = verified.upgraded_hash {
            self.store.upgrade_hash(&user.id, &upgraded).await?;
            tracing::info!(user_id = %user.id, "password hash upgraded to the configured parameters");
        }
        Ok(Some(user))
    }

    /// An access token for `user` with `scope` (already checked).
    pub fn issue(&self, user: &User, scope: &str) -> Result<IssuedToken, ApiError> {
        self.signer
            .issue(&user.id, &user.username, scope)
            .map_err(|e| ApiError::Unexpected(e.into()))
    }

    /// The requested scopes if each is within `allowed`; `None` or blank
    /// asks for all of `allowed`.
    pub fn narrow_scope(allowed: &str, requested: Option<&str>) -> Result<String, String> {
        let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
            return Ok(allowed.to_owned());
        };
        let mut granted: Vec<&str> = Vec::new();
        for scope in requested.split_ascii_whitespace() {
            if !allowed.split_ascii_whitespace().any(|s| s == scope) {
                return Err(format!("the scope `{scope}` cannot be granted"));
            }
            if !granted.contains(&scope) {
                granted.push(scope);
            }
        }
        Ok(granted.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_narrow_within_what_is_allowed() {
        let allowed = "items:read items:write";
        assert_eq!(
            Accounts::narrow_scope(allowed, None),
            Ok(allowed.to_owned())
        );
        assert_eq!(
            Accounts::narrow_scope(allowed, Some(" ")),
            Ok(allowed.to_owned())
        );
        assert_eq!(
            Accounts::narrow_scope(allowed, Some("items:read items:read")),
            Ok("items:read".to_owned())
        );
        assert!(Accounts::narrow_scope("items:read", Some("items:write")).is_err());
    }
}
