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
//!   without the password; `prompt=login`, or a `max_age` older than the
//!   sign-in, asks again; `prompt=none` without a session answers
//!   `login_required`. More than one such cookie (cookie tossing) counts as
//!   none.
//! - The form post is checked by the server, not by SameSite alone: a
//!   browser's `Origin` must be this service's and `Sec-Fetch-Site` must
//!   not be cross-site or same-site, and the form carries a token equal to
//!   the `auth_form` cookie the page set (`SameSite=Strict`), compared in
//!   constant time. The page is HTML with one inline style allowed by its
//!   hash: no script, no other origin, no framing.

use std::sync::LazyLock;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, ORIGIN, REFERRER_POLICY,
    RETRY_AFTER, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::client_address::ClientAddress;
use super::oauth_error::OAuthCode;
use crate::accounts::{Accounts, LoginError};
use crate::audit::Actor;
use crate::authorization::{Authorizations, CodeRequest, is_s256_challenge};
use crate::domain::{GrantType, redirect_uri, scope};
use crate::failure::Failure;
use crate::passwords::HashError;
use crate::secret;
use crate::store::{BrowserSession, Client, User};

const SESSION_COOKIE: &str = "auth_session";
const FORM_COOKIE: &str = "auth_form";
/// Longest `state` and `nonce` kept (OpenID Connect sets no bound; these
/// are far above what clients send).
const MAX_ECHOED_CHARS: usize = 1024;

/// What the page needs to know of this service (app data).
#[derive(Debug, Clone)]
pub struct SignInPage {
    /// `iss` of the answers (RFC 9207): `JWT_ISSUER`.
    issuer: String,
    /// This service's origin, for the form's `Origin` check.
    own_origin: String,
    /// The public URL's path, under which the cookies are scoped.
    path_prefix: String,
}

impl SignInPage {
    /// For the service at `public_url` that issues as `issuer`.
    pub fn new(public_url: &str, issuer: &str) -> Self {
        let (own_origin, path_prefix) = match url::Url::parse(public_url) {
            Ok(url) => (
                url.origin().ascii_serialization(),
                url.path().trim_end_matches('/').to_owned(),
            ),
            Err(_) => (public_url.trim_end_matches('/').to_owned(), String::new()),
        };
        Self {
            issuer: issuer.to_owned(),
            own_origin,
            path_prefix,
        }
    }
}

/// The request's parameters (RFC 6749 4.1.1, OpenID Connect Core 3.1.2.1):
/// the query of a GET, the hidden fields of the page's form.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuthorizeParams {
    /// `code`, the only response type served.
    #[param(required = true, example = "code")]
    response_type: Option<String>,
    /// A registered client with the `authorization_code` grant.
    #[param(required = true)]
    client_id: Option<String>,
    /// One of the client's redirect URIs, exactly (any port for `http` on
    /// a loopback host).
    #[param(required = true)]
    redirect_uri: Option<String>,
    /// Space-separated, within the client's scopes; the client's scopes
    /// when absent. Granted as far as the user holds them.
    scope: Option<String>,
    /// Sent back unchanged.
    state: Option<String>,
    /// BASE64URL(SHA-256(code_verifier)), 43 characters (RFC 7636).
    #[param(required = true)]
    code_challenge: Option<String>,
    /// `S256` (`plain` is refused).
    #[param(required = true, example = "S256")]
    code_challenge_method: Option<String>,
    /// Kept with the code.
    nonce: Option<String>,
    /// `none` (no page: a code, or `login_required`) or `login` (ask for
    /// the password even when signed in).
    prompt: Option<String>,
    /// Seconds since the user last typed the password, at most.
    max_age: Option<String>,
    /// The username to fill in.
    login_hint: Option<String>,
    /// Accepted; `aal1` is all this service asserts today.
    acr_values: Option<String>,
}

impl AuthorizeParams {
    /// The parameters as hidden fields, so that the form's post carries
    /// the request on.
    fn hidden_fields(&self) -> String {
        let fields = [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("nonce", &self.nonce),
            ("prompt", &self.prompt),
            ("max_age", &self.max_age),
            ("acr_values", &self.acr_values),
        ];
        fields
            .iter()
            .filter_map(|(name, value)| {
                value.as_deref().map(|value| {
                    format!(
                        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
                        escape(value)
                    )
                })
            })
            .collect()
    }
}

