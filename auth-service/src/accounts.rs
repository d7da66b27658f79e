//! Users and their passwords: register, check credentials (throttled),
//! change a password. Returns domain errors; `routes` turns them into HTTP.
//! Imports the store, the hasher and the throttle; never `sessions`.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use shared::clock::Clock;

use crate::audit::{self, Actor};
use crate::domain::{EmailAddress, MAX_PASSWORD_BYTES, NewPassword, Username, scope};
use crate::failure::Failure;
use crate::passwords::{HashError, PasswordHasher};
use crate::store::{AuthStore, Changed, InsertUserError, StoreError, User, UserChange};
use crate::throttle::{LoginAttempt, Throttle, ThrottleError};

/// The accounts service, shared by every worker.
pub struct Accounts {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// argon2id, bounded.
    pub hasher: PasswordHasher,
    /// Failed-login limits.
    pub throttle: Throttle,
    /// Scopes a new user is granted, space-separated, in configured order
    /// (and what users registered before per-user scopes have).
    pub default_scope: String,
    /// Where "now" comes from.
    pub clock: Clock,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Field errors, by field.
    #[error("the registration has invalid fields")]
    Invalid(Vec<(&'static str, String)>),
    /// The name is taken (case-insensitively).
    #[error("the username is taken")]
    Taken,
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Why credentials could not be checked; wrong credentials are not an
/// error but `Ok(None)`.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Too many recent failures for the account or the client.
    #[error("too many failed logins; try again in {retry_after_seconds} seconds")]
    Throttled {
        /// At least 1.
        retry_after_seconds: u64,
    },
    /// The password is right but an administrator disabled the account.
    #[error("the account is disabled; ask an administrator")]
    Disabled,
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] Failure),
}

/// Why scopes could not be granted.
#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// No user has this name.
    #[error("no user is named `{0}`")]
    NoSuchUser(String),
    /// Not a scope name, or too many (`domain::scope`).
    #[error("{0}")]
    BadScope(String),
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] StoreError),
}

/// The user a name given at sign-in belongs to: by its key, then by the
/// key names had before RFC 8265 (`Username::lookup_keys`).
pub(crate) async fn find_by_name(
    store: &dyn AuthStore,
    name: &str,
) -> Result<Option<User>, StoreError> {
    for key in Username::lookup_keys(name) {
        if let Some(user) = store.find_by_key(&key).await? {
            return Ok(Some(user));
        }
    }
    Ok(None)
}

/// Adds `scopes` to what the user named `username` is granted (the command
/// line's `users grant`); the user's scopes after.
pub async fn grant(
    store: &dyn AuthStore,
    defaults: &str,
    username: &str,
    scopes: &[String],
    clock: &Clock,
) -> Result<String, GrantError> {
    let added = scope::joined(scopes).map_err(GrantError::BadScope)?;
    let user = find_by_name(store, username)
        .await?
        .ok_or_else(|| GrantError::NoSuchUser(username.to_owned()))?;
    let held = user.granted(defaults).split_ascii_whitespace();
    let all: Vec<&str> = held.chain(added.split_ascii_whitespace()).collect();
    let all = scope::joined(&all).map_err(GrantError::BadScope)?;
    let now = clock.now_ms();
    let change = UserChange {
        scopes: Some(all.clone()),
        ..UserChange::default()
    };
    let event = Actor::default()
        .event(audit::SCOPES_CHANGED, now)
        .user(&user.id)
        .detail(serde_json::json!({"scopes": all, "by": "command line"}));
    // Adding scopes never removes an admin.
    let rule = |_: &User, _| true;
    match store
        .update_user(&user.id, &change, now, &[event], &rule)
        .await?
    {
        Changed::Yes => Ok(all),
        // Deleted meanwhile; adding scopes never removes the last admin.
        Changed::NoSuchUser | Changed::LastAdmin => {
            Err(GrantError::NoSuchUser(username.to_owned()))
        }
    }
}

/// Why a password change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    /// The user was deleted since the token was issued.
    #[error("the user no longer exists")]
    NoSuchUser,
    /// The current password does not match.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The new password is weak; why.
    #[error("the new password is weak: {0}")]
    WeakPassword(String),
    /// As for a login.
    #[error(transparent)]
    Login(#[from] LoginError),
}

impl From<ThrottleError> for LoginError {
    fn from(error: ThrottleError) -> Self {
        match error {
            ThrottleError::Throttled {
                retry_after_seconds,
            } => Self::Throttled {
                retry_after_seconds,
            },
            ThrottleError::Store(e) => Self::Failed(e.into()),
        }
    }
}

impl From<StoreError> for ChangePasswordError {
    fn from(error: StoreError) -> Self {
        Self::Login(LoginError::Failed(error.into()))
    }
}

impl From<HashError> for ChangePasswordError {
    fn from(error: HashError) -> Self {
        Self::Login(LoginError::Failed(error.into()))
    }
}

