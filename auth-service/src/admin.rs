//! What an administrator does (the `auth:admin` API): change, disable and
//! delete users, end their sessions, register service clients. Every change
//! is written with its audit event, in one transaction. Returns domain
//! errors; `routes` turns them into HTTP.

use std::sync::Arc;

use secrecy::SecretString;
use shared::clock::Clock;

use crate::audit::{self, Actor};
use crate::domain::scope::{self, ADMIN_SCOPE};
use crate::domain::{GrantType, redirect_uri};
use crate::secret;
use crate::store::{
    AuthStore, Changed, Client, ClientChange, StoreError, User, UserChange, holds_admin,
};

/// The administration service, shared by every worker.
pub struct Admin {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// The algorithms ID tokens may be signed with here.
    pub id_token_algorithms: &'static [&'static str],
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
    /// The console's and the account page's clients are the service's own.
    #[error(
        "this client is built in (the console's or the account page's): it follows \
         AUTH__SERVER__PUBLIC_URL and is not changed or deleted here"
    )]
    BuiltIn,
    /// A field is wrong; which and why.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client as stored, with its new secret, shown once (a confidential
/// client's registration, or a public client made confidential).
pub struct NewClient {
    /// As stored.
    pub client: Client,
    /// The secret; only its hash is kept.
    pub secret: Option<SecretString>,
}

/// What an administrator sets on a client; `None` keeps (or, at
/// registration, defaults) a field.
#[derive(Debug, Default)]
pub struct ClientFields<'a> {
    /// For people: 1 to 100 characters, no control characters.
    pub name: Option<&'a str>,
    /// The scopes its tokens may carry (not `auth:admin`).
    pub scopes: Option<&'a [String]>,
    /// The grants it may use (default `client_credentials`).
    pub grant_types: Option<&'a [String]>,
    /// Where the code flow may send the browser back.
    pub redirect_uris: Option<&'a [String]>,
    /// Where end-session may send the browser.
    pub post_logout_redirect_uris: Option<&'a [String]>,
    /// No secret (default false).
    pub public: Option<bool>,
    /// `ES256` (default) or `RS256`.
    pub id_token_signed_response_alg: Option<&'a str>,
}

impl ClientFields<'_> {
    /// Sets these fields on `client`, then checks the whole of it;
    /// `id_token_algorithms` are those this server signs with.
    fn apply_to(
        &self,
        client: &mut Client,
        id_token_algorithms: &[&str],
    ) -> Result<(), AdminError> {
        if let Some(name) = self.name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(AdminError::Invalid(
                    "name",
                    "must be 1 to 100 characters, no control characters".into(),
                ));
            }
            name.clone_into(&mut client.name);
        }
        if let Some(scopes) = self.scopes {
            let scopes = scope::joined(scopes).map_err(|why| AdminError::Invalid("scopes", why))?;
            if scope::includes(&scopes, ADMIN_SCOPE) {
                return Err(AdminError::Invalid(
                    "scopes",
                    format!("`{ADMIN_SCOPE}` is for users; a client cannot hold it"),
                ));
            }
            client.scopes = scopes;
        }
        if let Some(grants) = self.grant_types {
            client.grant_types = grant_types(grants)?;
        }
        for (field, given, stored) in [
            (
                "redirect_uris",
                self.redirect_uris,
                &mut client.redirect_uris,
            ),
            (
                "post_logout_redirect_uris",
                self.post_logout_redirect_uris,
                &mut client.post_logout_redirect_uris,
            ),
        ] {
            if let Some(uris) = given {
                redirect_uri::check_all(uris).map_err(|why| AdminError::Invalid(field, why))?;
                *stored = uris.join(" ");
            }
        }
        if let Some(public) = self.public {
            client.public = public;
        }
        if let Some(algorithm) = self.id_token_signed_response_alg {
            if !id_token_algorithms.contains(&algorithm) {
                let why = match algorithm == crate::id_tokens::RS256 {
                    true => "RS256 needs the server's RSA key (AUTH__OIDC__RS256_KEY_FILE)".into(),
                    false => format!(
                        "`{}` is not one of {}",
                        algorithm.chars().take(20).collect::<String>(),
                        id_token_algorithms.join(", ")
                    ),
                };
                return Err(AdminError::Invalid("id_token_signed_response_alg", why));
            }
            algorithm.clone_into(&mut client.id_token_signed_response_alg);
        }
        let allows = |grant: GrantType| client.allows(grant);
        if allows(GrantType::AuthorizationCode) && client.redirect_uris.is_empty() {
            return Err(AdminError::Invalid(
                "redirect_uris",
                "the authorization_code grant needs at least one redirect URI".into(),
            ));
        }
        if client.public && allows(GrantType::ClientCredentials) {
            return Err(AdminError::Invalid(
                "grant_types",
                "a public client has no secret: it cannot use client_credentials".into(),
            ));
        }
        Ok(())
    }
}

