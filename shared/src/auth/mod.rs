//! The actix-web side of the token: who is calling, and may they.
//!
//! Policy (RFC 6750, RFC 7235): the token comes only from one
//! `Authorization` header with the scheme `Bearer` or `JWT` (the latter for
//! Flask-JWT clients), matched case-insensitively. A token in the query
//! string, two `Authorization` headers or any malformed value is refused.
//! No credentials: 401 with a bare `WWW-Authenticate: Bearer realm=...`.
//! A bad token: 401 with `error="invalid_token"`. A missing scope: 403 with
//! `error="insufficient_scope"`. A token whose sign-in falls short of what
//! the route or scope asks ([`StepUp`]): 401 with
//! `error="insufficient_user_authentication"` and `acr_values` / `max_age`
//! (RFC 9470). A 401 names the resource's RFC 9728
//! metadata when the service has any (`resource_metadata="..."`). A token
//! naming a key id the ring lacks waits, bounded, for the one fetch it may
//! ask for ([`Keys::refresh_for_unknown_kid`]). The token itself is never
//! logged.
//!
//! [`Keys::refresh_for_unknown_kid`]: crate::token::Keys::refresh_for_unknown_kid

use std::fmt;
use std::future::{Ready, ready};
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::{Either, LocalBoxFuture};

use crate::problem::Problem;
use crate::token::{Claims, TokenVerifier, VerifyError};

mod step_up;
pub use step_up::{StepUp, StepUpPolicy};

/// How a route renders its errors. The default is RFC 9457 problem details;
/// the Flask-compatible routes register `ErrorStyle::Flask` as route data.
///
/// ```
/// use actix_web::web;
/// use shared::auth::ErrorStyle;
///
/// let resource = web::resource("/item/{name}").app_data(ErrorStyle::Flask);
/// # let _ = resource;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `application/problem+json` (RFC 9457).
    #[default]
    Problem,
    /// The bodies Flask-JWT and Flask-RESTful clients expect.
    Flask,
}

impl ErrorStyle {
    /// The style the matched route asked for.
    pub fn of(req: &HttpRequest) -> Self {
        req.app_data::<ErrorStyle>().copied().unwrap_or_default()
    }
}

/// What the extractors need: the verifier and the realm named in
/// challenges. Register it as `web::Data<Authenticator>`; handlers then take
/// [`Caller`] (any valid token) or [`Authorized<S>`] (a token with scope `S`).
///
/// ```
/// use std::sync::Arc;
/// use actix_web::{test::TestRequest, ResponseError as _};
/// use shared::auth::Authenticator;
/// use shared::token::{KeyRing, TokenSigner, TokenVerifier};
///
/// let ring = Arc::new(KeyRing::single_hmac(&[9; 32]).expect("ring"));
/// let signer = TokenSigner::new(ring.clone(), "auth-service", ["reports-service"], 900);
/// let verifier = TokenVerifier::new(ring, "auth-service", "reports-service", 30);
/// let auth = Authenticator::new(verifier, "reports-service");
///
/// let token = signer.issue("user-1", "alice", "reports:read").expect("signed").access_token;
/// let request = TestRequest::default()
///     .insert_header(("Authorization", format!("Bearer {token}")))
///     .to_http_request();
/// let caller = auth.authenticate(&request).expect("a valid token");
/// assert_eq!((caller.user_id(), caller.username()), ("user-1", "alice"));
/// assert!(caller.has_scope("reports:read") && !caller.has_scope("reports:write"));
///
/// // No token: 401 with the RFC 6750 challenge.
/// let refused = auth.authenticate(&TestRequest::default().to_http_request()).expect_err("no token");
/// let response = refused.error_response();
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.headers().get("WWW-Authenticate").expect("a challenge"), r#"Bearer realm="reports-service""#);
/// ```
#[derive(Debug, Clone)]
pub struct Authenticator {
    verifier: TokenVerifier,
    realm: String,
    resource_metadata: Option<String>,
}

/// Why a request was not authenticated, before it is logged and counted.
struct Refusal {
    kind: AuthErrorKind,
    reason: &'static str,
}

/// What the extractors return: ready at once, unless a fetch of keys is awaited.
type AuthFuture<T> =
    Either<Ready<Result<T, AuthError>>, LocalBoxFuture<'static, Result<T, AuthError>>>;

