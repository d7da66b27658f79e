//! `POST /v1/users`, and the user as every route shows it.

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::problem::{ApiError, Problem};

use super::client_address::ClientAddress;
use crate::accounts::Accounts;
use crate::audit::Actor;
use crate::domain::EmailAddress;
use crate::recovery::Recovery;
use crate::store::User;

/// A user as the API shows it: never the hash.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UserView<'a> {
    /// A UUID; the `sub` of the user's tokens.
    id: &'a str,
    username: &'a str,
    /// RFC 3339, UTC.
    created_at: &'a str,
    /// The user's address, if any.
    #[schema(format = Email)]
    email: Option<&'a str>,
    /// Whether its link was followed (only a verified address gets a
    /// password reset link).
    email_verified: bool,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(user: &'a User) -> Self {
        Self {
            id: &user.id,
            username: &user.username,
            created_at: &user.created_at,
            email: user.email.as_deref(),
            email_verified: user.email_verified(),
        }
    }
}

/// `POST /v1/users` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3 to 64 characters, no control characters, no white space at either
    /// end; compared ignoring case.
    #[schema(
        example = "jose",
        min_length = 3,
        max_length = 64,
        pattern = r"^(?=[^\u0000-\u001F\u007F-\u009F]*$)\S(?:.*\S)?$"
    )]
    username: String,
    /// 8 to 256 characters, not a common password, not the username.
    #[schema(value_type = String, format = Password, example = "a long passphrase", min_length = 8, max_length = 256)]
    password: SecretString,
    /// An address for password resets, mailed a link that verifies it.
    /// Only while the service sends mail (`AUTH__MAIL__SMTP_URL`).
    #[schema(format = Email, max_length = 254, example = "jose@example.com")]
    email: Option<String>,
}

/// Register a user.
///
/// 201 with the user; 409 when the name is taken. With an `email`, a link
/// that verifies it is mailed after the answer.
#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered.", body = UserView<'static>),
        shared::openapi::JsonBodyRefusals,
        (status = 409, description = "The name is taken.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "An invalid name, a weak password, or an invalid email (or any email while the service sends no mail).", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many mails to this address lately; see `Retry-After`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn register(
    client: ClientAddress,
    accounts: web::Data<Accounts>,
    recovery: Option<web::Data<Recovery>>,
    Json(request): Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    if request.email.is_some() && recovery.is_none() {
        return Err(Problem::invalid_fields([("email", NO_MAIL.to_owned())]).into());
    }
    // Nobody floods a mailbox by registering accounts with its address.
    if let (Some(recovery), Some(email)) = (&recovery, &request.email) {
        let actor = Actor::from_address(&client.0);
        recovery
            .count_mail(&EmailAddress::key_of(email), &actor)
            .await?;
    }
    let user = accounts
        .register(
            &request.username,
            request.password,
            request.email.as_deref(),
            &client.0,
        )
        .await?;
    if let Some(recovery) = recovery {
        recovery.into_inner().send_verification(user.clone());
    }
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}

/// Why an address is refused while mail is off.
pub(super) const NO_MAIL: &str =
    "this service sends no mail (AUTH__MAIL__SMTP_URL is not set), so it keeps no address";
