//! Builds the application: settings and a clock in, a bound server out
//! (port 0 in tests).

use std::sync::Arc;

use actix_web::web;
use shared::auth::Authenticator;
use shared::clock::Clock;
use shared::http::BoundServer;
use shared::operations::ReadyCheck;

use crate::settings::Settings;
use crate::store::{ItemStore, SqlItemStore};

/// Builds the service.
pub struct Application;

impl Application {
    /// Opens the database, builds the key ring and binds the listener;
    /// token expiry and item timestamps read `clock`.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<BoundServer> {
        let ring = Arc::new(settings.jwt.key_ring()?);
        let verifier = settings.jwt.verifier(ring)?.with_clock(clock.clone());
        let authenticator = web::Data::new(Authenticator::new(verifier, "items-service"));
        let db = shared::db::open(&settings.database, crate::store::MIGRATIONS).await?;
        let store: Arc<dyn ItemStore> = Arc::new(SqlItemStore::new(db.clone()));
        let store = web::Data::from(store);
        let clock = web::Data::new(clock);

        let ready_check: Arc<dyn ReadyCheck> = Arc::new(db.clone());
        let ready_check = web::Data::from(ready_check);
        let server = shared::http::bind("items-service", &settings.server, move |cfg| {
            cfg.app_data(store.clone())
                .app_data(clock.clone())
                .app_data(ready_check.clone())
                .app_data(authenticator.clone())
                .configure(crate::routes::configure);
        })?;
        Ok(server.on_stop(async move { db.close().await }))
    }
}
