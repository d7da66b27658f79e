//! Builds the application: settings in, a bound server out (port 0 in tests).

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use shared::auth::Authenticator;
use shared::http::{BoundServer, ReadyCheck};
use shared::token::TokenSigner;

use crate::accounts::now_ms;
use crate::accounts::Accounts;
use crate::passwords::PasswordHasher;
use crate::sessions::SessionLifetimes;
use crate::settings::Settings;
use crate::store::{AuthStore, SqlAuthStore};
use crate::throttle::Throttle;

/// Builds the service.
pub struct Application;

impl Application {
    /// Opens the database, builds the key ring and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<BoundServer> {
        crate::metrics::init();
        let ring = Arc::new(settings.jwt.key_ring()?);
        if ring.active_kid().is_none() {
            anyhow::bail!(
                "auth-service signs tokens: with JWT_ALGORITHM=EdDSA set JWT_PRIVATE_KEY_FILE"
            );
        }
        let verifier = settings.jwt.verifier(ring.clone())?;
        let signer = TokenSigner::new(
            ring,
            settings.jwt.issuer.clone(),
            settings.jwt.audiences(),
            settings.tokens.access_token_seconds,
        );
        let db = shared::db::open(&settings.database, crate::store::MIGRATIONS).await?;
        let accounts = web::Data::new(Accounts {
            store: Arc::new(SqlAuthStore::new(db.clone())),
            hasher: PasswordHasher::new(&settings.passwords)?,
            signer,
            default_scope: settings
                .tokens
                .default_scopes
                .split_ascii_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            lifetimes: SessionLifetimes::from_settings(&settings.tokens),
            throttle: Throttle::new(settings.throttle.clone()),
        });
        spawn_janitor(accounts.store.clone());
        let authenticator = web::Data::new(Authenticator::new(verifier, "auth-service"));
        let ready_check: Arc<dyn ReadyCheck> = Arc::new(db.clone());
        let ready_check = web::Data::from(ready_check);
        let server = shared::http::bind("auth-service", &settings.server, move |cfg| {
            cfg.app_data(accounts.clone())
                .app_data(ready_check.clone())
                .app_data(authenticator.clone())
                .configure(crate::routes::configure);
        })?;
        Ok(server.on_stop(async move { db.close().await }))
    }
}

/// Deletes ended refresh families and throttle windows every ten minutes.
fn spawn_janitor(store: Arc<dyn AuthStore>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(error) = store.purge_expired(now_ms()).await {
                tracing::warn!(error = %format!("{:#}", error.0), "purging expired sessions failed");
            }
        }
    });
}
