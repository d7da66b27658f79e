//! The refresh token in a cookie (`AUTH__TOKENS__REFRESH_COOKIE=true`), for
//! browser applications: script never holds it, so an XSS flaw cannot carry
//! it off. `HttpOnly; Secure; SameSite=Strict`, set once per path that reads
//! it (`/v1/token`, `/v1/logout`) so no other request carries it, and left
//! out of the JSON body.
//!
//! CSRF: a browser adds the cookie by itself, so a request that uses it must
//! show it comes from a page we trust. The browser, not the page, writes
//! `Origin` and `Sec-Fetch-Site` (forbidden header names: script cannot set
//! them), so: the cookie is read only when `Sec-Fetch-Site` is
//! `same-origin` or `Origin` is this service's public origin or a CORS
//! origin, and `Sec-Fetch-Site: same-origin` beside a foreign `Origin` is
//! not believed. A request with neither header is not a browser's and gets
//! no cookie read. SameSite=Strict alone would let a sibling subdomain
//! (same site, another origin) through; this check does not.
//!
//! Cookie tossing: a sibling subdomain can set a second `refresh_token`
//! cookie for the parent domain, which the browser then sends beside ours,
//! the older first. Reading either would let the attacker choose whose
//! session the page renews (the victim's console in the attacker's account)
//! and whose a logout ends. A request with more than one is refused (400),
//! rotating and revoking nothing. We keep a `Path`-scoped cookie rather
//! than a `__Host-` one, which must be `Path=/` and so would travel with
//! every request to this host, and could not sit under a path prefix of the
//! public URL. The cost: a tossed cookie stops this browser's renewals
//! until it expires (a denial of service, never a takeover).

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::http::header::ORIGIN;
use actix_web::{HttpRequest, HttpResponseBuilder};
use secrecy::SecretString;
use shared::cors::Cors;
use shared::problem::{ApiError, Problem};

use super::oauth_error::{OAuthCode, TokenError};

const NAME: &str = "refresh_token";
/// The routes that read the cookie, under the public URL's path.
const ROUTES: [&str; 2] = ["/v1/token", "/v1/logout"];

/// Whether the refresh token travels in a cookie, and whom to trust with it
/// (app data).
#[derive(Debug, Clone)]
pub struct RefreshCookie {
    enabled: bool,
    max_age_seconds: i64,
    paths: [String; 2],
    own_origin: String,
    cors: Cors,
}

/// Why the refresh cookie of a request is not read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Refused {
    /// A browser request from a page that may not use the refresh cookie.
    CrossSite,
    /// More than one refresh cookie (cookie tossing).
    Tossed,
}

impl Refused {
    fn status(self) -> StatusCode {
        match self {
            Self::CrossSite => StatusCode::FORBIDDEN,
            Self::Tossed => StatusCode::BAD_REQUEST,
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::CrossSite => {
                "the refresh cookie is only honoured for requests from this service's own \
                 pages or an allowed CORS origin"
            }
            Self::Tossed => {
                "the request carries more than one refresh cookie (another site of this \
                 domain may have set one); nothing was renewed or ended: clear this site's \
                 cookies and sign in again"
            }
        }
    }
}

impl From<Refused> for TokenError {
    fn from(refused: Refused) -> Self {
        TokenError::OAuth {
            status: refused.status(),
            code: OAuthCode::InvalidRequest,
            description: refused.detail().to_owned(),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        Problem::new(refused.status(), refused.detail()).into()
    }
}

impl RefreshCookie {
    /// `public_url` as checked by the settings (no trailing slash).
    pub fn new(enabled: bool, max_age_seconds: u64, public_url: &str, cors: Cors) -> Self {
        let (own_origin, prefix) = super::origin_and_path(public_url);
        Self {
            enabled,
            max_age_seconds: i64::try_from(max_age_seconds).unwrap_or(i64::MAX),
            paths: ROUTES.map(|route| format!("{prefix}{route}")),
            own_origin: own_origin.to_owned(),
            cors,
        }
    }

