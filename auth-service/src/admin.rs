//! What an administrator does (the `auth:admin` API): change, disable and
//! delete users, end their sessions, register service clients. Every change
//! is written with its audit event, in one transaction. Returns domain
//! errors; `routes` turns them into HTTP.

use std::sync::Arc;

use secrecy::SecretString;
use shared::clock::Clock;

use crate::audit::{self, Actor};
use crate::domain::scope::{self, ADMIN_SCOPE};
use crate::secret;
use crate::store::{AuthStore, Changed, Client, StoreError, User, UserChange, holds_admin};

/// The administration service, shared by every worker.
pub struct Admin {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// Where "now" comes from.
    pub clock: Clock,
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No user (or client) has this id.
    #[error("{0}")]
    NotFound(&'static str),
    /// It would leave no enabled user holding `auth:admin`.
    #[error(
        "this would leave no enabled user with `auth:admin`: grant it to another user first \
         (or, on the server, `auth-service users grant USERNAME auth:admin`)"
    )]
    LastAdmin,
    /// A field is wrong; which and why.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new client with its secret, shown once.
pub struct NewClient {
    /// As stored.
    pub client: Client,
    /// The secret; only its hash is kept.
    pub secret: SecretString,
}

/// The last-admin rule: no change made through the API may leave no
/// enabled user holding `auth:admin` (the command line can always make one
/// again). The store calls it inside the change's transaction, with the
/// user as read there under a lock and the number of enabled admins then,
/// so two admins demoting each other at once leave one. `after` is the
/// change, `None` for a deletion.
pub fn keeps_an_admin(before: &User, after: Option<&UserChange>, enabled_admins: usize) -> bool {
    let is_admin = |disabled: bool, scopes: Option<&str>| !disabled && holds_admin(scopes);
    let disabled = before.disabled_at.is_some();
    let was = is_admin(disabled, before.scopes.as_deref());
    let will_be = after.is_some_and(|change| {
        is_admin(
            change.disabled.unwrap_or(disabled),
            change.scopes.as_deref().or(before.scopes.as_deref()),
        )
    });
    !was || will_be || enabled_admins > 1
}

fn changed(outcome: Changed) -> Result<(), AdminError> {
    match outcome {
        Changed::Yes => Ok(()),
        Changed::NoSuchUser => Err(AdminError::NotFound("no user has this id")),
        Changed::LastAdmin => Err(AdminError::LastAdmin),
    }
}

impl Admin {
    async fn user(&self, user_id: &str) -> Result<User, AdminError> {
        self.store
            .find_by_id(user_id)
            .await?
            .ok_or(AdminError::NotFound("no user has this id"))
    }

    /// Disables or enables a user and sets their scopes; a disable ends
    /// every session at once. The user after.
    pub async fn change_user(
        &self,
        user_id: &str,
        disabled: Option<bool>,
        scopes: Option<&[String]>,
        actor: &Actor,
    ) -> Result<User, AdminError> {
        let scopes = scopes
            .map(scope::joined)
            .transpose()
            .map_err(|why| AdminError::Invalid("scopes", why))?;
        let before = self.user(user_id).await?;
        let now = self.clock.now_ms();
        let mut events = Vec::new();
        if let Some(disabled) = disabled.filter(|d| *d != before.disabled_at.is_some()) {
            let name = if disabled {
                audit::USER_DISABLED
            } else {
                audit::USER_ENABLED
            };
            events.push(actor.event(name, now).user(user_id));
        }
        if let Some(scopes) = scopes
            .as_ref()
            .filter(|s| before.scopes.as_ref() != Some(s))
        {
            events.push(
                actor
                    .event(audit::SCOPES_CHANGED, now)
                    .user(user_id)
                    .detail(serde_json::json!({"scopes": scopes, "before": before.scopes})),
            );
        }
        let change = UserChange { disabled, scopes };
        let rule = |before: &User, admins| keeps_an_admin(before, Some(&change), admins);
        changed(
            self.store
                .update_user(user_id, &change, now, &events, &rule)
                .await?,
        )?;
        self.user(user_id).await
    }

