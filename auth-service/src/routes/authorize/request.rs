//! The authorization request (RFC 6749 4.1.1, OpenID Connect Core
//! 3.1.2.1): its parameters, checked in the order that keeps the endpoint
//! from being an open redirector (the client and its redirect URI first, as
//! a page; the rest after, back at the redirect URI), and the redirects.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Refusal, SignInPage};
use crate::authorization::{Authorizations, is_s256_challenge};
use crate::domain::{AAL2, GrantType, redirect_uri, scope};
use crate::routes::oauth_error::OAuthCode;
use crate::store::Client;

/// Longest `state` and `nonce` kept (OpenID Connect sets no bound; these
/// are far above what clients send).
const MAX_ECHOED_CHARS: usize = 1024;

/// The request's parameters (RFC 6749 4.1.1, OpenID Connect Core 3.1.2.1):
/// the query of a GET, the hidden fields of the page's form.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(in crate::routes) struct AuthorizeParams {
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
    /// Request objects are not supported: `request_not_supported`.
    #[param(ignore)]
    request: Option<String>,
    /// Request objects are not supported: `request_uri_not_supported`.
    #[param(ignore)]
    request_uri: Option<String>,
}

impl AuthorizeParams {
    /// The parameters the page's form carries on (as hidden fields).
    pub(super) fn carried(&self) -> Vec<(&'static str, &str)> {
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
            .into_iter()
            .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
            .collect()
    }
}

/// The page's form: the request, the credentials, the form token.
#[derive(Deserialize)]
pub(in crate::routes) struct SignInForm {
    #[serde(flatten)]
    pub(super) params: AuthorizeParams,
    pub(super) username: Option<String>,
    pub(super) password: Option<SecretString>,
    pub(super) form_token: Option<String>,
    /// The second step: whose password was right.
    pub(super) challenge: Option<String>,
    /// The second step: the one-time or recovery code.
    pub(super) otp: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prompt {
    Default,
    None,
    Login,
}

/// A request whose client and redirect URI are known and match.
pub(super) struct ValidRequest {
    pub(super) client: Client,
    pub(super) redirect_uri: String,
    pub(super) state: Option<String>,
    /// Asked for (within the client's); narrowed to the user's at issue.
    pub(super) scope: String,
    pub(super) code_challenge: String,
    pub(super) nonce: Option<String>,
    pub(super) prompt: Prompt,
    pub(super) max_age_ms: Option<i64>,
    pub(super) login_hint: Option<String>,
    /// `acr_values` asks for a second factor (`aal2`).
    pub(super) wants_aal2: bool,
}

/// Where the browser goes back to: `redirect_uri` with `pairs` and `iss`
/// added to its query.
pub(super) fn back_to(redirect_uri: &str, pairs: &[(&str, &str)], issuer: &str) -> String {
    with_query(redirect_uri, pairs.iter().copied().chain([("iss", issuer)]))
}

/// `uri` with `pairs` added to its query, form-encoded.
pub(super) fn with_query<'a>(
    uri: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", query.finish())
}

pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .finish()
}

impl ValidRequest {
    /// An error at the redirect URI.
    pub(super) fn error(&self, page: &SignInPage, code: OAuthCode, description: &str) -> Refusal {
        Refusal::Redirect(error_redirect(
            &self.redirect_uri,
            self.state.as_deref(),
            page,
            code,
            description,
        ))
    }
}

pub(super) fn error_redirect(
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
pub(super) async fn validate(
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
    if params.request.is_some() {
        return Err(redirect(
            OAuthCode::RequestNotSupported,
            "request objects are not supported: send the parameters themselves",
        ));
    }
    if params.request_uri.is_some() {
        return Err(redirect(
            OAuthCode::RequestUriNotSupported,
            "request objects are not supported: send the parameters themselves",
        ));
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
    let requested = scope::narrow(&scope::with_identity(&client.scopes), Some(requested))
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
        wants_aal2: params
            .acr_values
            .as_deref()
            .is_some_and(|values| values.split_ascii_whitespace().any(|v| v == AAL2)),
    })
}

/// The request's parameters, or a page saying they cannot be read
/// (a repeated parameter, RFC 6749 3.1).
pub(super) fn query_params<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, Refusal> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|_| {
            Refusal::Page(
                StatusCode::BAD_REQUEST,
                "The request's parameters cannot be read (each may appear once).".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
