//! Account recovery: `POST /v1/password-reset` and its hosted pages (ask
//! for a link, set a new password), the address verification page, and
//! `PUT /v1/me/email`. Every one answers 404 while the service sends no
//! mail.
//!
//! The pages take the link's token from the query (never logged: the
//! request log has the path alone) and spend it only when their form is
//! posted, so a mail scanner that opens links spends nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use shared::body::Json;
use shared::problem::{ApiError, Problem};

use super::SignInPage;
use super::client_address::ClientAddress;
use super::html::{
    escape, hidden_inputs, message_html, notice_html, page, page_with, unavailable,
    with_retry_after,
};
use super::live_token::{LiveCaller, LiveTokenRefusal};
use super::users::UserView;
use crate::audit::Actor;
use crate::domain::EmailAddress;
use crate::mfa::MfaError;
use crate::recovery::{Recovery, ResetError, ResetFor};
use crate::store::{Link, LinkPurpose};
use crate::throttle::ThrottleError;

/// What the JSON endpoints answer while mail is off.
fn mail_off() -> ApiError {
    Problem::new(
        StatusCode::NOT_FOUND,
        "this service sends no mail (AUTH__MAIL__SMTP_URL is not set): no account recovery",
    )
    .into()
}

/// What the pages answer while mail is off.
fn mail_off_page() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Not available",
        &message_html(
            "This service sends no mail, so it cannot help you back into an account. Ask an administrator.",
        ),
    )
}

/// A page with one message (an error's, unless `status` is a success) and
/// a way on.
fn message_page(status: StatusCode, title: &str, message: &str, more: &str) -> HttpResponse {
    let message = if status.is_success() {
        notice_html(message)
    } else {
        message_html(message)
    };
    page(status, title, &format!("{message}{more}"))
}

/// The page for a link that no longer works.
fn dead_link_page(what: &str) -> HttpResponse {
    message_page(
        StatusCode::BAD_REQUEST,
        "This link does not work",
        &format!("This link has expired or was already used{what}."),
        "<p><a href=\"../password-reset\">Ask for a new password reset link</a></p>\n",
    )
}

fn failure_page(failure: crate::failure::Failure) -> HttpResponse {
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        unavailable(failure),
        "",
    )
}

fn not_from_here() -> HttpResponse {
    message_page(
        StatusCode::FORBIDDEN,
        "Refused",
        "This form did not come from this service's page. Open the link from your mail again.",
        "",
    )
}

/// The recovery service for a page's form post, or the page to answer: mail
/// is off, or the post came from another site.
fn for_page_post(
    recovery: Option<web::Data<Recovery>>,
    req: &HttpRequest,
    page_data: &SignInPage,
) -> Result<web::Data<Recovery>, Box<HttpResponse>> {
    let recovery = recovery.ok_or_else(|| Box::new(mail_off_page()))?;
    match page_data.posted_from_here(req) {
        true => Ok(recovery),
        false => Err(Box::new(not_from_here())),
    }
}

/// `POST /v1/password-reset` body: exactly one of the two.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's name.
    #[schema(example = "jose")]
    username: Option<String>,
    /// The account's verified address.
    #[schema(format = Email, example = "jose@example.com")]
    email: Option<String>,
}

/// The answer to every accepted reset request.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ResetAccepted {
    /// The same words whoever the request named.
    detail: &'static str,
}

const RESET_ACCEPTED: &str = "if an account with a verified address matches, a link to set a \
                              new password is on its way to that address; it works for 30 minutes";

