//! Service clients (RFC 6749 2.3.1, 4.4): whom a request's client
//! credentials belong to. An unknown client and a wrong secret cost the
//! same and look the same. Failures are throttled as failed logins are
//! (per client id and per address, across replicas), counted in metrics
//! and audited as `client_auth_failed`. Returns domain errors; `routes`
//! turns them into HTTP.

use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};
use shared::clock::Clock;

use crate::audit::{self, Actor};
use crate::domain::GrantType;
use crate::secret;
use crate::store::{AuthStore, Client};
use crate::throttle::{LoginAttempt, Throttle, ThrottleError};

/// Client authentication, shared by every worker.
pub struct Clients {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// Failed-authentication limits (the login throttle's settings).
    pub throttle: Throttle,
    /// Where "now" comes from.
    pub clock: Clock,
}

impl Clients {
    /// The client these credentials belong to, or `None`; refused while
    /// the client id or the address has too many recent failures, even
    /// with the right secret.
    pub async fn authenticate(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        client_address: &str,
    ) -> Result<Option<Client>, ThrottleError> {
        let store = self.store.as_ref();
        // The id is the caller's text: the throttle and the audit log keep
        // a bounded prefix.
        let shown_id: String = client_id.chars().take(64).collect();
        let attempt = LoginAttempt::client(&shown_id, client_address);
        let now = self.clock.now_ms();
        let failed = |reason: &str| {
            Actor::from_address(client_address)
                .event(audit::CLIENT_AUTH_FAILED, now)
                .client(&shown_id)
                .detail(serde_json::json!({ "reason": reason }))
        };
        if let Err(refused) = self.throttle.check(store, &attempt, now).await {
            if matches!(refused, ThrottleError::Throttled { .. }) {
                store.record(&failed("throttled")).await?;
            }
            return Err(refused);
        }
        let presented = secret::stored_hash(client_secret.expose_secret());
        let client = store
            .find_client(client_id)
            .await?
            .filter(|client| client.secret_hash == presented);
        match &client {
            Some(_) => self.throttle.succeeded(store, &attempt).await?,
            None => {
                let event = failed("bad_credentials");
                self.throttle.failed(store, &attempt, now, &event).await?;
            }
        }
        Ok(client)
    }
}

/// The admin console's client id: a public client of its own server,
/// defined here, not by an administrator.
pub const CONSOLE_CLIENT_ID: &str = "console";

/// The account page's client id, likewise.
pub const ACCOUNT_CLIENT_ID: &str = "account";

/// Whether `client_id` is one of the service's own clients.
pub fn is_builtin(client_id: &str) -> bool {
    [CONSOLE_CLIENT_ID, ACCOUNT_CLIENT_ID].contains(&client_id)
}

/// The service's own clients for the service at `public_url`, each a
/// public client with the code flow back to its page, where it signs out
/// to as well: the console (its users' tokens may carry `auth:admin`, when
/// they hold it) and the account page (a user's own account).
pub fn builtin_clients(public_url: &str, now_ms: i64) -> [Client; 2] {
    let client = |client_id: &str, name: &str, path: &str, scopes: &str| {
        let page = format!("{public_url}/{path}/");
        Client {
            client_id: client_id.to_owned(),
            name: name.to_owned(),
            secret_hash: Vec::new(),
            scopes: scopes.to_owned(),
            created_at: now_ms,
            grant_types: [GrantType::AuthorizationCode, GrantType::RefreshToken]
                .map(GrantType::as_str)
                .join(" "),
            redirect_uris: page.clone(),
            post_logout_redirect_uris: page,
            public: true,
            id_token_signed_response_alg: crate::id_tokens::ES256.to_owned(),
        }
    };
    [
        client(
            CONSOLE_CLIENT_ID,
            "Admin console",
            "admin",
            crate::domain::scope::ADMIN_SCOPE,
        ),
        client(ACCOUNT_CLIENT_ID, "Your account", "account", ""),
    ]
}
