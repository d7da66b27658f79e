//! Builds the application: settings and a clock in, a bound server out
//! (port 0 in tests).

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use shared::auth::Authenticator;
use shared::clock::Clock;
use shared::http::BoundServer;
use shared::operations::ReadyCheck;
use shared::settings::KeySource;
use shared::token::{Keys, TokenSigner};

use crate::accounts::Accounts;
use crate::admin::Admin;
use crate::authorization::Authorizations;
use crate::clients::Clients;
use crate::id_tokens::rs256::Rs256Keys;
use crate::id_tokens::{self, IdTokens};
use crate::mfa::Mfa;
use crate::mfa::sealed::SealingKeys;
use crate::passwords::PasswordHasher;
use crate::recovery::Recovery;
use crate::recovery::mail::Mailer;
use crate::routes::{
    PasswordGrant, PublishedKeys, RefreshCookie, ServerMetadata, SignInPage, TrustedProxyHops,
};
use crate::sessions::{SessionLifetimes, Sessions};
use crate::settings::{AdminSocket, KeyFile, Settings};
use crate::store::{AuthStore, Purged, SqlAuthStore};
use crate::throttle::Throttle;

/// Builds the service.
pub struct Application;

impl Application {
    /// Opens the database, builds the key ring and binds the listener;
    /// every expiry and window reads `clock`.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<BoundServer> {
        crate::metrics::init();
        // Pages on the CORS origins send the refresh cookie when it is on.
        let cors = shared::cors::Cors::parse(&settings.cors.allowed_origins)?
            .with_credentials(settings.tokens.refresh_cookie);
        let keys = settings.jwt.start_keys(&clock)?;
        if keys
            .current()
            .and_then(|ring| ring.active_kid().map(drop))
            .is_none()
        {
            anyhow::bail!(
                "auth-service signs tokens: with JWT_ALGORITHM={} set JWT_PUBLIC_KEY_FILE and \
                 JWT_PRIVATE_KEY_FILE (a JWK Set holds no private key)",
                settings.jwt.algorithm
            );
        }
        shared::metrics::watch_keys(keys.clone());
        let public_url = settings.server.public_url()?;
        let password_grant = PasswordGrant(settings.oauth.password_grant);
        let rs256 = rs256_keys(&settings)?;
        let metadata = web::Data::new(ServerMetadata::new(
            &public_url,
            &settings.jwt.issuer,
            &settings.tokens.default_scopes,
            password_grant,
            id_tokens::signing_algorithms(rs256.is_some()),
        ));
        let password_grant = web::Data::new(password_grant);
        let separate_id_token_keys = id_token_keys(&settings, &keys, &clock)?;
        let published = web::Data::new(PublishedKeys {
            keys: keys.clone(),
            id_token_keys: separate_id_token_keys.clone(),
            rs256: rs256.clone(),
            max_age_seconds: settings.tokens.jwks_max_age_seconds,
        });
        let id_token_keys = separate_id_token_keys.unwrap_or_else(|| keys.clone());
        let id_tokens = web::Data::new(IdTokens {
            keys: id_token_keys.clone(),
            signer: TokenSigner::new(
                id_token_keys,
                settings.jwt.issuer.clone(),
                Vec::<String>::new(),
                settings.tokens.access_token_seconds,
            )
            .with_clock(clock.clone()),
            rs256,
            issuer: settings.jwt.issuer.clone(),
            lifetime_seconds: settings.tokens.access_token_seconds,
            clock: clock.clone(),
        });
        let verifier = settings
            .jwt
            .verifier(keys.clone())?
            .with_clock(clock.clone());
        let signer = TokenSigner::new(
            keys,
            settings.jwt.issuer.clone(),
            settings.jwt.audiences(),
            settings.tokens.access_token_seconds,
        )
        .with_clock(clock.clone());
        let db = shared::db::open(&settings.database, crate::store::MIGRATIONS).await?;
        let store: Arc<dyn AuthStore> = Arc::new(SqlAuthStore::new(db.clone()));
        let accounts = Arc::new(Accounts {
            store: store.clone(),
            hasher: PasswordHasher::new(&settings.passwords)?,
            throttle: Throttle::new(settings.throttle.clone()),
            default_scope: settings.tokens.default_scope(),
            clock: clock.clone(),
        });
        let sessions = web::Data::new(Sessions {
            store: store.clone(),
            signer,
            lifetimes: SessionLifetimes::from_settings(&settings.tokens),
            clock: clock.clone(),
            default_scope: settings.tokens.default_scope(),
            mfa_required_scopes: settings.mfa.required_scopes(),
        });
        let mfa = Arc::new(Mfa {
            store: store.clone(),
            keys: Arc::new(mfa_keys(&settings)?),
            throttle: Throttle::new(settings.throttle.clone()),
            issuer: settings.mfa.issuer.clone(),
            clock: clock.clone(),
        });
        let recovery = Mailer::start(&settings.mail)?.map(|mailer| {
            web::Data::new(Recovery {
                accounts: accounts.clone(),
                mfa: mfa.clone(),
                mailer,
                public_url: public_url.clone(),
            })
        });
        let (accounts, mfa) = (web::Data::from(accounts), web::Data::from(mfa));
        let clients = web::Data::new(Clients {
            store: store.clone(),
            throttle: Throttle::new(settings.throttle.clone()),
            clock: clock.clone(),
        });
        let admin = web::Data::new(Admin {
            store: store.clone(),
            id_token_algorithms: id_tokens.algorithms(),
            clock: clock.clone(),
        });
        let authorizations = web::Data::new(Authorizations {
            store: store.clone(),
            clock: clock.clone(),
            browser_session_ms: i64::try_from(
                settings.oauth.browser_session_seconds.saturating_mul(1000),
            )
            .unwrap_or(i64::MAX),
        });
        let sign_in_page = web::Data::new(
            SignInPage::new(&public_url, &settings.jwt.issuer)
                .with_password_reset(recovery.is_some()),
        );
        for client in crate::clients::builtin_clients(&public_url, clock.now_ms()) {
            store.put_builtin_client(&client).await?;
        }
        warn_when_apps_cannot_sign_in(
            &settings.jwt.issuer,
            &public_url,
            id_tokens.algorithms(),
            &*store,
        )
        .await;
        spawn_janitor(store, clock, settings.audit.retention_days);
        let refresh_cookie = web::Data::new(RefreshCookie::new(
            settings.tokens.refresh_cookie,
            settings.tokens.refresh_absolute_seconds,
            &public_url,
            cors.clone(),
        ));
        if settings.tokens.refresh_cookie {
            for origin in refresh_cookie.cross_site_origins(&settings.cors.allowed_origins) {
                tracing::warn!(
                    "AUTH__TOKENS__REFRESH_COOKIE is on and the CORS origin {origin} is another \
                     site than AUTH__SERVER__PUBLIC_URL: browsers do not send a SameSite=Strict \
                     cookie from its pages, so they cannot renew sessions (serve the app and \
                     this service from one site; docs/security.md, \"The refresh cookie\")"
                );
            }
        }
        let proxies = web::Data::new(TrustedProxyHops(settings.throttle.trusted_proxy_hops));
        let authenticator = web::Data::new(Authenticator::new(verifier, "auth-service"));
        let ready_check: Arc<dyn ReadyCheck> = Arc::new(db.clone());
        let ready_check = web::Data::from(ready_check);
        let routes = crate::routes::routes();
        let mut server_settings = settings.server.clone();
        server_settings.admin_socket = match settings.admin_socket() {
            AdminSocket::Set(path) => Some(path),
            AdminSocket::BesideTheDatabase(path) if is_served(&path) => {
                tracing::warn!(
                    "another process serving this database answers on {}: running without an \
                     admin socket",
                    path.display()
                );
                None
            }
            AdminSocket::BesideTheDatabase(path) => Some(path),
            AdminSocket::Off => None,
        };
        let server = shared::http::bind("auth-service", &server_settings, &cors, move |cfg| {
            cfg.app_data(accounts.clone())
                .app_data(sessions.clone())
                .app_data(admin.clone())
                .app_data(clients.clone())
                .app_data(mfa.clone())
                .app_data(authorizations.clone())
                .app_data(sign_in_page.clone())
                .app_data(password_grant.clone())
                .app_data(id_tokens.clone())
                .app_data(proxies.clone())
                .app_data(refresh_cookie.clone())
                .app_data(ready_check.clone())
                .app_data(authenticator.clone())
                .app_data(metadata.clone())
                .app_data(published.clone());
            if let Some(recovery) = &recovery {
                cfg.app_data(recovery.clone());
            }
            cfg.configure(routes.clone());
        })?;
        Ok(server.on_stop(async move { db.close().await }))
    }
}

