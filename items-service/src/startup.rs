//! Builds the application: settings in, a bound server out (port 0 in tests).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use shared::auth::Authenticator;
use shared::http::{not_found, path_config, query_config, trace_requests};

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

        let address = (settings.server.host.as_str(), settings.server.port);
        let listener = TcpListener::bind(address)
            .with_context(|| format!("cannot listen on {}:{}", address.0, address.1))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(trace_requests))
                .app_data(store.clone())
                .app_data(authenticator.clone())
                .app_data(path_config())
                .app_data(query_config())
                .configure(crate::routes::configure)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_seconds)
        .client_request_timeout(Duration::from_secs(5));
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
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