/// Ask for a password reset link.
///
/// 202 whether or not an account matches, with the same body and in the
/// same time: the link, if any, is made and mailed after the answer, to an
/// enabled account's verified address only. Requests are limited per
/// named account or address and per client address (429). 404 while the
/// service sends no mail.
#[utoipa::path(
    post,
    path = "/v1/password-reset",
    tag = "recovery",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Taken; the same answer whether or not an account matches.", body = ResetAccepted),
        shared::openapi::JsonBodyRefusals,
        (status = 404, description = "The service sends no mail.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `username` and `email`, or an `email` that is no address.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests for this account or from this client; see `Retry-After`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn request_reset(
    client: ClientAddress,
    recovery: Option<web::Data<Recovery>>,
    Json(request): Json<ResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let recovery = recovery.ok_or_else(mail_off)?;
    let target = match (request.username, request.email) {
        (Some(name), None) if !name.is_empty() => ResetFor::Username(name),
        (None, Some(email)) => {
            EmailAddress::parse(&email).map_err(|why| Problem::invalid_fields([("email", why)]))?;
            ResetFor::Email(email)
        }
        _ => {
            let why = "give exactly one of `username` and `email`";
            return Err(Problem::invalid_fields([
                ("username", why.to_owned()),
                ("email", why.to_owned()),
            ])
            .into());
        }
    };
    recovery
        .into_inner()
        .request_reset(target, Actor::from_address(&client.0))
        .await?;
    Ok(HttpResponse::Accepted().json(ResetAccepted {
        detail: RESET_ACCEPTED,
    }))
}

/// The hosted page that asks for a reset link.
#[utoipa::path(
    get,
    path = "/v1/password-reset",
    tag = "recovery",
    responses(
        (status = 200, description = "The page: a username or email, and a button that asks for the link. Its form posts here as `application/x-www-form-urlencoded` (`login`) and is answered with a page.", content_type = "text/html"),
        (status = 404, description = "A page: the service sends no mail.", content_type = "text/html"),
    ),
)]
pub(super) async fn request_page(recovery: Option<web::Data<Recovery>>) -> HttpResponse {
    if recovery.is_none() {
        return mail_off_page();
    }
    request_form_page(StatusCode::OK, "")
}

fn request_form_page(status: StatusCode, message: &str) -> HttpResponse {
    let message = if message.is_empty() {
        String::new()
    } else {
        message_html(message)
    };
    let body = format!(
        "<p>Enter your username or email address. If the account has a verified address, a \
         link to choose a new password is mailed to it.</p>\n{message}\
         <form method=\"post\" action=\"password-reset\">\n\
         <label>Username or email <input type=\"text\" name=\"login\" autocomplete=\"username\" \
         autocapitalize=\"none\" spellcheck=\"false\" required autofocus></label>\n\
         <button type=\"submit\">Send the link</button>\n</form>\n"
    );
    page_with(status, "Forgot your password?", &body, "'self'")
}

/// The request page's form.
#[derive(Deserialize)]
pub(super) struct RequestForm {
    login: String,
}

/// The request page's post (a form; the JSON API is [`request_reset`]).
pub(super) async fn request_form(
    client: ClientAddress,
    recovery: Option<web::Data<Recovery>>,
    form: Result<web::Form<RequestForm>, actix_web::Error>,
) -> HttpResponse {
    let Some(recovery) = recovery else {
        return mail_off_page();
    };
    let login = match form {
        Ok(web::Form(form)) if !form.login.trim().is_empty() => form.login,
        _ => {
            return request_form_page(
                StatusCode::BAD_REQUEST,
                "Enter your username or email address.",
            );
        }
    };
    let actor = Actor::from_address(&client.0);
    match recovery
        .into_inner()
        .request_reset(ResetFor::Either(login), actor)
        .await
    {
        Ok(()) => message_page(
            StatusCode::OK,
            "Check your mail",
            "If an account with a verified address matches, a link to choose a new password is \
             on its way to that address. It works for 30 minutes.",
            "",
        ),
        Err(ThrottleError::Throttled {
            retry_after_seconds,
        }) => with_retry_after(
            request_form_page(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too many requests. Try again in {retry_after_seconds} seconds."),
            ),
            retry_after_seconds,
        ),
        Err(ThrottleError::Store(error)) => failure_page(error.into()),
    }
}