/// The ring that signs ID tokens when it is not the access tokens' (it is
/// under `JWT_ALGORITHM=ES256`, rotated with them): a P-256 key from its
/// files, re-read when the `keys` steps change them; or, with no public key
/// file, the one key made at first start. Replicas on PostgreSQL must share
/// the files: each would make its own.
fn id_token_keys(settings: &Settings, keys: &Keys, clock: &Clock) -> anyhow::Result<Option<Keys>> {
    let file = settings.id_token_key_file();
    let es256 = keys
        .current()
        .is_some_and(|ring| ring.algorithm() == jsonwebtoken::Algorithm::ES256);
    if es256 {
        if matches!(file, KeyFile::Set(_)) {
            tracing::warn!(
                "AUTH__OIDC__ID_TOKEN_KEY_FILE is not read: with JWT_ALGORITHM=ES256 ID tokens \
                 are signed with the access tokens' key"
            );
        }
        return Ok(None);
    }
    if let Some(public) = &settings.oidc.id_token_public_key_file {
        let KeyFile::Set(private) = file else {
            anyhow::bail!(
                "AUTH__OIDC__ID_TOKEN_PUBLIC_KEY_FILE is set without AUTH__OIDC__ID_TOKEN_KEY_FILE"
            );
        };
        let source = KeySource::KeyFiles {
            public: public.clone(),
            private: Some(private),
            poll: settings.jwt.key_files_poll(),
        };
        let keys = source
            .start(jsonwebtoken::Algorithm::ES256, clock)
            .map_err(|e| anyhow::anyhow!("the ID token key files: {e}"))?;
        return Ok(Some(keys));
    }
    if let KeyFile::InTheDataFolder(path) = &file {
        tracing::warn!(
            path = %path.display(),
            "ID tokens are signed with a key made here: replicas must share one, so set \
             AUTH__OIDC__ID_TOKEN_KEY_FILE to the same file on each (or use JWT_ALGORITHM=ES256)"
        );
    }
    let ring = crate::key_files::id_token_ring(file.path())
        .map_err(|e| anyhow::anyhow!("AUTH__OIDC__ID_TOKEN_KEY_FILE: {e}"))?;
    Ok(Some(Keys::fixed(ring)))
}

