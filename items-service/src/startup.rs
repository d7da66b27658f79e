//! Builds the application: settings and a clock in, a bound server out
//! (port 0 in tests).

use std::sync::Arc;

use actix_web::web;
use shared::auth::Authenticator;
use shared::clock::Clock;
use shared::http::BoundServer;
use shared::operations::ReadyCheck;

use crate::routes::ResourceMetadata;
use crate::settings::Settings;
use crate::store::{ItemStore, SqlItemStore};

/// Builds the service.
pub struct Application;

impl Application {
    /// Opens the database, loads the keys and binds the listener;
    /// token expiry and item timestamps read `clock`.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<BoundServer> {
        let cors = shared::cors::Cors::parse(&settings.cors.allowed_origins)?;
        let keys = settings.jwt.start_keys(&clock)?;
        shared::metrics::watch_keys(keys.clone());
        let verifier = settings
            .jwt
            .verifier(keys.clone())?
            .with_clock(clock.clone());
        let public_url = settings.server.public_url()?;
        let metadata = ResourceMetadata::new(&public_url, &settings.jwt.issuer);
        let metadata = web::Data::new(metadata);
        let authenticator = Authenticator::new(verifier, "items-service")
            .with_resource_metadata(format!("{public_url}{}", crate::routes::METADATA_PATH));
        let authenticator = web::Data::new(authenticator);
        // Unset, no policy at all: reads and writes look nothing up.
        let step_up = Some(settings.auth.step_up_policy())
            .filter(|policy| !policy.is_empty())
            .map(web::Data::new);
        let db = shared::db::open(&settings.database, crate::store::MIGRATIONS).await?;
        let store: Arc<dyn ItemStore> = Arc::new(SqlItemStore::new(db.clone()));
        let store = web::Data::from(store);
        let clock = web::Data::new(clock);

        let ready_check: Arc<dyn ReadyCheck> = Arc::new((keys, db.clone()));
        let ready_check = web::Data::from(ready_check);
        let routes = crate::routes::routes();
        let server = shared::http::bind("items-service", &settings.server, &cors, move |cfg| {
            if let Some(step_up) = &step_up {
                cfg.app_data(step_up.clone());
            }
            cfg.app_data(store.clone())
                .app_data(clock.clone())
                .app_data(ready_check.clone())
                .app_data(authenticator.clone())
                .app_data(metadata.clone())
                .configure(routes.clone());
        })?;
        Ok(server.on_stop(async move { db.close().await }))
    }
}