fn refuse_builtin(client_id: &str) -> Result<(), AdminError> {
    match crate::clients::is_builtin(client_id) {
        true => Err(AdminError::BuiltIn),
        false => Ok(()),
    }
}

/// Grant type names, checked and joined; at least one, each known.
fn grant_types(names: &[String]) -> Result<String, AdminError> {
    let invalid = |why: String| AdminError::Invalid("grant_types", why);
    if names.is_empty() {
        return Err(invalid("name at least one grant type".into()));
    }
    let mut joined: Vec<&str> = Vec::new();
    for name in names {
        let grant = GrantType::parse(name).ok_or_else(|| {
            invalid(format!(
                "`{}` is not one of {}",
                name.chars().take(40).collect::<String>(),
                GrantType::ALL.map(GrantType::as_str).join(", ")
            ))
        })?;
        if !joined.contains(&grant.as_str()) {
            joined.push(grant.as_str());
        }
    }
    Ok(joined.join(" "))
}

/// What the audit log keeps of a client: no secret, no hash.
fn client_detail(client: &Client) -> serde_json::Value {
    serde_json::json!({
        "name": client.name,
        "scopes": client.scopes,
        "grant_types": client.grant_types,
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "public": client.public,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
    })
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

    /// Registers a client; a confidential one's secret is returned once.
    pub async fn create_client(
        &self,
        fields: &ClientFields<'_>,
        actor: &Actor,
    ) -> Result<NewClient, AdminError> {
        let mut client = Client {
            client_id: format!("client_{}", secret::random(12)),
            grant_types: GrantType::ClientCredentials.as_str().to_owned(),
            created_at: self.clock.now_ms(),
            id_token_signed_response_alg: crate::id_tokens::ES256.to_owned(),
            ..Client::default()
        };
        fields.apply_to(&mut client, self.id_token_algorithms)?;
        let secret = (!client.public).then(|| secret::random(32));
        client.secret_hash = secret
            .as_deref()
            .map(secret::stored_hash)
            .unwrap_or_default();
        let event = actor
            .event(audit::CLIENT_CREATED, client.created_at)
            .client(&client.client_id)
            .detail(client_detail(&client));
        self.store.insert_client(&client, &event).await?;
        Ok(NewClient {
            client,
            secret: secret.map(SecretString::from),
        })
    }

    /// Changes a client. One made confidential gets a secret, returned
    /// once; one made public loses its secret.
    pub async fn change_client(
        &self,
        client_id: &str,
        fields: &ClientFields<'_>,
        actor: &Actor,
    ) -> Result<NewClient, AdminError> {
        refuse_builtin(client_id)?;
        let before = self
            .store
            .find_client(client_id)
            .await?
            .ok_or(AdminError::NotFound("no client has this id"))?;
        let mut client = before.clone();
        fields.apply_to(&mut client, self.id_token_algorithms)?;
        let secret = (before.public && !client.public).then(|| secret::random(32));
        if client.public != before.public {
            client.secret_hash = secret
                .as_deref()
                .map(secret::stored_hash)
                .unwrap_or_default();
        }
        let changed = |after: &String, before: &String| (after != before).then(|| after.clone());
        let change = ClientChange {
            name: changed(&client.name, &before.name),
            scopes: changed(&client.scopes, &before.scopes),
            grant_types: changed(&client.grant_types, &before.grant_types),
            redirect_uris: changed(&client.redirect_uris, &before.redirect_uris),
            post_logout_redirect_uris: changed(
                &client.post_logout_redirect_uris,
                &before.post_logout_redirect_uris,
            ),
            public: (client.public != before.public).then_some(client.public),
            secret_hash: (client.public != before.public).then(|| client.secret_hash.clone()),
            id_token_signed_response_alg: changed(
                &client.id_token_signed_response_alg,
                &before.id_token_signed_response_alg,
            ),
        };
        let event = actor
            .event(audit::CLIENT_CHANGED, self.clock.now_ms())
            .client(client_id)
            .detail(client_detail(&client));
        if !self.store.update_client(client_id, &change, &event).await? {
            return Err(AdminError::NotFound("no client has this id"));
        }
        Ok(NewClient {
            client,
            secret: secret.map(SecretString::from),
        })
    }

    /// Deletes a client: its tokens stop introspecting active, and it gets
    /// no more.
    pub async fn delete_client(&self, client_id: &str, actor: &Actor) -> Result<(), AdminError> {
        refuse_builtin(client_id)?;
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
            email: None,
            email_verified_at: None,
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
