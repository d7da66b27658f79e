//! `GET`/`POST /v1/authorize`: the authorization endpoint (OAuth 2.1 4.1)
//! and the hosted sign-in page.
//!
//! Policy (api.md, "The authorization endpoint and the hosted sign-in
//! page"):
//! - Until `client_id` and `redirect_uri` are known and match, every error
//!   is a page (400), never a redirect: no open redirector. After that,
//!   errors go back to the redirect URI with `error`, `error_description`,
//!   `state` and `iss` (RFC 6749 4.1.2.1, RFC 9207).
//! - `response_type=code` only; PKCE S256 for every client (`plain` and a
//!   missing challenge are refused).
//! - A browser signed in here (the `auth_session` cookie, `HttpOnly;
//!   Secure; SameSite=Lax`, under `/v1/`) signs in to another client
//!   without the password; `prompt=login`, a `max_age` older than the
//!   sign-in, or `acr_values=aal2` when the session had no second factor
//!   and the user has one, asks again; `prompt=none` without a session
//!   answers `login_required`. More than one such cookie (cookie tossing)
//!   counts as none.
//! - A user with a second factor gives a code after the password: a right
//!   password leaves a challenge (256 random bits, stored hashed, five
//!   minutes, single use) in the second form, and only a right code with
//!   it signs the browser in.
//! - The form post is checked by the server, not by SameSite alone: a
//!   browser's `Origin` must be this service's and `Sec-Fetch-Site` must
//!   not be cross-site or same-site, and the form carries a token equal to
//!   the `auth_form` cookie the page set (`SameSite=Strict`), compared in
//!   constant time. The page is HTML with one inline style allowed by its
//!   hash: no script, no other origin, no framing.

pub(super) mod end_session;
mod page;
mod request;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::ORIGIN;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq as _;

use super::client_address::ClientAddress;
use super::oauth_error::OAuthCode;
use crate::accounts::{Accounts, LoginError};
use crate::audit::Actor;
use crate::authorization::{Authorizations, CodeRequest};
use crate::domain::{Factors, scope};
use crate::failure::Failure;
use crate::mfa::{Mfa, MfaError};
use crate::routes::html::{message_html, page, unavailable, with_retry_after};
use crate::store::{BrowserSession, User};
use page::{code_page, sign_in_page};
use request::{
    AuthorizeParams, Prompt, SignInForm, ValidRequest, back_to, query_params, see_other, validate,
};

const SESSION_COOKIE: &str = "auth_session";
const FORM_COOKIE: &str = "auth_form";
const AUTHORIZE_PATH: &str = "/v1/authorize";
const END_SESSION_PATH: &str = "/v1/end-session";

/// What the page needs to know of this service (app data).
#[derive(Debug, Clone)]
pub struct SignInPage {
    /// `iss` of the answers (RFC 9207): `JWT_ISSUER`.
    issuer: String,
    /// This service's origin, for the form's `Origin` check.
    own_origin: String,
    /// The public URL's path, under which the cookies are scoped.
    path_prefix: String,
    /// Whether the page offers "Forgot your password?" (mail is on).
    password_reset: bool,
}

impl SignInPage {
    /// For the service at `public_url` (as the settings checked it) that
    /// issues as `issuer`.
    pub fn new(public_url: &str, issuer: &str) -> Self {
        let (own_origin, path_prefix) = super::origin_and_path(public_url);
        Self {
            issuer: issuer.to_owned(),
            own_origin: own_origin.to_owned(),
            path_prefix: path_prefix.to_owned(),
            password_reset: false,
        }
    }

    /// The same, offering a password reset link when `on`.
    pub fn with_password_reset(mut self, on: bool) -> Self {
        self.password_reset = on;
        self
    }
}

/// Why a request stops: a page, or an error at the redirect URI (its
/// location).
enum Refusal {
    Page(StatusCode, String),
    Redirect(String),
}

impl Refusal {
    fn respond(self) -> HttpResponse {
        match self {
            Self::Page(status, message) => page(status, "Cannot sign in", &message_html(&message)),
            Self::Redirect(location) => see_other(&location),
        }
    }
}