impl Authenticator {
    /// `realm` must be plain text without quotes or backslashes.
    pub fn new(verifier: TokenVerifier, realm: impl Into<String>) -> Self {
        let realm: String = realm.into();
        let realm = realm.replace(['"', '\\'], "");
        Self {
            verifier,
            realm,
            resource_metadata: None,
        }
    }

    /// Names the service's RFC 9728 metadata URL in every 401 challenge
    /// (`resource_metadata="..."`, RFC 9728 5.1).
    pub fn with_resource_metadata(self, url: impl Into<String>) -> Self {
        let url: String = url.into();
        Self {
            resource_metadata: Some(url.replace(['"', '\\'], "")),
            ..self
        }
    }

    /// The verifier behind this authenticator.
    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    /// Authenticates a request with the keys at hand (the extractors also
    /// wait for a fetch of keys a token may need).
    pub fn authenticate(&self, req: &HttpRequest) -> Result<Caller, AuthError> {
        self.check(req).map_err(|refusal| self.refuse(req, refusal))
    }

    fn check(&self, req: &HttpRequest) -> Result<Caller, Refusal> {
        let header_refusal = |kind| Refusal {
            reason: match kind {
                AuthErrorKind::Missing => "missing",
                _ => "bad_authorization_header",
            },
            kind,
        };
        let header = authorization(req).map_err(header_refusal)?;
        // A token this thread verified lately is known by its bytes alone,
        // before they are read as text (`token_text` would find the same).
        let remembered = after_scheme(header).and_then(|token| self.verifier.remembered(token));
        let verified = match remembered {
            Some(answer) => answer,
            None => self
                .verifier
                .verify_remembered(token_text(header).map_err(header_refusal)?),
        };
        match verified {
            Ok(claims) => {
                // The request span is at INFO; below it there is none to
                // mark, and looking for the current span costs every read.
                if tracing::level_enabled!(tracing::Level::INFO) {
                    tracing::Span::current().record("user_id", claims.sub.as_str());
                }
                Ok(Caller { claims })
            }
            Err(rejection) => Err(Refusal {
                reason: rejection.reason(),
                kind: AuthErrorKind::InvalidToken(rejection.to_string()),
            }),
        }
    }

    /// Logs and counts a refusal; the answer it becomes.
    fn refuse(&self, req: &HttpRequest, refusal: Refusal) -> AuthError {
        if matches!(refusal.kind, AuthErrorKind::InvalidToken(_)) {
            tracing::info!(reason = refusal.reason, "access token refused");
        }
        record_rejection(refusal.reason);
        self.error(req, refusal.kind)
    }

    fn error(&self, req: &HttpRequest, kind: AuthErrorKind) -> AuthError {
        AuthError {
            kind,
            realm: self.realm.clone(),
            resource_metadata: self.resource_metadata.clone(),
            style: ErrorStyle::of(req),
        }
    }
}

/// The extractors' path: [`Authenticator::authenticate`], except that a
/// token naming a key the ring lacks waits for the fetch it may ask for and
/// is then checked once more.
fn authenticate_request(req: &HttpRequest) -> AuthFuture<Caller> {
    let Some(auth) = req.app_data::<web::Data<Authenticator>>() else {
        return Either::Left(ready(Err(misconfigured(req))));
    };
    match auth.check(req) {
        Ok(caller) => Either::Left(ready(Ok(caller))),
        Err(refusal) if refusal.reason == VerifyError::UnknownKey.reason() => {
            match auth.verifier.keys().refresh_for_unknown_kid() {
                Some(fetched) => {
                    let (auth, req) = (auth.clone(), req.clone());
                    Either::Right(Box::pin(async move {
                        fetched.await;
                        auth.check(&req)
                            .map_err(|refusal| auth.refuse(&req, refusal))
                    }))
                }
                None => Either::Left(ready(Err(auth.refuse(req, refusal)))),
            }
        }
        Err(refusal) => Either::Left(ready(Err(auth.refuse(req, refusal)))),
    }
}

