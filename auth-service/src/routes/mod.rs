//! The HTTP edge: thin handlers that parse the request into domain input,
//! call [`Accounts`] or [`Sessions`], and turn the answer (or the domain
//! error, in `errors`) into a response. The only place that builds HTTP
//! answers. This file joins the routes and their OpenAPI documentation; a
//! response body type lives beside its handler.
//!
//! [`Accounts`]: crate::accounts::Accounts
//! [`Sessions`]: crate::sessions::Sessions

mod admin;
mod authorize;
mod client_address;
mod client_auth;
mod console;
mod discovery;
mod errors;
mod html;
mod introspect;
mod live_token;
mod local;
mod login;
mod logout;
mod me;
mod mfa;
mod oauth_error;
mod password;
mod recovery;
mod refresh_cookie;
mod revoke;
mod token;
mod userinfo;
mod users;

pub use authorize::SignInPage;

/// The public URL (as the settings checked it: no trailing slash) split
/// into its origin, which a browser sends as `Origin`, and its path, under
/// which the cookies are scoped.
fn origin_and_path(public_url: &str) -> (&str, &str) {
    let after_scheme = public_url.find("://").map_or(0, |i| i + 3);
    let path_start = public_url[after_scheme..]
        .find('/')
        .map_or(public_url.len(), |i| after_scheme + i);
    public_url.split_at(path_start)
}

/// `AUTH__OAUTH__PASSWORD_GRANT`: whether apps may send a user's password
/// (`grant_type=password`, the Flask `/auth` login); app data, on when
/// absent.
#[derive(Debug, Clone, Copy)]
pub struct PasswordGrant(pub bool);

impl PasswordGrant {
    /// Whether the request's app allows it.
    fn of(req: &actix_web::HttpRequest) -> bool {
        req.app_data::<web::Data<Self>>().is_none_or(|on| on.0)
    }
}
pub use client_address::TrustedProxyHops;
pub use discovery::{PublishedKeys, ServerMetadata};
pub use refresh_cookie::RefreshCookie;

/// The request bodies, reachable for the fuzz targets in `fuzz/`, which run
/// them through the same extractors as the routes do.
pub mod bodies {
    pub use super::admin::clients::{ClientPatch, NewClientRequest};
    pub use super::admin::users::UserPatch;
    pub use super::introspect::IntrospectRequest;
    pub use super::login::FlaskLogin;
    pub use super::logout::LogoutRequest;
    pub use super::mfa::MfaCode;
    pub use super::password::ChangePassword;
    pub use super::recovery::{EmailChange, ResetRequest};
    pub use super::revoke::RevokeRequest;
    pub use super::token::TokenRequest;
    pub use super::users::RegisterRequest;
}

use actix_web::http::Method;
use actix_web::web;
use shared::auth::ErrorStyle;
use shared::http::{method, resource};
use utoipa::OpenApi;

/// Every route of the service, and the operations endpoints. Call it once
/// and clone the result into each worker: the OpenAPI document is built and
/// rendered here, and a worker that did it again would keep the garbage.
pub fn routes() -> impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static {
    let operations = shared::operations::operations(ApiDoc::openapi());
    move |cfg| configure(cfg, operations.clone())
}