    /// The origins of `origins` (comma-separated, as
    /// `AUTH__CORS__ALLOWED_ORIGINS`) on another site than this service:
    /// browsers never send them a `SameSite=Strict` cookie, so with the
    /// cookie on their pages cannot renew a session.
    pub fn cross_site_origins<'a>(&self, origins: &'a str) -> Vec<&'a str> {
        let own = site_of(&self.own_origin);
        origins
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty() && site_of(origin) != own)
            .collect()
    }

    /// Whether refresh tokens go in the cookie rather than the JSON body.
    pub(super) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Sets the cookie on every path that reads it.
    pub(super) fn set(&self, response: &mut HttpResponseBuilder, refresh_token: &str) {
        for path in &self.paths {
            response.cookie(self.cookie(path, refresh_token.to_owned(), self.max_age_seconds));
        }
    }

    /// Removes the cookie from every path.
    pub(super) fn clear(&self, response: &mut HttpResponseBuilder) {
        for path in &self.paths {
            response.cookie(self.cookie(path, String::new(), 0));
        }
    }

    fn cookie(&self, path: &str, value: String, max_age_seconds: i64) -> Cookie<'static> {
        Cookie::build(NAME, value)
            .path(path.to_owned())
            .max_age(Duration::seconds(max_age_seconds))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Strict)
            .finish()
    }

    /// The refresh token from the cookie: none when the cookie is off or
    /// absent, refused when the page that sent it is not trusted or the
    /// request carries more than one.
    pub(super) fn read(&self, req: &HttpRequest) -> Result<Option<SecretString>, Refused> {
        if !self.enabled {
            return Ok(None);
        }
        let cookies = req.cookies().map_err(|_| Refused::Tossed)?;
        let mut ours = cookies.iter().filter(|c| c.name() == NAME);
        let Some(cookie) = ours.next() else {
            return Ok(None);
        };
        if ours.next().is_some() {
            return Err(Refused::Tossed);
        }
        if cookie.value().is_empty() {
            return Ok(None);
        }
        match self.page(req) {
            Page::Trusted => Ok(Some(SecretString::from(cookie.value()))),
            Page::Untrusted | Page::NotABrowser => Err(Refused::CrossSite),
        }
    }

    /// Refuses a browser request from an untrusted page before a login sets
    /// the cookie (login CSRF: an attacker's session in the victim's
    /// browser). Clients that are not browsers pass.
    pub(super) fn check_login(&self, req: &HttpRequest) -> Result<(), Refused> {
        if self.enabled && matches!(self.page(req), Page::Untrusted) {
            return Err(Refused::CrossSite);
        }
        Ok(())
    }

    fn page(&self, req: &HttpRequest) -> Page {
        let headers = req.headers();
        let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let trusted_origin =
            origin.is_some_and(|origin| origin == self.own_origin || self.cors.allows(origin));
        match (origin, fetch_site) {
            (None, None) => Page::NotABrowser,
            // A browser never sends both for one request: not to be believed.
            (Some(origin), Some("same-origin")) if origin != self.own_origin => Page::Untrusted,
            _ if trusted_origin || fetch_site == Some("same-origin") => Page::Trusted,
            _ => Page::Untrusted,
        }
    }
}

/// An origin's site (scheme and registrable domain), as SameSite compares
/// them. Without the public suffix list the registrable domain is taken as
/// the last two labels of a name (the whole host for an address or a
/// one-label name), so two sites under one suffix such as `co.uk` look like
/// one: then no warning, never a false one.
fn site_of(origin: &str) -> (&str, &str) {
    let (scheme, rest) = origin.split_once("://").unwrap_or(("", origin));
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => rest.split(':').next().unwrap_or(rest),
    };
    let is_address = host.contains(':') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let registrable = match host.rmatch_indices('.').nth(1) {
        Some((dot, _)) if !is_address => &host[dot + 1..],
        _ => host,
    };
    (scheme, registrable)
}

enum Page {
    Trusted,
    Untrusted,
    NotABrowser,
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use secrecy::ExposeSecret as _;