/// Where refusals are counted: set once by the platform's metrics
/// (`shared::metrics::init`), so that this module imports no metrics; a
/// service without them counts nothing.
static REJECTION_COUNTER: OnceLock<fn(&'static str)> = OnceLock::new();

/// Counts every refused token from now on with `count(reason)`, `reason`
/// being a [`VerifyError::reason`] or one of [`HEADER_REJECTIONS`]. The
/// first call wins.
///
/// [`VerifyError::reason`]: crate::token::VerifyError::reason
pub fn count_rejections_with(count: fn(&'static str)) {
    let _first = REJECTION_COUNTER.set(count);
}

fn record_rejection(reason: &'static str) {
    if let Some(count) = REJECTION_COUNTER.get() {
        count(reason);
    }
}

/// Refusals that are not [`VerifyError`]'s: before any token is verified,
/// and a valid token whose sign-in falls short ([`StepUp`]).
///
/// [`VerifyError`]: crate::token::VerifyError
pub const HEADER_REJECTIONS: [&str; 3] = ["missing", "bad_authorization_header", STEP_UP_REJECTION];

/// The reason a step-up refusal is counted under.
const STEP_UP_REJECTION: &str = "insufficient_user_authentication";

/// The request's one `Authorization` header, when no token rides in the
/// query string.
fn authorization(req: &HttpRequest) -> Result<&[u8], AuthErrorKind> {
    let invalid = |why: &str| AuthErrorKind::InvalidToken(why.to_owned());
    let in_query = req
        .query_string()
        .split('&')
        .any(|pair| pair.split('=').next() == Some("access_token"));
    if in_query {
        return Err(invalid(
            "tokens in the query string are not accepted; send an Authorization header",
        ));
    }
    let mut headers = req.headers().get_all(AUTHORIZATION);
    let Some(header) = headers.next() else {
        return Err(AuthErrorKind::Missing);
    };
    if headers.next().is_some() {
        return Err(invalid(
            "the request has more than one Authorization header",
        ));
    }
    Ok(header.as_bytes())
}

/// The token in an `Authorization` header, or why there is none.
fn token_text(header: &[u8]) -> Result<&str, AuthErrorKind> {
    plain_bearer(header).map_or_else(|| token_in(header), Ok)
}

/// What follows `Bearer ` or `JWT ` (any case, one space), as sent: bytes
/// not yet checked.
fn after_scheme(header: &[u8]) -> Option<&[u8]> {
    let space = header.iter().take(7).position(|&b| b == b' ')?;
    let (scheme, token) = (&header[..space], &header[space + 1..]);
    (scheme.eq_ignore_ascii_case(b"bearer") || scheme.eq_ignore_ascii_case(b"jwt")).then_some(token)
}

/// `Bearer <token>` or `JWT <token>`, one space, a token of visible ASCII
/// without spaces: what nearly every request sends, found in one pass over
/// the token. Anything else goes by [`token_in`]'s rules, which agree on
/// these and take three passes.
fn plain_bearer(header: &[u8]) -> Option<&str> {
    let token = after_scheme(header)?;
    let plain = token.iter().fold(!token.is_empty(), |all, &b| {
        all & (b.wrapping_sub(b'!') < 0x5e)
    });
    plain.then(|| std::str::from_utf8(token).ok()).flatten()
}

/// The token in an `Authorization` header's value, or why there is none.
fn token_in(header: &[u8]) -> Result<&str, AuthErrorKind> {
    let invalid = |why: &str| AuthErrorKind::InvalidToken(why.to_owned());
    let value = visible_ascii(header)
        .ok_or_else(|| invalid("the Authorization header is not visible ASCII"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("jwt") {
        // RFC 6750 3.1: an unsupported scheme is answered like no credentials.
        return Err(AuthErrorKind::Missing);
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Err(invalid(
            "the Authorization header has no token after the scheme",
        ));
    }
    if token.contains(' ') {
        return Err(invalid("the Authorization header has more than one token"));
    }
    Ok(token)
}

/// The header as text when every byte is visible ASCII or a tab (what
/// `HeaderValue::to_str` accepts). `to_str` stops at the first bad byte and
/// so checks one byte at a time; this form vectorises, and a token header
/// is some hundreds of bytes on every request.
fn visible_ascii(bytes: &[u8]) -> Option<&str> {
    let visible = bytes.iter().fold(true, |all, &b| {
        all & ((b == b'\t') | (b.wrapping_sub(b' ') < 0x5f))
    });
    visible.then(|| std::str::from_utf8(bytes).ok()).flatten()
}

/// The authenticated caller: a verified token's claims (see
/// [`Authenticator`] for an example).
#[derive(Debug, Clone)]
pub struct Caller {
    claims: Arc<Claims>,
}

impl Caller {
    /// The user's id (`sub`).
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    /// The user's name (`username`).
    pub fn username(&self) -> &str {
        &self.claims.username
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.claims.has_scope(scope)
    }

    /// Every verified claim.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
}

fn misconfigured(req: &HttpRequest) -> AuthError {
    tracing::error!("no Authenticator registered as app data");
    AuthError {
        kind: AuthErrorKind::Misconfigured,
        realm: String::new(),
        resource_metadata: None,
        style: ErrorStyle::of(req),
    }
}

/// Extracts the caller from a valid access token; any scope.
///
/// ```
/// use shared::auth::Caller;
///
/// async fn whoami(caller: Caller) -> String {
///     caller.username().to_owned()
/// }
/// # let _ = actix_web::web::get().to(whoami);
/// ```
impl FromRequest for Caller {
    type Error = AuthError;
    type Future = AuthFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        then_check(req, authenticate_request(req), |caller, req| {
            stepped_up(&caller, req, None).map(|()| caller)
        })
    }
}

/// `check` after `authenticated`, at once when it is ready.
fn then_check<T: 'static>(
    req: &HttpRequest,
    authenticated: AuthFuture<Caller>,
    check: fn(Caller, &HttpRequest) -> Result<T, AuthError>,
) -> AuthFuture<T> {
    match authenticated {
        Either::Left(now) => Either::Left(ready(now.into_inner().and_then(|c| check(c, req)))),
        // Only a wait for keys holds on to the request.
        Either::Right(later) => {
            let req = req.clone();
            Either::Right(Box::pin(
                async move { later.await.and_then(|c| check(c, &req)) },
            ))
        }
    }
}

/// Whether the caller's sign-in meets the route's [`StepUp`] (route data)
/// and the one the [`StepUpPolicy`] asks for `scope`; 401
/// `insufficient_user_authentication` naming the first unmet.
fn stepped_up(caller: &Caller, req: &HttpRequest, scope: Option<&str>) -> Result<(), AuthError> {
    let route = req.app_data::<StepUp>();
    let by_scope = scope.and_then(|scope| {
        req.app_data::<web::Data<StepUpPolicy>>()
            .and_then(|policy| policy.for_scope(scope))
    });
    if route.is_none() && by_scope.is_none() {
        return Ok(());
    }
    let Some(auth) = req.app_data::<web::Data<Authenticator>>() else {
        return Err(misconfigured(req));
    };
    let now = auth.verifier.clock().now_seconds();
    match [route, by_scope]
        .into_iter()
        .flatten()
        .find(|needed| !needed.is_met_by(caller.claims(), now))
    {
        None => Ok(()),
        Some(unmet) => {
            tracing::info!(reason = STEP_UP_REJECTION, "access token refused");
            record_rejection(STEP_UP_REJECTION);
            Err(auth.error(
                req,
                AuthErrorKind::InsufficientUserAuthentication(unmet.clone()),
            ))
        }
    }
}

/// A scope a route can require, as a type: see [`Authorized`].
///
/// ```
/// use shared::auth::{Authorized, RequiredScope};
///
/// struct ItemsWrite;
/// impl RequiredScope for ItemsWrite {
///     const SCOPE: &'static str = "items:write";
/// }
///
/// async fn delete_item(caller: Authorized<ItemsWrite>) -> String {
///     format!("deleted by {}", caller.username())
/// }
/// # let _ = actix_web::web::delete().to(delete_item);
/// ```
pub trait RequiredScope {
    /// The scope string, e.g. `items:write`.
    const SCOPE: &'static str;
}

/// Extracts the caller and requires the scope `S` (403 without it).
///
/// ```
/// use shared::auth::{Authorized, RequiredScope};
///
/// struct ReportsRead;
/// impl RequiredScope for ReportsRead {
///     const SCOPE: &'static str = "reports:read";
/// }
///
/// async fn report(caller: Authorized<ReportsRead>) -> String {
///     format!("report for {}", caller.username())
/// }
/// # let _ = actix_web::web::get().to(report);
/// ```
pub struct Authorized<S> {
    caller: Caller,
    scope: PhantomData<fn() -> S>,
}

impl<S> Deref for Authorized<S> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<S: RequiredScope + 'static> FromRequest for Authorized<S> {
    type Error = AuthError;
    type Future = AuthFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        then_check(req, authenticate_request(req), Self::with_scope)
    }
}

