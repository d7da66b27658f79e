//! Thin handlers: parse the request into domain input, call [`Accounts`],
//! map the error, build the response.
//!
//! [`Accounts`]: crate::accounts::Accounts

mod login;
mod logout;
mod me;
mod openapi;
mod password;
mod token;
mod users;

pub use openapi::ApiDoc;

/// The request bodies, reachable for the fuzz targets in `fuzz/`, which run
/// them through the same extractors as the routes do.
pub mod bodies {
    pub use super::login::FlaskLogin;
    pub use super::logout::LogoutRequest;
    pub use super::password::ChangePassword;
    pub use super::token::TokenRequest;
    pub use super::users::RegisterRequest;
}

use actix_web::web;
use serde::Serialize;
use shared::auth::ErrorStyle;
use shared::http::resource;

use crate::store::User;

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/auth")
            .app_data(ErrorStyle::Flask)
            .route(web::post().to(login::flask_login)),
    )
    .service(resource("/v1/users").route(web::post().to(users::register)))
    .service(resource("/v1/token").route(web::post().to(token::token)))
    .service(resource("/v1/logout").route(web::post().to(logout::logout)))
    .service(resource("/v1/me").route(web::get().to(me::me)))
    .service(resource("/v1/me/password").route(web::put().to(password::change_password)))
    .configure(shared::openapi::operations(
        <ApiDoc as utoipa::OpenApi>::openapi(),
    ));
}

/// A user as the API shows it: never the hash.
#[derive(Serialize, utoipa::ToSchema)]
struct UserView<'a> {
    /// A UUID; the `sub` of the user's tokens.
    id: &'a str,
    username: &'a str,
    /// RFC 3339, UTC.
    created_at: &'a str,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(user: &'a User) -> Self {
        Self {
            id: &user.id,
            username: &user.username,
            created_at: &user.created_at,
        }
    }
}