impl Accounts {
    /// Validates, hashes and stores a new user, with an unverified email
    /// address when one is given.
    pub async fn register(
        &self,
        username: &str,
        password: SecretString,
        email: Option<&str>,
        client_address: &str,
    ) -> Result<User, RegisterError> {
        let username_result = Username::parse(username);
        let password_result = NewPassword::parse(password, username);
        let email_result = email.map(EmailAddress::parse).transpose();
        let (username, password, email) = match (username_result, password_result, email_result) {
            (Ok(u), Ok(p), Ok(e)) => (u, p, e),
            (u, p, e) => {
                let errors = [
                    ("username", u.err()),
                    ("password", p.err()),
                    ("email", e.err()),
                ]
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
            .map_err(Failure::from)?;
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            username: username.as_str().to_owned(),
            username_key: username.key().to_owned(),
            password_hash,
            created_at: shared::db::timestamp(self.clock.now_ms()),
            scopes: Some(self.default_scope.clone()),
            disabled_at: None,
            last_login_at: None,
            email: email.map(|e| e.as_str().to_owned()),
            email_verified_at: None,
        };
        let event = Actor::from_address(client_address)
            .event(audit::USER_REGISTERED, self.clock.now_ms())
            .user(&user.id);
        match self.store.insert_user(&user, &event).await {
            Ok(()) => Ok(user),
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::Taken),
            Err(InsertUserError::Store(e)) => Err(Failure::from(e).into()),
        }
    }

    /// The user these credentials belong to, or `None`. Throttled per
    /// account and client. An unknown name and a wrong password cost one
    /// argon2 check each and look the same (a disabled user's too); only the
    /// right password of a disabled user is told `Disabled`. A hash made with
    /// older argon2 parameters is replaced on success.
    pub async fn login(
        &self,
        username: &str,
        password: SecretString,
        client_address: &str,
    ) -> Result<Option<User>, LoginError> {
        let attempt = LoginAttempt::new(&Username::key_of(username), client_address);
        let found = find_by_name(self.store.as_ref(), username).await;
        let actor = Actor::from_address(client_address);
        let user = self
            .checked(&attempt, &actor, found.map_err(Failure::from)?, password)
            .await?;
        match user {
            Some(user) if user.disabled_at.is_some() => {
                let event = actor
                    .event(audit::LOGIN_FAILED, self.clock.now_ms())
                    .user(&user.id)
                    .detail(serde_json::json!({"reason": "disabled"}));
                self.store.record(&event).await.map_err(Failure::from)?;
                Err(LoginError::Disabled)
            }
            user => Ok(user),
        }
    }

    /// The scopes `user` is granted.
    pub fn granted<'a>(&'a self, user: &'a User) -> &'a str {
        user.granted(&self.default_scope)
    }

    /// Changes the caller's password after checking the current one (as a
    /// login is checked and throttled); every refresh family of the user is
    /// revoked with it.
    pub async fn change_password(
        &self,
        user_id: &str,
        current: SecretString,
        new: SecretString,
        client_address: &str,
    ) -> Result<(), ChangePasswordError> {
        let user = self
            .store
            .find_by_id(user_id)
            .await?
            .ok_or(ChangePasswordError::NoSuchUser)?;
        let username = user.username.clone();
        let attempt = LoginAttempt::new(&user.username_key, client_address);
        let actor = Actor::from_address(client_address);
        if self
            .checked(&attempt, &actor, Some(user), current)
            .await?
            .is_none()
        {
            return Err(ChangePasswordError::WrongPassword);
        }
        let new = NewPassword::parse(new, &username).map_err(ChangePasswordError::WeakPassword)?;
        let hash = self.hasher.hash(new.into_secret()).await?;
        let now = self.clock.now_ms();
        let event = actor.event(audit::PASSWORD_CHANGED, now).user(user_id);
        self.store
            .change_password(user_id, &hash, now, &event)
            .await?;
        Ok(())
    }

    /// `user` if `password` is theirs, with the throttle consulted before
    /// and told after.
    async fn checked(
        &self,
        attempt: &LoginAttempt,
        actor: &Actor,
        user: Option<User>,
        password: SecretString,
    ) -> Result<Option<User>, LoginError> {
        let store = self.store.as_ref();
        let user_id = user.as_ref().map(|u| u.id.clone());
        let event = |name| {
            let event = actor.event(name, self.clock.now_ms());
            match &user_id {
                Some(id) => event.user(id),
                None => event,
            }
        };
        if let Err(throttled) = self
            .throttle
            .check(store, attempt, self.clock.now_ms())
            .await
        {
            if matches!(throttled, ThrottleError::Throttled { .. }) {
                store
                    .record(&event(audit::LOGIN_THROTTLED))
                    .await
                    .map_err(Failure::from)?;
            }
            return Err(throttled.into());
        }
        let user = self.check_password(user, password).await?;
        match &user {
            Some(_) => self.throttle.succeeded(store, attempt).await,
            None => {
                let failed = event(audit::LOGIN_FAILED)
                    .detail(serde_json::json!({"reason": "bad_credentials"}));
                self.throttle
                    .failed(store, attempt, self.clock.now_ms(), &failed)
                    .await
            }
        }
        .map_err(Failure::from)?;
        Ok(user)
    }

    /// `user` if `password` is theirs (a dummy check when there is no user).
    /// A password longer than any we accept is refused without hashing.
    async fn check_password(
        &self,
        user: Option<User>,
        password: SecretString,
    ) -> Result<Option<User>, Failure> {
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
}