/// `?token=` of a link.
#[derive(Deserialize)]
pub(super) struct LinkQuery {
    token: Option<String>,
}

/// The live link of `purpose` the query names, or the page to answer.
async fn live_link(
    recovery: &Recovery,
    token: Option<&str>,
    purpose: LinkPurpose,
) -> Result<Link, HttpResponse> {
    let what = match purpose {
        LinkPurpose::VerifyEmail => ", or is for an address no longer on the account",
        LinkPurpose::ResetPassword => "",
    };
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return Err(dead_link_page(what));
    };
    match recovery.link_of(token, purpose).await {
        Ok(Some(link)) => Ok(link),
        Ok(None) => Err(dead_link_page(what)),
        Err(error) => Err(failure_page(error.into())),
    }
}

/// The page a reset link opens: a new password (and the second factor's
/// code, for a user who has one).
#[utoipa::path(
    get,
    path = "/v1/password-reset/new",
    tag = "recovery",
    params(("token" = Option<String>, Query, description = "The link's token.")),
    responses(
        (status = 200, description = "The page: a new password, and the one-time code for a user with a second factor.", content_type = "text/html"),
        (status = 400, description = "A page: the link has expired or was already used.", content_type = "text/html"),
        (status = 404, description = "A page: the service sends no mail.", content_type = "text/html"),
        (status = 503, description = "A page: the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn reset_page(
    recovery: Option<web::Data<Recovery>>,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let Some(recovery) = recovery else {
        return mail_off_page();
    };
    let token = query.token.as_deref();
    let link = match live_link(&recovery, token, LinkPurpose::ResetPassword).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let asks_code = match recovery.mfa.is_on(&link.user.id).await {
        Ok(on) => on,
        Err(error) => return failure_page(error.into()),
    };
    new_password_page(
        StatusCode::OK,
        token.unwrap_or_default(),
        &link.user.username,
        asks_code,
        None,
    )
}

fn new_password_page(
    status: StatusCode,
    token: &str,
    username: &str,
    asks_code: bool,
    error: Option<&str>,
) -> HttpResponse {
    let error = error.map(message_html).unwrap_or_default();
    let code = if asks_code {
        "<label>One-time code <input type=\"text\" name=\"otp\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" autocapitalize=\"none\" spellcheck=\"false\" \
         required></label>\n\
         <p class=\"hint\">Your account has two-step sign-in: the six digits your \
         authenticator app shows now, or one of your recovery codes.</p>\n"
    } else {
        ""
    };
    let body = format!(
        "<p class=\"client\">for <strong>{username}</strong></p>\n{error}\
         <form method=\"post\" action=\"new\">\n{hidden}\
         <input type=\"text\" name=\"username\" value=\"{username}\" autocomplete=\"username\" \
         hidden readonly>\n\
         <label>New password <input type=\"password\" name=\"new_password\" \
         autocomplete=\"new-password\" minlength=\"8\" maxlength=\"256\" required \
         autofocus></label>\n\
         <p class=\"hint\">At least 8 characters; not a common password, not your username.</p>\n\
         {code}<button type=\"submit\">Set the new password</button>\n</form>\n",
        username = escape(username),
        hidden = hidden_inputs(&[("token", token)]),
    );
    page_with(status, "Choose a new password", &body, "'self'")
}

/// The reset page's form.
#[derive(Deserialize)]
pub(super) struct ResetForm {
    token: String,
    new_password: SecretString,
    otp: Option<SecretString>,
}

/// The reset page's post: sets the password, ends every session.
#[utoipa::path(
    post,
    path = "/v1/password-reset/new",
    tag = "recovery",
    request_body(content_type = "application/x-www-form-urlencoded", description = "The page's form: `token`, `new_password`, and `otp` for a user with a second factor."),
    responses(
        (status = 200, description = "A page: the password is set, every session of the user ended, the link spent.", content_type = "text/html"),
        (status = 400, description = "A page: the link has expired or was already used, or the code is missing.", content_type = "text/html"),
        (status = 401, description = "The page again: the code is wrong or was already used.", content_type = "text/html"),
        (status = 403, description = "A page: the form did not come from this service's page.", content_type = "text/html"),
        (status = 404, description = "A page: the service sends no mail.", content_type = "text/html"),
        (status = 422, description = "The page again: the new password is weak.", content_type = "text/html"),
        (status = 429, description = "The page again: too many wrong codes; see `Retry-After`.", content_type = "text/html"),
        (status = 503, description = "A page: too many password checks at once, or the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn reset_form(
    req: HttpRequest,
    client: ClientAddress,
    recovery: Option<web::Data<Recovery>>,
    page_data: web::Data<SignInPage>,
    form: Result<web::Form<ResetForm>, actix_web::Error>,
) -> HttpResponse {
    let recovery = match for_page_post(recovery, &req, &page_data) {
        Ok(recovery) => recovery,
        Err(page) => return *page,
    };
    let Ok(web::Form(form)) = form else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Choose a new password",
            "The form could not be read. Open the link from your mail again.",
            "",
        );
    };
    let actor = Actor::from_address(&client.0);
    let otp = form.otp.as_ref().map(|otp| otp.expose_secret());
    let again = |status, username: &str, asks_code, message: &str| {
        new_password_page(status, &form.token, username, asks_code, Some(message))
    };
    let link = match live_link(&recovery, Some(&form.token), LinkPurpose::ResetPassword).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let username = link.user.username.as_str();
    match recovery
        .reset_password(&form.token, &link, form.new_password.clone(), otp, &actor)
        .await
    {
        Ok(()) => message_page(
            StatusCode::OK,
            "Password changed",
            "Your password is changed, and every session of your account was signed out. Sign \
             in again with the new password.",
            "",
        ),
        Err(ResetError::DeadLink) => dead_link_page(""),
        Err(ResetError::WeakPassword(why)) => {
            let asks_code =
                otp.is_some() || recovery.mfa.is_on(&link.user.id).await.unwrap_or(true);
            again(
                StatusCode::UNPROCESSABLE_ENTITY,
                username,
                asks_code,
                &format!("The new password {why}."),
            )
        }
        Err(ResetError::SecondFactor(error)) => match error {
            MfaError::Required => again(
                StatusCode::BAD_REQUEST,
                username,
                true,
                "Enter the code of your authenticator app.",
            ),
            MfaError::WrongCode => again(
                StatusCode::UNAUTHORIZED,
                username,
                true,
                "The code is wrong or was already used.",
            ),
            MfaError::Throttled {
                retry_after_seconds,
            } => with_retry_after(
                again(
                    StatusCode::TOO_MANY_REQUESTS,
                    username,
                    true,
                    &format!("Too many wrong codes. Try again in {retry_after_seconds} seconds."),
                ),
                retry_after_seconds,
            ),
            MfaError::Failed(failure) => failure_page(failure),
            MfaError::AlreadyOn | MfaError::NotEnrolled(_) => dead_link_page(""),
        },
        Err(ResetError::Failed(failure)) => failure_page(failure),
    }
}