impl<S: RequiredScope> Authorized<S> {
    /// `caller` if its token grants `S` (else 403 `insufficient_scope`) and
    /// its sign-in meets what the route and `S` ask (else 401
    /// `insufficient_user_authentication`).
    fn with_scope(caller: Caller, req: &HttpRequest) -> Result<Self, AuthError> {
        if caller.has_scope(S::SCOPE) {
            stepped_up(&caller, req, Some(S::SCOPE))?;
            return Ok(Self {
                caller,
                scope: PhantomData,
            });
        }
        Err(match req.app_data::<web::Data<Authenticator>>() {
            Some(auth) => auth.error(req, AuthErrorKind::InsufficientScope(S::SCOPE)),
            None => misconfigured(req),
        })
    }
}

#[derive(Debug, Clone)]
enum AuthErrorKind {
    Missing,
    InvalidToken(String),
    InsufficientScope(&'static str),
    InsufficientUserAuthentication(StepUp),
    Misconfigured,
}

/// A refused request: 401 or 403 with the RFC 6750 challenge, in the
/// route's [`ErrorStyle`] (see [`Authenticator`] for an example).
#[derive(Debug, Clone)]
pub struct AuthError {
    kind: AuthErrorKind,
    realm: String,
    resource_metadata: Option<String>,
    style: ErrorStyle,
}

impl AuthError {
    /// A 401 `invalid_token` (RFC 6750) for a token the service refuses on
    /// grounds of its own (a session it ended), logged and counted under
    /// `reason`, in the route's style.
    pub fn invalid_token(req: &HttpRequest, reason: &'static str, description: &str) -> Self {
        match req.app_data::<web::Data<Authenticator>>() {
            Some(auth) => auth.refuse(
                req,
                Refusal {
                    kind: AuthErrorKind::InvalidToken(description.to_owned()),
                    reason,
                },
            ),
            None => misconfigured(req),
        }
    }

