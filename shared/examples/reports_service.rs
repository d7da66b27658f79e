//! Another team's actix-web service that trusts auth-service's tokens with
//! `shared` and a few lines: `GET /reports` needs the scope `reports:read`.
//! Nothing here calls auth-service; the token is checked locally.
//!
//! auth-service must address tokens to this service and grant the scope:
//!
//! ```text
//! JWT_AUDIENCE=items-service,reports-service \
//! AUTH__TOKENS__DEFAULT_SCOPES="items:read items:write reports:read" \
//! JWT_SECRET=... cargo run -p auth-service
//! ```
//!
//! Then, with the same key settings (any `JWT_*` variable works here too):
//!
//! ```text
//! JWT_SECRET=... cargo run -p shared --example reports_service
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8083/reports
//! ```
//!
//! A missing, expired or forged token gets 401 with an RFC 6750 challenge, a
//! token without `reports:read` 403, both as RFC 9457 problem details.
//!
//! What it takes from `shared`: the default features (the token and the
//! extractors) and `settings` (the `JWT_*` loader); in its own manifest,
//! `shared = { version = "...", features = ["settings"] }`. No database
//! driver, metrics registry or logging subscriber comes with them.

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Deserialize;
use shared::auth::{Authenticator, Authorized, RequiredScope};
use shared::settings::{JwtSettings, load, process_env};

/// The scope `GET /reports` requires.
struct ReportsRead;

impl RequiredScope for ReportsRead {
    const SCOPE: &'static str = "reports:read";
}

async fn reports(caller: Authorized<ReportsRead>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "user": caller.username(),
        "reports": [],
    }))
}

#[derive(Deserialize)]
struct Settings {
    jwt: JwtSettings,
}

/// Who issues the tokens and this service's audience, unless `JWT_ISSUER`
/// and `JWT_AUDIENCE` say otherwise.
const DEFAULTS: &str = "[jwt]\nissuer = \"auth-service\"\naudience = \"reports-service\"\n";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = load("REPORTS", DEFAULTS, &process_env())?;
    let verifier = settings
        .jwt
        .verifier(settings.jwt.start_keys(&shared::clock::Clock::system())?)?;
    let authenticator = web::Data::new(Authenticator::new(verifier, "reports-service"));

    println!("reports-service listening on http://127.0.0.1:8083");
    HttpServer::new(move || {
        App::new()
            .app_data(authenticator.clone())
            .route("/reports", web::get().to(reports))
    })
    .bind(("127.0.0.1", 8083))?
    .run()
    .await?;
    Ok(())
}
