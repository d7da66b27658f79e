//! Builds the application: settings in, a bound server out (port 0 in tests).

use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::web;
use shared::auth::Authenticator;

use crate::settings::Settings;
use crate::store::{ItemStore, SqlItemStore};

/// A bound, not yet running items-service.
pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Opens the database, builds the key ring and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let ring = Arc::new(settings.jwt.key_ring()?);
        let verifier = settings.jwt.verifier(ring)?;
        let authenticator = web::Data::new(Authenticator::new(verifier, "items-service"));
        let store = web::Data::from(open_store(&settings).await?);

        let (server, port) = shared::http::bind(&settings.server, move |cfg| {
            cfg.app_data(store.clone())
                .app_data(authenticator.clone())
                .configure(crate::routes::configure);
        })?;
        tracing::info!(
            "items-service listening on http://{}:{port}",
            settings.server.host
        );
        Ok(Self { server, port })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn ItemStore>> {
    let db = shared::db::open(&settings.database, crate::store::MIGRATIONS).await?;
    Ok(Arc::new(SqlItemStore::new(db)))
}