/// The page's form: the request, the credentials, the form token.
#[derive(Deserialize)]
pub(super) struct SignInForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    username: Option<String>,
    password: Option<SecretString>,
    form_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    Default,
    None,
    Login,
}

/// A request whose client and redirect URI are known and match.
struct ValidRequest {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
    /// Asked for (within the client's); narrowed to the user's at issue.
    scope: String,
    code_challenge: String,
    nonce: Option<String>,
    prompt: Prompt,
    max_age_ms: Option<i64>,
    login_hint: Option<String>,
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
        match failure {
            Failure::Hashing(HashError::Busy) => Self::Page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many sign-ins at once. Try again in a moment.".into(),
            ),
            other => {
                tracing::error!(error = %other, "the sign-in page failed");
                Self::Page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Signing in is unavailable right now. Try again in a moment.".into(),
                )
            }
        }
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(error: crate::store::StoreError) -> Self {
        Failure::from(error).into()
    }
}

/// Where the browser goes back to: `redirect_uri` with `pairs` and `iss`
/// added to its query.
fn back_to(redirect_uri: &str, pairs: &[(&str, &str)], issuer: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.append_pair("iss", issuer);
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{separator}{}", query.finish())
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .finish()
}

impl ValidRequest {
    /// An error at the redirect URI.
    fn error(&self, page: &SignInPage, code: OAuthCode, description: &str) -> Refusal {
        Refusal::Redirect(error_redirect(
            &self.redirect_uri,
            self.state.as_deref(),
            page,
            code,
            description,
        ))
    }
}

fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    page: &SignInPage,
    code: OAuthCode,
    description: &str,
) -> String {
    let mut pairs = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    back_to(redirect_uri, &pairs, &page.issuer)
}

/// Checks a request: its client and redirect URI first (a page), the rest
/// after (errors at the redirect URI).
async fn validate(
    params: &AuthorizeParams,
    authorizations: &Authorizations,
    page: &SignInPage,
) -> Result<ValidRequest, Refusal> {
    let bad = |message: &str| Refusal::Page(StatusCode::BAD_REQUEST, message.to_owned());
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| bad("The request names no client (client_id)."))?;
    let client = authorizations
        .store
        .find_client(client_id)
        .await?
        .ok_or_else(|| bad("The request names a client this service does not know."))?;
    let redirect_uri = params
        .redirect_uri
        .clone()
        .ok_or_else(|| bad("The request has no redirect_uri."))?;
    if !redirect_uri::is_registered(&client.redirect_uris, &redirect_uri) {
        return Err(bad(
            "The redirect_uri is not one registered for this client.",
        ));
    }
    let state = params.state.clone();
    let redirect = |code: OAuthCode, description: &str| {
        Refusal::Redirect(error_redirect(
            &redirect_uri,
            state.as_deref(),
            page,
            code,
            description,
        ))
    };
    if state
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_ECHOED_CHARS)
    {
        return Err(redirect(OAuthCode::InvalidRequest, "state is too long"));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        Some(_) => {
            return Err(redirect(
                OAuthCode::UnsupportedResponseType,
                "only response_type=code is served",
            ));
        }
        None => {
            return Err(redirect(
                OAuthCode::InvalidRequest,
                "response_type is required",
            ));
        }
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(redirect(
            OAuthCode::UnauthorizedClient,
            "this client may not use the authorization_code grant",
        ));
    }
    let code_challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => challenge.to_owned(),
        (Some(_), Some("S256")) => {
            return Err(redirect(
                OAuthCode::InvalidRequest,
                "code_challenge must be 43 base64url characters (S256)",
            ));
        }
        (None, _) => {
            return Err(redirect(
                OAuthCode::InvalidRequest,
                "code_challenge is required (PKCE, S256)",
            ));
        }
        (Some(_), _) => {
            return Err(redirect(
                OAuthCode::InvalidRequest,
                "code_challenge_method must be S256",
            ));
        }
    };
    let requested = params.scope.as_deref().unwrap_or(&client.scopes);
    let requested = scope::narrow(&client.scopes, Some(requested))
        .map_err(|why| redirect(OAuthCode::InvalidScope, &why))?;
    let prompt = match params.prompt.as_deref().map(str::trim) {
        None | Some("") => Prompt::Default,
        Some("none") => Prompt::None,
        Some("login") => Prompt::Login,
        // No consent or account chooser here: nothing more to ask.
        Some("consent" | "select_account") => Prompt::Default,
        Some(_) => {
            return Err(redirect(
                OAuthCode::InvalidRequest,
                "prompt must be none or login",
            ));
        }
    };
    let max_age_ms = match params.max_age.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<u32>()
                .map(|seconds| i64::from(seconds) * 1000)
                .map_err(|_| {
                    redirect(
                        OAuthCode::InvalidRequest,
                        "max_age must be a number of seconds",
                    )
                })?,
        ),
    };
    let nonce = params.nonce.clone();
    if nonce
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_ECHOED_CHARS)
    {
        return Err(redirect(OAuthCode::InvalidRequest, "nonce is too long"));
    }
    Ok(ValidRequest {
        client,
        redirect_uri,
        state,
        scope: requested,
        code_challenge,
        nonce,
        prompt,
        max_age_ms,
        login_hint: params.login_hint.clone(),
    })
}