    /// Deletes a user, their sessions and their password hash.
    pub async fn delete_user(&self, user_id: &str, actor: &Actor) -> Result<(), AdminError> {
        let event = actor
            .event(audit::USER_DELETED, self.clock.now_ms())
            .user(user_id);
        let rule = |before: &User, admins| keeps_an_admin(before, None, admins);
        changed(self.store.delete_user(user_id, &event, &rule).await?)
    }

    /// Ends every session of a user; how many were live.
    pub async fn revoke_sessions(&self, user_id: &str, actor: &Actor) -> Result<u64, AdminError> {
        self.user(user_id).await?;
        let now = self.clock.now_ms();
        let event = actor.event(audit::SESSIONS_REVOKED, now).user(user_id);
        Ok(self.store.revoke_sessions(user_id, now, &event).await?)
    }

    /// Registers a service client; its secret is returned once.
    pub async fn create_client(
        &self,
        name: &str,
        scopes: &[String],
        actor: &Actor,
    ) -> Result<NewClient, AdminError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AdminError::Invalid(
                "name",
                "must be 1 to 100 characters, no control characters".into(),
            ));
        }
        let scopes = scope::joined(scopes).map_err(|why| AdminError::Invalid("scopes", why))?;
        if scope::includes(&scopes, ADMIN_SCOPE) {
            return Err(AdminError::Invalid(
                "scopes",
                format!("`{ADMIN_SCOPE}` is for users; a client cannot hold it"),
            ));
        }
        let client_secret = secret::random(32);
        let client = Client {
            client_id: format!("client_{}", secret::random(12)),
            name: name.to_owned(),
            secret_hash: secret::stored_hash(&client_secret),
            scopes,
            created_at: self.clock.now_ms(),
        };
        let event = actor
            .event(audit::CLIENT_CREATED, client.created_at)
            .client(&client.client_id)
            .detail(serde_json::json!({"name": client.name, "scopes": client.scopes}));
        self.store.insert_client(&client, &event).await?;
        Ok(NewClient {
            client,
            secret: client_secret.into(),
        })
    }

    /// Deletes a client: its tokens stop introspecting active, and it gets
    /// no more.
    pub async fn delete_client(&self, client_id: &str, actor: &Actor) -> Result<(), AdminError> {
        let event = actor
            .event(audit::CLIENT_DELETED, self.clock.now_ms())
            .client(client_id);
        if self.store.delete_client(client_id, &event).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound("no client has this id"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(disabled: bool, scopes: Option<&str>) -> User {
        User {
            id: "u".into(),
            username: "u".into(),
            username_key: "u".into(),
            password_hash: String::new(),
            created_at: String::new(),
            scopes: scopes.map(str::to_owned),
            disabled_at: disabled.then_some(1),
            last_login_at: None,
        }
    }

    #[test]
    fn the_last_enabled_admin_cannot_be_removed_and_others_can() {
        let admin = user(false, Some("items:read auth:admin"));
        let demote = UserChange {
            scopes: Some("items:read".into()),
            ..UserChange::default()
        };
        let disable = UserChange {
            disabled: Some(true),
            ..UserChange::default()
        };
        for change in [Some(&demote), Some(&disable), None] {
            assert!(!keeps_an_admin(&admin, change, 1), "{change:?}");
            assert!(
                keeps_an_admin(&admin, change, 2),
                "another admin: {change:?}"
            );
        }
        let rename = UserChange::default();
        assert!(keeps_an_admin(&admin, Some(&rename), 1), "still an admin");
        let shouting = user(false, Some("AUTH:ADMIN"));
        assert!(keeps_an_admin(&shouting, None, 1), "not an admin at all");
        let disabled = user(true, Some("auth:admin"));
        assert!(
            keeps_an_admin(&disabled, None, 1),
            "a disabled admin counts for none"
        );
    }
}
