//! CORS (the Fetch standard's CORS protocol) for browser applications on
//! other origins, off unless exact origins are configured
//! (`<SERVICE>__CORS__ALLOWED_ORIGINS`). It runs before routing and
//! authentication: a preflight from an allowed origin is answered 204 at
//! once, and every answer to an allowed origin, refusals included, names
//! that origin. Other origins get no CORS headers (the browser then keeps
//! the answer from the page). Never `*`.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_METHOD, HeaderValue, ORIGIN, VARY,
};
use actix_web::middleware::Next;

use crate::settings::SettingsError;

/// What a browser may send from an allowed origin.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const HEADERS: &str = "Authorization, Content-Type";
/// What a page may read of an answer beyond the CORS-safelisted headers:
/// the challenge of a 401 (RFC 6750, RFC 9470 step-up), a 429's wait, a
/// 201's new resource.
const EXPOSED: &str = "WWW-Authenticate, Retry-After, Location";
/// How long a browser may reuse a preflight's answer, in seconds.
const MAX_AGE: &str = "600";

/// The origins allowed to call the service from a browser.
///
/// ```
/// use shared::cors::Cors;
///
/// let cors = Cors::parse("https://app.example.com, http://localhost:5173").expect("origins");
/// assert!(cors.allows("https://app.example.com"));
/// assert!(!cors.allows("https://evil.example"));
/// assert!(!Cors::parse("").expect("none").enabled());
/// assert!(Cors::parse("*").is_err(), "never a wildcard");
/// assert!(Cors::parse("https://app.example.com/").is_err(), "an origin has no path");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Arc<Vec<HeaderValue>>,
    credentials: bool,
}

impl Cors {
    /// Comma-separated exact origins (`scheme://host[:port]`); empty: none.
    pub fn parse(origins: &str) -> Result<Self, SettingsError> {
        let parsed = origins
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                let host = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"));
                let valid = host.is_some_and(|host| {
                    !host.is_empty()
                        && host.bytes().all(|b| {
                            b.is_ascii_alphanumeric()
                                || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                        })
                });
                match (valid, HeaderValue::from_str(origin)) {
                    (true, Ok(value)) => Ok(value),
                    _ => Err(SettingsError::new(format!(
                        "the CORS origin `{origin}` must be exactly scheme://host[:port], \
                         e.g. https://app.example.com, with no path and no wildcard \
                         (set by ..._CORS__ALLOWED_ORIGINS)"
                    ))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            origins: Arc::new(parsed),
            credentials: false,
        })
    }

    /// Lets pages on the allowed origins send cookies
    /// (`Access-Control-Allow-Credentials: true`).
    pub fn with_credentials(self, credentials: bool) -> Self {
        Self {
            credentials,
            ..self
        }
    }

    /// Whether any origin is allowed.
    pub fn enabled(&self) -> bool {
        !self.origins.is_empty()
    }

    /// Whether `origin` is allowed (exactly, as the browser sends it).
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|allowed| allowed == origin)
    }

    fn allowed_origin(&self, req: &ServiceRequest) -> Option<HeaderValue> {
        let origin = req.headers().get(ORIGIN)?;
        self.allows(origin.to_str().ok()?).then(|| origin.clone())
    }

    /// The middleware (`actix_web::middleware::from_fn`).
    pub async fn handle(
        self,
        req: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
        let origin = self.allowed_origin(&req);
        let preflight = req.method() == Method::OPTIONS
            && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
        if let (Some(origin), true) = (&origin, preflight) {
            let mut answer = HttpResponse::NoContent();
            answer
                .insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
                .insert_header((ACCESS_CONTROL_ALLOW_METHODS, METHODS))
                .insert_header((ACCESS_CONTROL_ALLOW_HEADERS, HEADERS))
                .insert_header((ACCESS_CONTROL_MAX_AGE, MAX_AGE))
                .insert_header((VARY, "Origin"));
            if self.credentials {
                answer.insert_header((ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"));
            }
            return Ok(req.into_response(answer.finish()));
        }
        let mut response = next.call(req).await?.map_into_boxed_body();
        let headers = response.headers_mut();
        // Caches must keep answers to different origins apart.
        headers.append(VARY, HeaderValue::from_static("Origin"));
        if let Some(origin) = origin {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
            if self.credentials {
                headers.insert(
                    ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                );
            }
        }
        Ok(response)
    }
}