/// The browser session of the request, if exactly one cookie names a live one.
async fn current_session(
    req: &HttpRequest,
    authorizations: &Authorizations,
) -> Result<Option<(BrowserSession, User)>, Refusal> {
    let mut cookies = req
        .cookies()
        .map(|cookies| {
            cookies
                .iter()
                .filter(|cookie| cookie.name() == SESSION_COOKIE)
                .map(|cookie| cookie.value().to_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if cookies.len() != 1 {
        return Ok(None);
    }
    let id = cookies.pop().unwrap_or_default();
    Ok(authorizations.browser_session(&id).await?)
}

/// Sends the browser back with a code for `user`.
async fn issue(
    request: &ValidRequest,
    user: &User,
    session: &BrowserSession,
    authorizations: &Authorizations,
    accounts: &Accounts,
    page: &SignInPage,
) -> Result<HttpResponse, Refusal> {
    // What the user holds now bounds what the client asked for.
    let scope = scope::intersection(&request.scope, accounts.granted(user));
    let code = authorizations
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
        &page.issuer,
    )))
}

/// The request's parameters, or a page saying they cannot be read
/// (a repeated parameter, RFC 6749 3.1).
fn query_params(req: &HttpRequest) -> Result<AuthorizeParams, Refusal> {
    web::Query::<AuthorizeParams>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|_| {
            Refusal::Page(
                StatusCode::BAD_REQUEST,
                "The request's parameters cannot be read (each may appear once).".into(),
            )
        })
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
    accounts: web::Data<Accounts>,
    page_data: web::Data<SignInPage>,
) -> HttpResponse {
    let outcome = async {
        let params = query_params(&req)?;
        let request = validate(&params, &authorizations, &page_data).await?;
        let session = current_session(&req, &authorizations).await?;
        let now = authorizations.clock.now_ms();
        let fresh = |session: &BrowserSession| {
            request.prompt != Prompt::Login
                && request
                    .max_age_ms
                    .is_none_or(|max_age| now - session.auth_time <= max_age)
        };
        match session {
            Some((session, user)) if fresh(&session) => {
                issue(
                    &request,
                    &user,
                    &session,
                    &authorizations,
                    &accounts,
                    &page_data,
                )
                .await
            }
            _ if request.prompt == Prompt::None => Err(request.error(
                &page_data,
                OAuthCode::LoginRequired,
                "the user is not signed in",
            )),
            _ => Ok(sign_in_page(
                StatusCode::OK,
                &request,
                &params,
                request.login_hint.as_deref().unwrap_or_default(),
                None,
                &page_data,
            )),
        }
    };
    outcome.await.unwrap_or_else(Refusal::respond)
}