    fn description(&self) -> String {
        match &self.kind {
            AuthErrorKind::Missing => {
                "this endpoint needs an access token: send `Authorization: Bearer <token>`".into()
            }
            AuthErrorKind::InvalidToken(why) => why.clone(),
            AuthErrorKind::InsufficientScope(scope) => {
                format!("the access token lacks the scope `{scope}`")
            }
            AuthErrorKind::InsufficientUserAuthentication(step_up) => step_up.description(),
            AuthErrorKind::Misconfigured => "an unexpected error occurred".into(),
        }
    }

    fn challenge(&self) -> Option<String> {
        let realm = &self.realm;
        let quoted = |text: String| text.replace(['"', '\\'], "'");
        let metadata = self
            .resource_metadata
            .as_ref()
            .map(|url| format!(", resource_metadata=\"{url}\""))
            .unwrap_or_default();
        match &self.kind {
            AuthErrorKind::Missing => Some(format!("Bearer realm=\"{realm}\"{metadata}")),
            AuthErrorKind::InvalidToken(_) => Some(format!(
                "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{}\"{metadata}",
                quoted(self.description())
            )),
            AuthErrorKind::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"{realm}\", error=\"insufficient_scope\", error_description=\"{}\", scope=\"{scope}\"",
                quoted(self.description())
            )),
            AuthErrorKind::InsufficientUserAuthentication(step_up) => Some(format!(
                "Bearer realm=\"{realm}\", error=\"insufficient_user_authentication\", error_description=\"{}\", {}",
                quoted(self.description()),
                step_up.challenge_parameters()
            )),
            AuthErrorKind::Misconfigured => None,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            AuthErrorKind::Missing
            | AuthErrorKind::InvalidToken(_)
            | AuthErrorKind::InsufficientUserAuthentication(_) => StatusCode::UNAUTHORIZED,
            AuthErrorKind::InsufficientScope(_) => StatusCode::FORBIDDEN,
            AuthErrorKind::Misconfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let challenge = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok());
        match self.style {
            ErrorStyle::Problem => {
                let mut problem = Problem::new(self.status_code(), self.description());
                if let Some(challenge) = challenge {
                    problem = problem.with_header(WWW_AUTHENTICATE, challenge);
                }
                problem.error_response()
            }
            ErrorStyle::Flask => {
                // Flask-JWT's error body: {"status_code", "error", "description"}.
                let error = match self.kind {
                    AuthErrorKind::Missing => "Authorization Required",
                    AuthErrorKind::InvalidToken(_) => "Invalid token",
                    AuthErrorKind::InsufficientUserAuthentication(_) => "Authentication Required",
                    AuthErrorKind::InsufficientScope(_) => "Forbidden",
                    AuthErrorKind::Misconfigured => "Internal Server Error",
                };
                let mut response = HttpResponse::build(self.status_code());
                if let Some(challenge) = challenge {
                    response.insert_header((WWW_AUTHENTICATE, challenge));
                }
                response.json(FlaskAuthError {
                    status_code: self.status_code().as_u16(),
                    error: error.to_owned(),
                    description: self.description(),
                })
            }
        }
    }
}