impl From<Failure> for Refusal {
    fn from(failure: Failure) -> Self {
        Self::Page(StatusCode::SERVICE_UNAVAILABLE, unavailable(failure).into())
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(error: crate::store::StoreError) -> Self {
        Failure::from(error).into()
    }
}

/// The browser session of the request, if exactly one cookie names a live one.
async fn current_session(
    req: &HttpRequest,
    authorizations: &Authorizations,
) -> Result<Option<(BrowserSession, User)>, Refusal> {
    match session_cookie_value(req) {
        Some(id) => Ok(authorizations.browser_session(&id).await?),
        None => Ok(None),
    }
}

/// The browser session cookie's value, when the request carries exactly
/// one (more is cookie tossing: none counts).
fn session_cookie_value(req: &HttpRequest) -> Option<String> {
    let cookies = req.cookies().ok()?;
    let mut values = cookies
        .iter()
        .filter(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// Sends the browser back with a code for `user`.
async fn issue(
    request: &ValidRequest,
    user: &User,
    session: &BrowserSession,
    services: &Services<'_>,
) -> Result<HttpResponse, Refusal> {
    // What the user holds now bounds what the client asked for.
    let scope = scope::intersection(&request.scope, services.accounts.granted(user));
    let code = services
        .authorizations
        .issue_code(
            &CodeRequest {
                client: &request.client,
                redirect_uri: &request.redirect_uri,
                code_challenge: &request.code_challenge,
                scope: &scope,
                nonce: request.nonce.as_deref(),
            },
            user,
            session,
        )
        .await?;
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &request.state {
        pairs.push(("state", state));
    }
    Ok(see_other(&back_to(
        &request.redirect_uri,
        &pairs,
        &services.page.issuer,
    )))
}

/// Sign in (OAuth 2.1 authorization code flow with PKCE): a code at once
/// for a browser signed in here, else the sign-in page.
///
/// Until `client_id` and `redirect_uri` are known and match, errors are a
/// page (400); after that they go back to the redirect URI (`error`,
/// `error_description`, `state`, `iss`). The success redirect carries
/// `code`, `state` and `iss` (RFC 9207). `docs/sign-in.md` walks through it.
#[utoipa::path(
    get,
    path = "/v1/authorize",
    tag = "sign-in",
    params(AuthorizeParams),
    responses(
        (status = 200, description = "The sign-in page.", content_type = "text/html"),
        (status = 303, description = "Back to the redirect URI: `code`, `state`, `iss`; or `error`, `error_description`, `state`, `iss`."),
        (status = 400, description = "A page: the client or redirect URI is unknown or does not match, or a parameter is repeated.", content_type = "text/html"),
        (status = 503, description = "A page: the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn authorize(
    req: HttpRequest,
    authorizations: web::Data<Authorizations>,
    (accounts, mfa): (web::Data<Accounts>, web::Data<Mfa>),
    page_data: web::Data<SignInPage>,
) -> HttpResponse {
    let outcome = async {
        let params = query_params(&req)?;
        let services = Services {
            authorizations: &authorizations,
            accounts: &accounts,
            mfa: &mfa,
            page: &page_data,
        };
        answer(&req, &params, &services).await
    };
    outcome.await.unwrap_or_else(Refusal::respond)
}

/// What the endpoint's handlers decide with.
struct Services<'a> {
    authorizations: &'a Authorizations,
    accounts: &'a Accounts,
    mfa: &'a Mfa,
    page: &'a SignInPage,
}

/// An authorization request, by `GET` or as a posted form (OpenID Connect
/// Core 3.1.2.1): a code at once for a signed-in browser, else the page.
async fn answer(
    req: &HttpRequest,
    params: &AuthorizeParams,
    services: &Services<'_>,
) -> Result<HttpResponse, Refusal> {
    let Services {
        authorizations,
        page: page_data,
        ..
    } = *services;
    let request = validate(params, authorizations, page_data).await?;
    let session = current_session(req, authorizations).await?;
    let now = authorizations.clock.now_ms();
    let fresh = |session: &BrowserSession| {
        request.prompt != Prompt::Login
            && request
                .max_age_ms
                .is_none_or(|max_age| now - session.auth_time <= max_age)
    };
    let session = match session {
        Some((session, user)) if fresh(&session) => {
            // Step-up (RFC 9470): a second factor asked for, which this
            // session did not give but the user has.
            let step_up = request.wants_aal2
                && !Factors::from_stored(&session.amr).is_multi()
                && services.mfa.is_on(&user.id).await?;
            (!step_up).then_some((session, user))
        }
        _ => None,
    };
    match session {
        Some((session, user)) => issue(&request, &user, &session, services).await,
        None if request.prompt == Prompt::None => Err(request.error(
            page_data,
            OAuthCode::LoginRequired,
            "the user is not signed in",
        )),
        None => Ok(sign_in_page(
            StatusCode::OK,
            &request,
            params,
            request.login_hint.as_deref().unwrap_or_default(),
            None,
            page_data,
        )),
    }
}

/// The sign-in page's forms: the request's parameters and `form_token`,
/// with `username` and `password`, or (the second step, for a user with a
/// second factor) `challenge` and `otp`.
///
/// Accepted only from the page itself: the browser's `Origin` and
/// `Sec-Fetch-Site` say so when sent, and `form_token` equals the cookie the
/// page set. A right password starts a browser session (the `auth_session`
/// cookie) and goes back to the redirect URI with a code.
#[utoipa::path(
    post,
    path = "/v1/authorize",
    tag = "sign-in",
    request_body(content_type = "application/x-www-form-urlencoded", description = "The page's form."),
    responses(
        (status = 200, description = "The second step: a right password of a user with a second factor; the form asks for the one-time code.", content_type = "text/html"),
        (status = 303, description = "Signed in: back to the redirect URI with `code`, `state`, `iss`."),
        (status = 400, description = "The page again: a field is missing, or the second step's challenge has ended; or a page: the request is not valid.", content_type = "text/html"),
        (status = 401, description = "The page again: the username or password is wrong, or the one-time code.", content_type = "text/html"),
        (status = 403, description = "The page again: the account is disabled; or a page: the form did not come from this page.", content_type = "text/html"),
        (status = 429, description = "The page again: too many failed sign-ins; see `Retry-After`.", content_type = "text/html"),
        (status = 503, description = "A page: too many sign-ins at once, or the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn sign_in(
    req: HttpRequest,
    address: ClientAddress,
    authorizations: web::Data<Authorizations>,
    (accounts, mfa): (web::Data<Accounts>, web::Data<Mfa>),
    page_data: web::Data<SignInPage>,
    form: Result<web::Form<SignInForm>, actix_web::Error>,
) -> HttpResponse {
    let services = Services {
        authorizations: &authorizations,
        accounts: &accounts,
        mfa: &mfa,
        page: &page_data,
    };
    let outcome = async {
        let web::Form(form) = form.map_err(|_| {
            Refusal::Page(
                StatusCode::BAD_REQUEST,
                "The sign-in form could not be read.".into(),
            )
        })?;
        // No credentials and no form token: an authorization request sent
        // as a form by an app, answered as a GET is.
        if form.form_token.is_none()
            && form.username.is_none()
            && form.password.is_none()
            && form.challenge.is_none()
        {
            return answer(&req, &form.params, &services).await;
        }
        if !form_is_ours(&req, form.form_token.as_deref(), &page_data) {
            return Err(Refusal::Page(
                StatusCode::FORBIDDEN,
                "This sign-in form did not come from this page. Go back to the app and sign in \
                 again."
                    .into(),
            ));
        }
        let request = validate(&form.params, &authorizations, &page_data).await?;
        let actor = Actor::from_address(&address.0);
        match form.challenge.as_deref() {
            Some(challenge) => second_step(&request, &form, challenge, &actor, &services).await,
            None => first_step(&request, form, &address, &services).await,
        }
    };
    outcome.await.unwrap_or_else(Refusal::respond)
}

/// The password: a right one signs the browser in, or, for a user with a
/// second factor, asks for the code.
async fn first_step(
    request: &ValidRequest,
    form: SignInForm,
    address: &ClientAddress,
    services: &Services<'_>,
) -> Result<HttpResponse, Refusal> {
    let username = form.username.as_deref().unwrap_or_default();
    let again = |status: StatusCode, message: &str| {
        sign_in_page(
            status,
            request,
            &form.params,
            username,
            Some(message),
            services.page,
        )
    };
    let (Some(password), false) = (form.password.clone(), username.is_empty()) else {
        return Ok(again(
            StatusCode::BAD_REQUEST,
            "Enter your username and password.",
        ));
    };
    let user = match services
        .accounts
        .login(username, password, &address.0)
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => {
            return Ok(again(
                StatusCode::UNAUTHORIZED,
                "The username or password is wrong.",
            ));
        }
        Err(LoginError::Disabled) => {
            return Ok(again(
                StatusCode::FORBIDDEN,
                "This account is disabled. Ask an administrator.",
            ));
        }
        Err(LoginError::Throttled {
            retry_after_seconds,
        }) => {
            let message =
                format!("Too many failed sign-ins. Try again in {retry_after_seconds} seconds.");
            let response = again(StatusCode::TOO_MANY_REQUESTS, &message);
            return Ok(with_retry_after(response, retry_after_seconds));
        }
        Err(LoginError::Failed(failure)) => return Err(failure.into()),
    };
    if services.mfa.is_on(&user.id).await? {
        let challenge = services.authorizations.start_challenge(&user).await?;
        return Ok(code_page(
            StatusCode::OK,
            request,
            &form.params,
            &challenge,
            None,
            services.page,
        ));
    }
    let actor = Actor::from_address(&address.0);
    signed_in(request, &user, Factors::Password, &actor, services).await
}

/// The code, after a right password.
async fn second_step(
    request: &ValidRequest,
    form: &SignInForm,
    challenge: &str,
    actor: &Actor,
    services: &Services<'_>,
) -> Result<HttpResponse, Refusal> {
    let again = |status: StatusCode, message: &str| {
        code_page(
            status,
            request,
            &form.params,
            challenge,
            Some(message),
            services.page,
        )
    };
    let start_over = || {
        sign_in_page(
            StatusCode::BAD_REQUEST,
            request,
            &form.params,
            "",
            Some("That sign-in has ended. Enter your username and password again."),
            services.page,
        )
    };
    let Some(user) = services.authorizations.challenge_user(challenge).await? else {
        return Ok(start_over());
    };
    let code = form.otp.as_ref().map(ExposeSecret::expose_secret);
    let Some(code) = code.filter(|code| !code.trim().is_empty()) else {
        return Ok(again(StatusCode::BAD_REQUEST, "Enter the code."));
    };
    match services.mfa.verify(&user, code, actor).await {
        Ok(_) => {}
        Err(MfaError::WrongCode) => {
            return Ok(again(
                StatusCode::UNAUTHORIZED,
                "The code is wrong or was already used.",
            ));
        }
        Err(MfaError::Throttled {
            retry_after_seconds,
        }) => {
            let message =
                format!("Too many wrong codes. Try again in {retry_after_seconds} seconds.");
            let response = again(StatusCode::TOO_MANY_REQUESTS, &message);
            return Ok(with_retry_after(response, retry_after_seconds));
        }
        // Reset meanwhile, or a failure below.
        Err(MfaError::NotEnrolled(_) | MfaError::Required | MfaError::AlreadyOn) => {
            return Ok(start_over());
        }
        Err(MfaError::Failed(failure)) => return Err(failure.into()),
    }
    // Of two posts of one challenge, one signs in.
    if !services.authorizations.end_challenge(challenge).await? {
        return Ok(start_over());
    }
    signed_in(request, &user, Factors::PasswordAndCode, actor, services).await
}

/// Starts the browser session, sends the browser back with a code, and
/// clears the form cookie.
async fn signed_in(
    request: &ValidRequest,
    user: &User,
    factors: Factors,
    actor: &Actor,
    services: &Services<'_>,
) -> Result<HttpResponse, Refusal> {
    let authorizations = services.authorizations;
    let (cookie_value, session) = authorizations
        .sign_in(user, &request.client, factors, actor)
        .await?;
    let mut response = issue(request, user, &session, services).await?;
    let max_age = authorizations.browser_session_ms / 1000;
    let cookies = [
        session_cookie(services.page, cookie_value, max_age),
        form_cookie(services.page, AUTHORIZE_PATH, String::new(), 0),
    ];
    for cookie in cookies {
        response
            .add_cookie(&cookie)
            .map_err(|_| Refusal::Page(StatusCode::INTERNAL_SERVER_ERROR, String::new()))?;
    }
    Ok(response)
}

impl SignInPage {
    /// Whether a browser posted the request from one of this service's
    /// pages: its `Origin` and `Sec-Fetch-Site` say so when sent.
    pub(in crate::routes) fn posted_from_here(&self, req: &HttpRequest) -> bool {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        let origin_ok = header(ORIGIN.as_str()).is_none_or(|origin| origin == self.own_origin);
        let fetch_ok = header("sec-fetch-site").is_none_or(|site| site == "same-origin");
        origin_ok && fetch_ok
    }
}

/// The form's post came from our page: [`SignInPage::posted_from_here`],
/// and the form token matches the cookie the page set.
fn form_is_ours(req: &HttpRequest, form_token: Option<&str>, page: &SignInPage) -> bool {
    let cookie = req.cookie(FORM_COOKIE);
    let token_ok = match (cookie, form_token) {
        (Some(cookie), Some(token)) if !token.is_empty() => {
            bool::from(cookie.value().as_bytes().ct_eq(token.as_bytes()))
        }
        _ => false,
    };
    page.posted_from_here(req) && token_ok
}

/// The browser session: sent to `/v1/authorize` and `/v1/end-session`,
/// and on the top-level navigation from an app back to the page (Lax).
fn session_cookie(page: &SignInPage, value: String, max_age_seconds: i64) -> Cookie<'static> {
    page.cookie(
        SESSION_COOKIE,
        "/v1/",
        SameSite::Lax,
        value,
        max_age_seconds,
    )
}

/// The form token: only the page's own post carries it (Strict).
fn form_cookie(
    page: &SignInPage,
    path: &str,
    value: String,
    max_age_seconds: i64,
) -> Cookie<'static> {
    page.cookie(FORM_COOKIE, path, SameSite::Strict, value, max_age_seconds)
}

impl SignInPage {
    fn cookie(
        &self,
        name: &'static str,
        path: &str,
        same_site: SameSite,
        value: String,
        max_age_seconds: i64,
    ) -> Cookie<'static> {
        Cookie::build(name, value)
            .path(format!("{}{path}", self.path_prefix))
            .http_only(true)
            .secure(true)
            .same_site(same_site)
            .max_age(actix_web::cookie::time::Duration::seconds(max_age_seconds))
            .finish()
    }
}
