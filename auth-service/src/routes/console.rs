//! The service's own pages: `GET /admin/`, the admin console over the admin
//! API, and `GET /account/`, a user's account page. Their files are
//! compiled into the binary (no CDN, works offline) and served under a
//! Content-Security-Policy that allows this origin's script, style and API
//! calls and nothing else: no inline script, no eval, no framing, no form
//! posting anywhere. The account page may also show `data:` images (the
//! QR code of an authenticator's secret, which the API answers as one).

use std::sync::LazyLock;

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::{HttpResponse, web};

use crate::audit;
use crate::recovery::Recovery;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; form-action 'none'; \
                      base-uri 'none'; frame-ancestors 'none'";

/// The account page's: the same, and `data:` images (the QR code).
const ACCOUNT_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                              connect-src 'self'; img-src 'self' data:; form-action 'none'; \
                              base-uri 'none'; frame-ancestors 'none'";

/// The page, with the audit filter's choices filled in from the event list.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let options: String = audit::EVENTS
        .iter()
        .map(|event| format!("<option value=\"{event}\">{event}</option>"))
        .collect();
    include_str!("../../console/index.html").replace("<!-- audit events -->", &options)
});

/// The pages' routes: pages, not API operations, so plain routes outside
/// the OpenAPI document (as `/docs/` is).
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(to_folder))
        .route("/admin/", web::get().to(page))
        .route("/admin/console.js", web::get().to(script))
        .route("/admin/session.js", web::get().to(session_script))
        .route("/admin/console.css", web::get().to(style))
        .route("/admin/favicon.svg", web::get().to(icon))
        .route("/account", web::get().to(to_folder_account))
        .route("/account/", web::get().to(account_page))
        .route("/account/account.js", web::get().to(account_script))
        .route("/account/session.js", web::get().to(session_script))
        .route("/account/console.css", web::get().to(style))
        .route("/account/favicon.svg", web::get().to(icon));
}

async fn to_folder_account() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((LOCATION, "account/"))
        .finish()
}

const ACCOUNT_HTML: &str = include_str!("../../console/account.html");
/// The account page's email section, hidden unless the service sends mail.
const EMAIL_SECTION: &str =
    "<section class=\"card\" id=\"email-card\" aria-labelledby=\"email-title\"";

/// The account page where the service sends mail: the email section shown.
static ACCOUNT_WITH_MAIL: LazyLock<String> = LazyLock::new(|| {
    ACCOUNT_HTML.replace(
        &format!("{EMAIL_SECTION} hidden>"),
        &format!("{EMAIL_SECTION}>"),
    )
});

async fn account_page(recovery: Option<web::Data<Recovery>>) -> HttpResponse {
    let html = match recovery {
        Some(_) => ACCOUNT_WITH_MAIL.as_str(),
        None => ACCOUNT_HTML,
    };
    file_with(ACCOUNT_POLICY, "text/html; charset=utf-8", html)
}

async fn account_script() -> HttpResponse {
    file_with(
        ACCOUNT_POLICY,
        "text/javascript; charset=utf-8",
        include_str!("../../console/account.js"),
    )
}

async fn session_script() -> HttpResponse {
    file(
        "text/javascript; charset=utf-8",
        include_str!("../../console/session.js"),
    )
}

/// Relative, so it holds behind a proxy that adds a path prefix.
async fn to_folder() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((LOCATION, "admin/"))
        .finish()
}

async fn page() -> HttpResponse {
    file("text/html; charset=utf-8", PAGE.as_str())
}

async fn script() -> HttpResponse {
    file(
        "text/javascript; charset=utf-8",
        include_str!("../../console/console.js"),
    )
}

async fn style() -> HttpResponse {
    file(
        "text/css; charset=utf-8",
        include_str!("../../console/console.css"),
    )
}

async fn icon() -> HttpResponse {
    file("image/svg+xml", include_str!("../../console/favicon.svg"))
}

fn file(content_type: &'static str, body: &'static str) -> HttpResponse {
    file_with(POLICY, content_type, body)
}

fn file_with(policy: &'static str, content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CONTENT_SECURITY_POLICY, policy))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((X_FRAME_OPTIONS, "DENY"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        // Revalidated each time, so a new binary's console is seen at once.
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(body)
}