/// Flask-JWT's error body, on the Flask-compatible routes.
#[derive(Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "status_code": 401, "error": "Authorization Required",
    "description": "this endpoint needs an access token: send `Authorization: Bearer <token>`"
})))]
pub struct FlaskAuthError {
    /// The HTTP status code.
    pub status_code: u16,
    /// `Authorization Required`, `Invalid token` or `Forbidden`.
    pub error: String,
    /// What was wrong.
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{KeyRing, TokenSigner};
    use actix_web::test::TestRequest;
    use std::sync::Arc;

    proptest::proptest! {
        #[test]
        fn the_visible_ascii_check_accepts_exactly_what_to_str_accepts(
            // Mostly visible, so that both answers come up.
            bytes in proptest::collection::vec(
                proptest::prop_oneof![300 => 32u8..127, 1 => proptest::prelude::any::<u8>()],
                0..600,
            )
        ) {
            let expected = bytes.iter().all(|&b| b == b'\t' || (32..127).contains(&b));
            proptest::prop_assert_eq!(visible_ascii(&bytes).is_some(), expected);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_plain_form_finds_what_the_general_rules_find(
            scheme in proptest::sample::select(vec!["Bearer", "bearer", "JWT", "jwt", "Basic", "Bearer\t", ""]),
            gap in proptest::sample::select(vec!["", " ", "  ", "\t"]),
            // Token characters, now and then a space, a tab or a byte past ASCII.
            token in proptest::collection::vec(
                proptest::prop_oneof![30 => 33u8..127, 1 => proptest::sample::select(vec![b' ', b'\t', 0xC3, 0x7F])],
                0..80,
            ),
        ) {
            let mut header = format!("{scheme}{gap}").into_bytes();
            header.extend(&token);
            if let Some(found) = plain_bearer(&header) {
                proptest::prop_assert_eq!(token_in(&header).ok(), Some(found));
            }
        }
    }

    fn setup() -> (Authenticator, TokenSigner) {
        let ring = Arc::new(KeyRing::single_hmac(&[5; 32]).expect("ring"));
        let verifier = TokenVerifier::new(ring.clone(), "iss", "aud", 30);
        let signer = TokenSigner::new(ring, "iss", ["aud"], 60);
        (Authenticator::new(verifier, "test"), signer)
    }

    fn token(signer: &TokenSigner) -> String {
        signer
            .issue("user-1", "alice", "a:read")
            .expect("issue")
            .access_token
    }

    fn challenge_of(err: AuthError) -> String {
        let response = err.error_response();
        response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn bearer_and_jwt_schemes_are_accepted_in_any_case() {
        let (auth, signer) = setup();
        let token = token(&signer);
        for scheme in ["Bearer", "bearer", "BEARER", "JWT", "jwt", "Jwt"] {
            let req = TestRequest::default()
                .insert_header((AUTHORIZATION, format!("{scheme} {token}")))
                .to_http_request();
            let caller = auth.authenticate(&req).expect(scheme);
            assert_eq!(caller.username(), "alice");
        }
    }

    struct AWrite;
    impl RequiredScope for AWrite {
        const SCOPE: &'static str = "a:write";
    }

    /// A request with `token`, the authenticator and the step-up policy.
    fn stepped_request(auth: &Authenticator, token: &str, policy: StepUpPolicy) -> HttpRequest {
        TestRequest::default()
            .insert_header((AUTHORIZATION, format!("Bearer {token}")))
            .app_data(web::Data::new(auth.clone()))
            .app_data(web::Data::new(policy))
            .to_http_request()
    }

    #[actix_web::test]
    async fn a_scope_with_a_step_up_refuses_a_weaker_or_older_sign_in_with_the_rfc_9470_challenge()
    {
        let clock = crate::clock::Clock::manual();
        let ring = Arc::new(KeyRing::single_hmac(&[5; 32]).expect("ring"));
        let verifier = TokenVerifier::new(ring.clone(), "iss", "aud", 30).with_clock(clock.clone());
        let auth = Authenticator::new(verifier, "test");
        let signer = TokenSigner::new(ring, "iss", ["aud"], 3600).with_clock(clock.clone());
        let signed_in = |acr: &'static str| crate::token::SignIn {
            auth_time: clock.now_seconds(),
            acr,
            amr: &["pwd"],
        };
        let issue = |acr| {
            signer
                .issue_signed_in(Some("s"), "user-1", "alice", "a:write", &signed_in(acr))
                .expect("issue")
                .access_token
        };
        let policy = || {
            StepUpPolicy::default().require("a:write", StepUp::default().acr("aal2").max_age(600))
        };
        let extract = |token: &str| {
            let req = stepped_request(&auth, token, policy());
            Authorized::<AWrite>::extract(&req)
        };

        let refused = extract(&issue("aal1"))
            .await
            .err()
            .expect("aal1 is refused");
        assert_eq!(refused.status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge_of(refused),
            "Bearer realm=\"test\", error=\"insufficient_user_authentication\", \
             error_description=\"this request needs a sign-in at level aal2 within the last 600 \
             seconds\", acr_values=\"aal2\", max_age=\"600\""
        );
        let fresh = issue("aal2");
        assert!(extract(&fresh).await.is_ok());
        clock.advance(std::time::Duration::from_secs(601));
        assert!(extract(&fresh).await.is_err(), "an aal2 sign-in too old");
        // A scope the policy does not name, and no policy, ask for nothing.
        let req = stepped_request(&auth, &issue("aal1"), StepUpPolicy::default());
        assert!(Authorized::<AWrite>::extract(&req).await.is_ok());
        let client = signer
            .issue_to_client("c", "a:write")
            .expect("issue")
            .access_token;
        assert!(
            extract(&client).await.is_err(),
            "a client's token has no sign-in"
        );
    }

    #[test]
    fn no_header_gets_a_challenge_without_an_error_code() {
        let (auth, _) = setup();
        let err = auth
            .authenticate(&TestRequest::default().to_http_request())
            .expect_err("no credentials");
        assert_eq!(err.status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenge_of(err), "Bearer realm=\"test\"");
    }

    #[test]
    fn another_scheme_is_answered_like_no_credentials() {
        let (auth, signer) = setup();
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, format!("Basic {}", token(&signer))))
            .to_http_request();
        let err = auth.authenticate(&req).expect_err("basic");
        assert_eq!(challenge_of(err), "Bearer realm=\"test\"");
    }

    #[test]
    fn a_bad_token_gets_invalid_token() {
        let (auth, _) = setup();
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Bearer abc.def.ghi"))
            .to_http_request();
        let err = auth.authenticate(&req).expect_err("bad token");
        assert_eq!(err.status_code(), StatusCode::UNAUTHORIZED);
        assert!(challenge_of(err).contains("error=\"invalid_token\""));
    }

    #[test]
    fn two_authorization_headers_are_refused() {
        let (auth, signer) = setup();
        let value = format!("Bearer {}", token(&signer));
        let req = TestRequest::default()
            .append_header((AUTHORIZATION, value.clone()))
            .append_header((AUTHORIZATION, value))
            .to_http_request();
        let err = auth.authenticate(&req).expect_err("two headers");
        assert!(challenge_of(err).contains("invalid_token"));
    }

    #[test]
    fn a_token_in_the_query_string_is_refused() {
        let (auth, signer) = setup();
        let token = token(&signer);
        let req = TestRequest::with_uri(&format!("/x?access_token={token}"))
            .insert_header((AUTHORIZATION, format!("Bearer {token}")))
            .to_http_request();
        assert!(auth.authenticate(&req).is_err());
    }

    #[test]
    fn spaces_around_the_token_are_allowed_and_between_tokens_refused() {
        let (auth, signer) = setup();
        let token = token(&signer);
        let header = |value: String| {
            let req = TestRequest::default()
                .insert_header((AUTHORIZATION, value))
                .to_http_request();
            auth.authenticate(&req)
        };
        for value in [
            format!("Bearer {token}"),
            format!("Bearer   {token}"),
            format!("JWT {token}  "),
        ] {
            assert!(header(value.clone()).is_ok(), "{value}");
        }
        for value in [
            format!("Bearer {token} {token}"),
            format!("Bearer  a {token}"),
        ] {
            let err = header(value.clone()).expect_err("two tokens");
            assert!(challenge_of(err).contains("more than one token"), "{value}");
        }
    }

    #[test]
    fn a_remembered_token_gets_the_answer_a_thread_that_never_saw_it_gives() {
        let (auth, signer) = setup();
        let token = token(&signer);
        let values = [
            format!("Bearer {token}"),
            format!("jwt {token}"),
            format!("Bearer  {token}"),
            format!("Bearer {token} "),
            format!("Bearer\t{token}"),
            format!("Bearer {token}\t"),
            format!("Bearer {token}x"),
            format!("Bearer {token} {token}"),
            format!("Basic {token}"),
            format!("Bearer {}", &token[..token.len() - 1]),
        ];
        let answer = |value: &str| {
            let req = TestRequest::default()
                .insert_header((AUTHORIZATION, value))
                .to_http_request();
            match auth.authenticate(&req) {
                Ok(caller) => format!("ok {}", caller.username()),
                Err(err) => challenge_of(err),
            }
        };
        // This thread remembers the token; each fresh thread starts empty.
        assert_eq!(answer(&format!("Bearer {token}")), "ok alice");
        for value in &values {
            let fresh = std::thread::scope(|s| s.spawn(|| answer(value)).join().expect("thread"));
            assert_eq!(answer(value), fresh, "{value}");
        }
    }

    #[test]
    fn a_scheme_without_a_token_is_refused() {
        let (auth, _) = setup();
        for value in ["Bearer", "Bearer   ", "JWT "] {
            let req = TestRequest::default()
                .insert_header((AUTHORIZATION, value))
                .to_http_request();
            let err = auth.authenticate(&req).expect_err(value);
            assert!(challenge_of(err).contains("invalid_token"), "{value}");
        }
    }

    #[test]
    fn insufficient_scope_is_403_with_the_scope_named() {
        let err = AuthError {
            kind: AuthErrorKind::InsufficientScope("items:write"),
            realm: "r".into(),
            resource_metadata: None,
            style: ErrorStyle::Problem,
        };
        assert_eq!(err.status_code(), StatusCode::FORBIDDEN);
        let challenge = challenge_of(err);
        assert!(challenge.contains("error=\"insufficient_scope\""));
        assert!(challenge.contains("scope=\"items:write\""));
    }

    proptest::proptest! {
        #[test]
        fn any_authorization_header_is_refused_without_a_panic(
            value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let (auth, _) = setup();
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                let req = TestRequest::default()
                    .insert_header((AUTHORIZATION, value))
                    .to_http_request();
                proptest::prop_assert!(auth.authenticate(&req).is_err());
            }
        }

        #[test]
        fn any_scheme_and_token_text_is_refused_without_a_panic(
            value in "(?i)(bearer|jwt|basic|)( {0,3})[ -~]{0,80}",
        ) {
            let (auth, _) = setup();
            let req = TestRequest::default()
                .insert_header((AUTHORIZATION, value.as_str()))
                .to_http_request();
            proptest::prop_assert!(auth.authenticate(&req).is_err());
        }
    }

    #[test]
    fn a_401_names_the_resource_metadata_when_the_service_has_it() {
        let ring = Arc::new(KeyRing::single_hmac(&[5; 32]).expect("ring"));
        let verifier = TokenVerifier::new(ring, "i", "a", 30);
        let url = "https://api.example/.well-known/oauth-protected-resource";
        let auth = Authenticator::new(verifier, "a").with_resource_metadata(url);
        let expected = format!("resource_metadata=\"{url}\"");
        let missing = auth.authenticate(&TestRequest::default().to_http_request());
        let bad = auth.authenticate(
            &TestRequest::default()
                .insert_header((AUTHORIZATION, "Bearer a.b.c"))
                .to_http_request(),
        );
        for refused in [missing, bad] {
            let challenge = challenge_of(refused.expect_err("refused"));
            assert!(challenge.ends_with(&expected), "{challenge}");
        }
    }
}