/// The sign-in page's form: the request's parameters, `username`,
/// `password` and `form_token`.
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
        (status = 303, description = "Signed in: back to the redirect URI with `code`, `state`, `iss`."),
        (status = 400, description = "The page again: a field is missing; or a page: the request is not valid.", content_type = "text/html"),
        (status = 401, description = "The page again: the username or password is wrong.", content_type = "text/html"),
        (status = 403, description = "The page again: the account is disabled; or a page: the form did not come from this page.", content_type = "text/html"),
        (status = 429, description = "The page again: too many failed sign-ins; see `Retry-After`.", content_type = "text/html"),
        (status = 503, description = "A page: too many sign-ins at once, or the database cannot answer now.", content_type = "text/html"),
    ),
)]
pub(super) async fn sign_in(
    req: HttpRequest,
    address: ClientAddress,
    authorizations: web::Data<Authorizations>,
    accounts: web::Data<Accounts>,
    page_data: web::Data<SignInPage>,
    form: Result<web::Form<SignInForm>, actix_web::Error>,
) -> HttpResponse {
    let outcome = async {
        let web::Form(form) = form.map_err(|_| {
            Refusal::Page(
                StatusCode::BAD_REQUEST,
                "The sign-in form could not be read.".into(),
            )
        })?;
        if !form_is_ours(&req, form.form_token.as_deref(), &page_data) {
            return Err(Refusal::Page(
                StatusCode::FORBIDDEN,
                "This sign-in form did not come from this page. Go back to the app and sign in \
                 again."
                    .into(),
            ));
        }
        let request = validate(&form.params, &authorizations, &page_data).await?;
        let username = form.username.as_deref().unwrap_or_default();
        let again = |status: StatusCode, message: &str| {
            sign_in_page(
                status,
                &request,
                &form.params,
                username,
                Some(message),
                &page_data,
            )
        };
        let (Some(password), false) = (form.password, username.is_empty()) else {
            return Ok(again(
                StatusCode::BAD_REQUEST,
                "Enter your username and password.",
            ));
        };
        let user = match accounts.login(username, password, &address.0).await {
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
                let mut response = again(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!(
                        "Too many failed sign-ins. Try again in {retry_after_seconds} seconds."
                    ),
                );
                response.headers_mut().insert(
                    RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(retry_after_seconds),
                );
                return Ok(response);
            }
            Err(LoginError::Failed(failure)) => return Err(failure.into()),
        };
        let actor = Actor::from_address(&address.0);
        let (cookie_value, session) = authorizations
            .sign_in(&user, &request.client, &actor)
            .await?;
        let mut response = issue(
            &request,
            &user,
            &session,
            &authorizations,
            &accounts,
            &page_data,
        )
        .await?;
        let max_age = authorizations.browser_session_ms / 1000;
        let cookies = [
            session_cookie(&page_data, cookie_value, max_age),
            form_cookie(&page_data, String::new(), 0),
        ];
        for cookie in cookies {
            response
                .add_cookie(&cookie)
                .map_err(|_| Refusal::Page(StatusCode::INTERNAL_SERVER_ERROR, String::new()))?;
        }
        Ok(response)
    };
    outcome.await.unwrap_or_else(Refusal::respond)
}

/// The form's post came from our page: the browser's `Origin` and
/// `Sec-Fetch-Site` say so when sent, and the form token matches the
/// cookie the page set.
fn form_is_ours(req: &HttpRequest, form_token: Option<&str>, page: &SignInPage) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let origin_ok = header(ORIGIN.as_str()).is_none_or(|origin| origin == page.own_origin);
    let fetch_ok = header("sec-fetch-site").is_none_or(|site| site == "same-origin");
    let cookie = req.cookie(FORM_COOKIE);
    let token_ok = match (cookie, form_token) {
        (Some(cookie), Some(token)) if !token.is_empty() => {
            bool::from(cookie.value().as_bytes().ct_eq(token.as_bytes()))
        }
        _ => false,
    };
    origin_ok && fetch_ok && token_ok
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
fn form_cookie(page: &SignInPage, value: String, max_age_seconds: i64) -> Cookie<'static> {
    page.cookie(
        FORM_COOKIE,
        "/v1/authorize",
        SameSite::Strict,
        value,
        max_age_seconds,
    )
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