    fn cookie_jar() -> RefreshCookie {
        let cors = Cors::parse("https://app.example.com").expect("origins");
        RefreshCookie::new(true, 60, "https://example.com/auth", cors)
    }

    fn with_cookie(headers: &[(&str, &str)]) -> HttpRequest {
        let mut request = TestRequest::post().cookie(Cookie::new(NAME, "opaque"));
        for header in headers {
            request = request.insert_header(*header);
        }
        request.to_http_request()
    }

    #[test]
    fn the_cookie_is_read_only_for_trusted_pages() {
        let jar = cookie_jar();
        for trusted in [
            &[("Sec-Fetch-Site", "same-origin")][..],
            &[
                ("Origin", "https://example.com"),
                ("Sec-Fetch-Site", "same-site"),
            ],
            &[
                ("Origin", "https://app.example.com"),
                ("Sec-Fetch-Site", "same-site"),
            ],
            &[("Origin", "https://example.com")],
        ] {
            let token = jar.read(&with_cookie(trusted)).expect("trusted");
            assert_eq!(
                token.map(|t| t.expose_secret().to_owned()).as_deref(),
                Some("opaque")
            );
        }
        for untrusted in [
            &[][..],
            &[
                ("Origin", "https://sibling.example.com"),
                ("Sec-Fetch-Site", "same-site"),
            ],
            &[
                ("Origin", "https://evil.example"),
                ("Sec-Fetch-Site", "cross-site"),
            ],
            &[("Origin", "null")],
            &[("Sec-Fetch-Site", "none")],
            &[
                ("Origin", "https://evil.example"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
            &[
                ("Origin", "https://app.example.com"),
                ("Sec-Fetch-Site", "same-origin"),
            ],
        ] {
            assert!(jar.read(&with_cookie(untrusted)).is_err(), "{untrusted:?}");
        }
    }

    #[test]
    fn a_request_with_two_refresh_cookies_is_refused_even_from_a_trusted_page() {
        let jar = cookie_jar();
        let request = TestRequest::post()
            .insert_header(("Cookie", "refresh_token=tossed; refresh_token=ours"))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .to_http_request();
        assert!(matches!(jar.read(&request), Err(Refused::Tossed)));
    }

    #[test]
    fn cors_origins_on_another_site_are_named() {
        let jar = cookie_jar();
        let origins = "https://app.example.com, https://example.com:8443, http://app.example.com, \
                       https://app.other.example, https://127.0.0.1";
        assert_eq!(
            jar.cross_site_origins(origins),
            [
                "http://app.example.com",
                "https://app.other.example",
                "https://127.0.0.1"
            ]
        );
        let local = RefreshCookie::new(true, 60, "http://127.0.0.1:8081", Cors::default());
        assert!(local.cross_site_origins("http://127.0.0.1:3000").is_empty());
        assert_eq!(
            local.cross_site_origins("http://localhost:3000"),
            ["http://localhost:3000"]
        );
    }

    #[test]
    fn cookies_are_scoped_to_the_routes_that_read_them() {
        let jar = cookie_jar();
        let mut response = actix_web::HttpResponse::Ok();
        jar.set(&mut response, "opaque");
        let response = response.finish();
        let cookies: Vec<String> = response.cookies().map(|c| c.to_string()).collect();
        assert_eq!(
            cookies,
            ["/auth/v1/token", "/auth/v1/logout"].map(|path| format!(
                "refresh_token=opaque; HttpOnly; SameSite=Strict; Secure; Path={path}; Max-Age=60"
            ))
        );
    }

    #[test]
    fn logins_from_untrusted_pages_are_refused_but_other_clients_pass() {
        let jar = cookie_jar();
        let request = |headers: &[(&str, &str)]| {
            let mut request = TestRequest::post();
            for header in headers {
                request = request.insert_header(*header);
            }
            request.to_http_request()
        };
        assert!(jar.check_login(&request(&[])).is_ok());
        assert!(
            jar.check_login(&request(&[("Sec-Fetch-Site", "same-origin")]))
                .is_ok()
        );
        assert!(
            jar.check_login(&request(&[("Origin", "https://evil.example")]))
                .is_err()
        );
    }
}
