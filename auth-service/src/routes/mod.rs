//! The HTTP edge: thin handlers that parse the request into domain input,
//! call [`Accounts`] or [`Sessions`], and turn the answer (or the domain
//! error, in `errors`) into a response. The only place that builds HTTP
//! answers. This file joins the routes and their OpenAPI documentation; a
//! response body type lives beside its handler.
//!
//! [`Accounts`]: crate::accounts::Accounts
//! [`Sessions`]: crate::sessions::Sessions

mod client;
mod discovery;
mod errors;
mod local;
mod login;
mod logout;
mod me;
mod password;
mod revoke;
mod session;
mod token;
mod users;

pub use client::TrustedProxyHops;
pub use discovery::{PublishedKeys, ServerMetadata};

/// The request bodies, reachable for the fuzz targets in `fuzz/`, which run
/// them through the same extractors as the routes do.
pub mod bodies {
    pub use super::login::FlaskLogin;
    pub use super::logout::LogoutRequest;
    pub use super::password::ChangePassword;
    pub use super::revoke::RevokeRequest;
    pub use super::token::TokenRequest;
    pub use super::users::RegisterRequest;
}

use actix_web::web;
use shared::auth::ErrorStyle;
use shared::http::resource;
use utoipa::OpenApi;

/// Registers every route of the service, and the operations endpoints.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/auth")
            .app_data(ErrorStyle::Flask)
            .route(web::post().to(login::flask_login)),
    )
    .service(resource("/v1/users").route(web::post().to(users::register)))
    .service(resource("/v1/token").route(web::post().to(token::token)))
    .service(resource("/v1/logout").route(web::post().to(logout::logout)))
    .service(resource("/v1/revoke").route(web::post().to(revoke::revoke)))
    .service(resource("/local/users/{username}/grant").route(web::post().to(local::grant)))
    .service(resource("/v1/me").route(web::get().to(me::me)))
    .service(resource("/v1/me/password").route(web::put().to(password::change_password)))
    .service(resource(discovery::JWKS_PATH).route(web::get().to(discovery::jwks)))
    .service(
        resource("/.well-known/oauth-authorization-server")
            .route(web::get().to(discovery::authorization_server)),
    )
    .service(
        resource("/.well-known/openid-configuration")
            .route(web::get().to(discovery::openid_configuration)),
    )
    .configure(shared::operations::operations(ApiDoc::openapi()));
}

/// OAuth 2.0 clients get tokens here, on this service; the scopes are the
/// ones it grants by default (`AUTH__TOKENS__DEFAULT_SCOPES`).
const SECURITY: shared::openapi::Security<'static> = shared::openapi::Security {
    token_url: "/v1/token",
    scopes: &[
        ("items:read", "read items"),
        ("items:write", "create, replace and delete items"),
    ],
};

/// auth-service's OpenAPI 3.1 document, served at `/openapi.json` with the
/// shared operations added. The operations are described beside their
/// handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "auth-service",
        description = "Registers users and issues JWT access tokens and rotating refresh tokens. \
                       Errors are RFC 9457 problem details, except on the Flask-JWT route `/auth` \
                       and the OAuth 2.0 token endpoint (RFC 6749 5.2 errors)."
    ),
    paths(
        users::register,
        login::flask_login,
        token::token,
        logout::logout,
        revoke::revoke,
        local::grant,
        me::me,
        password::change_password,
        discovery::jwks,
        discovery::authorization_server,
        discovery::openid_configuration,
    ),
    modifiers(&SECURITY),
    tags(
        (name = "users", description = "Registration and the caller's account."),
        (name = "tokens", description = "OAuth 2.0 token endpoint and logout."),
        (name = "flask", description = "The Flask-JWT login, unchanged for its clients."),
        (name = "discovery", description = "What clients and verifiers read to trust the tokens."),
        (name = "local", description = "The command line's requests, over the admin socket only (404 over TCP)."),
    ),
)]
pub struct ApiDoc;