/// The page a verification link opens: confirm the address.
#[utoipa::path(
    get,
    path = "/v1/email/verify",
    tag = "recovery",
    params(("token" = Option<String>, Query, description = "The link's token.")),
    responses(
        (status = 200, description = "The page: the address, and a button that confirms it.", content_type = "text/html"),
        (status = 400, description = "A page: the link has expired, was used, or is for an address no longer on the account.", content_type = "text/html"),
        (status = 404, description = "A page: the service sends no mail.", content_type = "text/html"),
        (status = 503, description = "A page: the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn verify_page(
    recovery: Option<web::Data<Recovery>>,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let Some(recovery) = recovery else {
        return mail_off_page();
    };
    let token = query.token.as_deref();
    let link = match live_link(&recovery, token, LinkPurpose::VerifyEmail).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let body = format!(
        "<p>Confirm <strong>{email}</strong> as the address of <strong>{username}</strong>?</p>\n\
         <form method=\"post\" action=\"verify\">\n{hidden}\
         <button type=\"submit\" autofocus>Confirm</button>\n</form>\n",
        email = escape(link.user.email.as_deref().unwrap_or_default()),
        username = escape(&link.user.username),
        hidden = hidden_inputs(&[("token", token.unwrap_or_default())]),
    );
    page_with(
        StatusCode::OK,
        "Confirm your email address",
        &body,
        "'self'",
    )
}

/// The verification page's form.
#[derive(Deserialize)]
pub(super) struct VerifyForm {
    token: String,
}

/// The verification page's post.
#[utoipa::path(
    post,
    path = "/v1/email/verify",
    tag = "recovery",
    request_body(content_type = "application/x-www-form-urlencoded", description = "The page's form: `token`."),
    responses(
        (status = 200, description = "A page: the address is verified, the link spent.", content_type = "text/html"),
        (status = 400, description = "A page: the link has expired, was used, or is for an address no longer on the account.", content_type = "text/html"),
        (status = 403, description = "A page: the form did not come from this service's page.", content_type = "text/html"),
        (status = 404, description = "A page: the service sends no mail.", content_type = "text/html"),
        (status = 503, description = "A page: the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn verify_form(
    req: HttpRequest,
    client: ClientAddress,
    recovery: Option<web::Data<Recovery>>,
    page_data: web::Data<SignInPage>,
    form: Result<web::Form<VerifyForm>, actix_web::Error>,
) -> HttpResponse {
    let recovery = match for_page_post(recovery, &req, &page_data) {
        Ok(recovery) => recovery,
        Err(page) => return *page,
    };
    let token = form.map(|form| form.into_inner().token).unwrap_or_default();
    match recovery
        .verify_email(&token, &Actor::from_address(&client.0))
        .await
    {
        Ok(true) => message_page(
            StatusCode::OK,
            "Address confirmed",
            "Your email address is confirmed. If you forget your password, you can reset it \
             through this address.",
            "",
        ),
        Ok(false) => dead_link_page(", or is for an address no longer on the account"),
        Err(error) => failure_page(error.into()),
    }
}

/// `PUT /v1/me/email` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    /// The new address, mailed a link that verifies it; `null` removes it.
    #[schema(format = Email, max_length = 254, example = "jose@example.com")]
    email: Option<String>,
}

/// Set, change or remove the caller's email address.
///
/// 200 with the caller; a new address is unverified until the link mailed
/// to it (after the answer) is followed. The same address again, while
/// unverified, mails a new link. Needs a sign-in of the last ten minutes
/// (401 `insufficient_user_authentication` with `max_age` otherwise): the
/// address is how an account is recovered. 404 while the service sends no
/// mail.
#[utoipa::path(
    put,
    path = "/v1/me/email",
    tag = "recovery",
    request_body = EmailChange,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The caller, with the address.", body = UserView<'static>),
        shared::openapi::JsonBodyRefusals,
        LiveTokenRefusal,
        (status = 404, description = "The service sends no mail, or the user no longer exists.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many mails to this address, or from this client, lately; see `Retry-After`.", body = shared::problem::ProblemDetails, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn change_email(
    caller: LiveCaller,
    client: ClientAddress,
    recovery: Option<web::Data<Recovery>>,
    Json(request): Json<EmailChange>,
) -> Result<HttpResponse, ApiError> {
    let recovery = recovery.ok_or_else(mail_off)?;
    let email = request
        .email
        .as_deref()
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|why| Problem::invalid_fields([("email", why)]))?;
    let actor = Actor::from_address(&client.0);
    let user = recovery
        .into_inner()
        .change_email(caller.user_id(), email.as_ref(), &actor)
        .await?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "the user no longer exists"))?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}