/// The key that seals second factors, made at first start where unset.
fn mfa_keys(settings: &Settings) -> anyhow::Result<SealingKeys> {
    let file = settings.mfa_key_file();
    if let KeyFile::InTheDataFolder(path) = &file {
        tracing::warn!(
            path = %path.display(),
            "second factors are sealed with a key made here: replicas must share one, so set \
             AUTH__MFA__KEY_FILE to the same file on each"
        );
    }
    SealingKeys::load_or_make(file.path()).map_err(|e| anyhow::anyhow!("AUTH__MFA__KEY_FILE: {e}"))
}

/// The RS256 ID token keys, when both files are set.
fn rs256_keys(settings: &Settings) -> anyhow::Result<Option<Arc<Rs256Keys>>> {
    let oidc = &settings.oidc;
    match (&oidc.rs256_key_file, &oidc.rs256_public_key_file) {
        (None, None) => Ok(None),
        (Some(private), Some(public)) => {
            let keys = Rs256Keys::load(
                private.clone(),
                public.clone(),
                settings.jwt.key_files_poll(),
            )
            .map_err(|e| anyhow::anyhow!("AUTH__OIDC__RS256_KEY_FILE: {e}"))?;
            Ok(Some(Arc::new(keys)))
        }
        _ => anyhow::bail!(
            "AUTH__OIDC__RS256_KEY_FILE and AUTH__OIDC__RS256_PUBLIC_KEY_FILE go together"
        ),
    }
}