fn configure(cfg: &mut web::ServiceConfig, operations: impl FnOnce(&mut web::ServiceConfig)) {
    cfg.service(
        resource("/auth")
            .app_data(ErrorStyle::Flask)
            .route(method(Method::POST).to(login::flask_login)),
    )
    .service(
        resource("/v1/authorize")
            .route(method(Method::GET).to(authorize::authorize))
            .route(method(Method::POST).to(authorize::sign_in)),
    )
    .service(
        resource("/v1/end-session")
            .route(method(Method::GET).to(authorize::end_session::end_session))
            .route(method(Method::POST).to(authorize::end_session::end_session_post)),
    )
    .service(
        resource("/v1/userinfo")
            .route(method(Method::GET).to(userinfo::userinfo))
            .route(method(Method::POST).to(userinfo::userinfo_post)),
    )
    .service(resource("/v1/users").route(method(Method::POST).to(users::register)))
    .service(resource("/v1/token").route(method(Method::POST).to(token::token)))
    .service(resource("/v1/logout").route(method(Method::POST).to(logout::logout)))
    .service(resource("/v1/revoke").route(method(Method::POST).to(revoke::revoke)))
    .service(resource("/v1/introspect").route(method(Method::POST).to(introspect::introspect)))
    .service(resource("/local/users/{username}/grant").route(method(Method::POST).to(local::grant)))
    .service(resource("/v1/me").route(method(Method::GET).to(me::me)))
    .service(resource("/v1/admin/users").route(method(Method::GET).to(admin::users::list_users)))
    .service(
        resource("/v1/admin/users/{id}")
            .route(method(Method::GET).to(admin::users::get_user))
            .route(method(Method::PATCH).to(admin::users::change_user))
            .route(method(Method::DELETE).to(admin::users::delete_user)),
    )
    .service(
        resource("/v1/admin/users/{id}/sessions")
            .route(method(Method::GET).to(admin::sessions::list_sessions))
            .route(method(Method::DELETE).to(admin::sessions::revoke_sessions)),
    )
    .service(
        resource("/v1/admin/clients")
            .route(method(Method::GET).to(admin::clients::list_clients))
            .route(method(Method::POST).to(admin::clients::create_client)),
    )
    .service(
        resource("/v1/admin/clients/{client_id}")
            .route(method(Method::PATCH).to(admin::clients::change_client))
            .route(method(Method::DELETE).to(admin::clients::delete_client)),
    )
    .service(resource("/v1/admin/audit").route(method(Method::GET).to(admin::events::audit_log)))
    .configure(console::configure)
    .service(resource("/v1/me/password").route(method(Method::PUT).to(password::change_password)))
    // The address is how an account is recovered: changing it asks for a
    // recent sign-in, as enrolling a factor does.
    .service(
        resource("/v1/me/email")
            .app_data(mfa::recent_sign_in())
            .route(method(Method::PUT).to(recovery::change_email)),
    )
    .service(
        resource("/v1/password-reset")
            .route(method(Method::GET).to(recovery::request_page))
            .route(
                method(Method::POST)
                    .guard(actix_web::guard::Header(
                        "content-type",
                        "application/x-www-form-urlencoded",
                    ))
                    .to(recovery::request_form),
            )
            .route(method(Method::POST).to(recovery::request_reset)),
    )
    .service(
        resource(crate::recovery::RESET_PATH)
            .route(method(Method::GET).to(recovery::reset_page))
            .route(method(Method::POST).to(recovery::reset_form)),
    )
    .service(
        resource(crate::recovery::VERIFY_PATH)
            .route(method(Method::GET).to(recovery::verify_page))
            .route(method(Method::POST).to(recovery::verify_form)),
    )
    .service(resource("/v1/me/sessions").route(method(Method::GET).to(me::sessions)))
    .service(resource("/v1/me/sessions/{id}").route(method(Method::DELETE).to(me::end_own_session)))
    .service(resource("/v1/me/mfa").route(method(Method::GET).to(mfa::status)))
    // A token stolen from an old sign-in cannot put a factor on the account
    // and lock its owner out: enrolling asks for a recent one.
    .service(
        resource("/v1/me/mfa/totp")
            .app_data(mfa::recent_sign_in())
            .route(method(Method::POST).to(mfa::enrol))
            .route(method(Method::DELETE).to(mfa::disable)),
    )
    .service(
        resource("/v1/me/mfa/totp/confirm")
            .app_data(mfa::recent_sign_in())
            .route(method(Method::POST).to(mfa::confirm)),
    )
    .service(
        resource("/v1/admin/users/{id}/mfa").route(method(Method::DELETE).to(admin::mfa::reset)),
    )
    .service(resource(discovery::JWKS_PATH).route(method(Method::GET).to(discovery::jwks)))
    .service(
        resource("/.well-known/oauth-authorization-server")
            .route(method(Method::GET).to(discovery::authorization_server)),
    )
    .service(
        resource("/.well-known/openid-configuration")
            .route(method(Method::GET).to(discovery::openid_configuration)),
    )
    .configure(operations);
}

/// OAuth 2.0 clients get tokens here, on this service; the scopes are the
/// ones it grants by default (`AUTH__TOKENS__DEFAULT_SCOPES`).
const SECURITY: shared::openapi::Security<'static> = shared::openapi::Security {
    token_url: "/v1/token",
    scopes: &[
        ("items:read", "read items"),
        ("items:write", "create, replace and delete items"),
        (
            "auth:admin",
            "administer users, sessions and clients (granted, never by default)",
        ),
    ],
};

/// `client`: a service client's id and secret by HTTP Basic (RFC 6749
/// 2.3.1), for introspection and the client-credentials grant.
struct ClientAuthentication;

impl utoipa::Modify for ClientAuthentication {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "client",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Basic)
                        .description(Some(
                            "A service client's id and secret (or `client_id` and \
                             `client_secret` in the body).",
                        ))
                        .build(),
                ),
            );
    }
}

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
        authorize::authorize,
        authorize::sign_in,
        authorize::end_session::end_session,
        authorize::end_session::end_session_post,
        userinfo::userinfo,
        userinfo::userinfo_post,
        token::token,
        logout::logout,
        revoke::revoke,
        introspect::introspect,
        local::grant,
        me::me,
        me::sessions,
        me::end_own_session,
        password::change_password,
        recovery::change_email,
        recovery::request_reset,
        recovery::request_page,
        recovery::reset_page,
        recovery::reset_form,
        recovery::verify_page,
        recovery::verify_form,
        mfa::status,
        mfa::enrol,
        mfa::confirm,
        mfa::disable,
        discovery::jwks,
        discovery::authorization_server,
        discovery::openid_configuration,
        admin::users::list_users,
        admin::users::get_user,
        admin::users::change_user,
        admin::users::delete_user,
        admin::sessions::list_sessions,
        admin::sessions::revoke_sessions,
        admin::mfa::reset,
        admin::clients::create_client,
        admin::clients::list_clients,
        admin::clients::change_client,
        admin::clients::delete_client,
        admin::events::audit_log,
    ),
    modifiers(&SECURITY, &ClientAuthentication),
    tags(
        (name = "users", description = "Registration and the caller's account."),
        (name = "tokens", description = "OAuth 2.0 token endpoint and logout."),
        (name = "recovery", description = "Email addresses and password reset by mail (while `AUTH__MAIL__SMTP_URL` is set; 404 otherwise)."),
        (name = "flask", description = "The Flask-JWT login, unchanged for its clients."),
        (name = "sign-in", description = "The authorization code flow with PKCE: the hosted sign-in page."),
        (name = "discovery", description = "What clients and verifiers read to trust the tokens."),
        (name = "admin", description = "Users, sessions, service clients and the audit log (scope `auth:admin`)."),
        (name = "local", description = "The command line's requests, over the admin socket only (404 over TCP)."),
    ),
)]
pub struct ApiDoc;