/// The sign-in form, with a new form token in its cookie.
fn sign_in_page(
    status: StatusCode,
    request: &ValidRequest,
    params: &AuthorizeParams,
    username: &str,
    error: Option<&str>,
    page_data: &SignInPage,
) -> HttpResponse {
    let token = secret::random(32);
    let error = error
        .map(|message| {
            format!(
                "<p class=\"error\" role=\"alert\">{}</p>\n",
                escape(message)
            )
        })
        .unwrap_or_default();
    let autofocus = |is_it: bool| if is_it { " autofocus" } else { "" };
    let body = format!(
        "<p class=\"client\">to continue to <strong>{client}</strong></p>\n{error}\
         <form method=\"post\" action=\"authorize\">\n{hidden}\
         <input type=\"hidden\" name=\"form_token\" value=\"{token}\">\n\
         <label>Username <input type=\"text\" name=\"username\" value=\"{username}\" \
         autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required{focus_name}></label>\n\
         <label>Password <input type=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required{focus_password}></label>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n",
        client = escape(&request.client.name),
        hidden = params.hidden_fields(),
        username = escape(username),
        focus_name = autofocus(username.is_empty()),
        focus_password = autofocus(!username.is_empty()),
    );
    let mut response = page_with(
        status,
        "Sign in",
        &body,
        &form_action(&request.redirect_uri),
    );
    // A new token each time the form is shown; adding a cookie to a
    // response we built cannot fail.
    let _ = response.add_cookie(&form_cookie(page_data, token, 600));
    response
}

/// `form-action` allows the redirect the post answers with (Chromium
/// checks the redirect against it too).
fn form_action(redirect_uri: &str) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            format!("'self' {}", url.origin().ascii_serialization())
        }
        Ok(url) => format!("'self' {}:", url.scheme()),
        Err(_) => "'self'".to_owned(),
    }
}

fn message_html(message: &str) -> String {
    format!(
        "<p class=\"error\" role=\"alert\">{}</p>\n",
        escape(message)
    )
}

/// The page's one style, allowed by its hash.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(include_str!("../../pages/sign-in.css").as_bytes());
    format!("'sha256-{}'", STANDARD.encode(digest))
});

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    page_with(status, title, body, "'none'")
}

fn page_with(status: StatusCode, title: &str, body: &str, form_action: &str) -> HttpResponse {
    let html = include_str!("../../pages/sign-in.html")
        .replace("{{style}}", include_str!("../../pages/sign-in.css"))
        .replace("{{title}}", &escape(title))
        .replace("{{body}}", body);
    let policy = format!(
        "default-src 'none'; style-src {}; form-action {form_action}; base-uri 'none'; \
         frame-ancestors 'none'",
        STYLE_HASH.as_str()
    );
    let mut response = HttpResponseBuilder::new(status);
    response
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CONTENT_SECURITY_POLICY, policy))
        .insert_header((X_FRAME_OPTIONS, "DENY"))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .insert_header((CACHE_CONTROL, "no-store"));
    response.body(html)
}

/// Text for HTML, in an element or an attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_elements_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_form_may_post_to_the_redirect_only() {
        assert_eq!(
            form_action("https://app.example.com:8443/cb?x=1"),
            "'self' https://app.example.com:8443"
        );
        assert_eq!(
            form_action("com.example.app:/cb"),
            "'self' com.example.app:"
        );
    }

    #[test]
    fn errors_go_back_with_state_and_iss() {
        let page = SignInPage::new("http://localhost:8081", "http://localhost:8081");
        let location = error_redirect(
            "https://app.example.com/cb?tenant=a",
            Some("s t"),
            &page,
            OAuthCode::LoginRequired,
            "the user is not signed in",
        );
        assert_eq!(
            location,
            "https://app.example.com/cb?tenant=a&error=login_required&error_description=the+user+is+not+signed+in&state=s+t&iss=http%3A%2F%2Flocalhost%3A8081"
        );
    }
}