/// What would make apps' sign-ins fail, said at start: relying parties
/// compare `iss` with the URL they read discovery from, so with apps
/// signing in here `JWT_ISSUER` must be the public URL; and a client
/// registered for RS256 ID tokens needs the RSA key.
async fn warn_when_apps_cannot_sign_in(
    issuer: &str,
    public_url: &str,
    id_token_algorithms: &[&str],
    store: &dyn AuthStore,
) {
    let clients = store.list_clients(None, 1000).await.unwrap_or_default();
    // The service's own pages read no ID token: their clients do not count.
    let apps = || {
        clients.iter().filter(|client| {
            client.allows(crate::domain::GrantType::AuthorizationCode)
                && !crate::clients::is_builtin(&client.client_id)
        })
    };
    if issuer.trim_end_matches('/') != public_url.trim_end_matches('/') && apps().next().is_some() {
        tracing::warn!(
            issuer,
            public_url,
            "apps sign in here, but JWT_ISSUER is not AUTH__SERVER__PUBLIC_URL: OpenID Connect \
             and OAuth libraries refuse an issuer other than the URL they discovered it at"
        );
    }
    for client in apps() {
        if !id_token_algorithms.contains(&client.id_token_signed_response_alg.as_str()) {
            tracing::warn!(
                client_id = client.client_id,
                "this client's ID tokens are RS256, but AUTH__OIDC__RS256_KEY_FILE is not set: \
                 its sign-ins with scope openid will fail"
            );
        }
    }
}

/// Whether a process answers on the Unix socket at `path`.
fn is_served(path: &std::path::Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}

/// `auth-service users grant`: adds `scopes` to a user's grants on the
/// configured database (migrated first); the user's scopes after.
pub async fn grant(
    settings: &Settings,
    username: &str,
    scopes: &[String],
) -> anyhow::Result<String> {
    let db = shared::db::open(&settings.database, crate::store::MIGRATIONS).await?;
    let store: Arc<dyn AuthStore> = Arc::new(SqlAuthStore::new(db.clone()));
    let granted = crate::accounts::grant(
        store.as_ref(),
        &settings.tokens.default_scope(),
        username,
        scopes,
        &Clock::system(),
    )
    .await;
    db.close().await;
    Ok(granted?)
}

/// Deletes ended refresh families, throttle windows and audit events past
/// their retention every ten minutes.
fn spawn_janitor(store: Arc<dyn AuthStore>, clock: Clock, retention_days: u32) {
    let retention_ms = i64::from(retention_days) * 86_400_000;
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            let now = clock.now_ms();
            let started = std::time::Instant::now();
            match store.purge_expired(now, now - retention_ms).await {
                Ok(purged) if purged != Purged::default() => tracing::info!(
                    audit_events = purged.audit_events,
                    sessions = purged.sessions,
                    throttle_windows = purged.throttle_windows,
                    authorization_codes = purged.authorization_codes,
                    browser_sessions = purged.browser_sessions,
                    sign_in_challenges = purged.sign_in_challenges,
                    links = purged.links,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "purged expired rows"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{:#}", error.0), "purging expired rows failed")
                }
            }
        }
    });
}
