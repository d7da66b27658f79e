//! `GET /admin/`: the admin console, a page over the admin API. Its four
//! files are compiled into the binary (no CDN, works offline) and served
//! under a Content-Security-Policy that allows this origin's script, style
//! and API calls and nothing else: no inline script, no eval, no framing,
//! no form posting anywhere (a form submitted without script would put the
//! password in a URL).

use std::sync::LazyLock;

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::{HttpResponse, web};

use crate::audit;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; form-action 'none'; \
                      base-uri 'none'; frame-ancestors 'none'";

/// The page, with the audit filter's choices filled in from the event list.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let options: String = audit::EVENTS
        .iter()
        .map(|event| format!("<option value=\"{event}\">{event}</option>"))
        .collect();
    include_str!("../../console/index.html").replace("<!-- audit events -->", &options)
});

/// The console's routes: pages, not API operations, so plain routes outside
/// the OpenAPI document (as `/docs/` is).
pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(to_folder))
        .route("/admin/", web::get().to(page))
        .route("/admin/console.js", web::get().to(script))
        .route("/admin/console.css", web::get().to(style))
        .route("/admin/favicon.svg", web::get().to(icon));
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
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((X_FRAME_OPTIONS, "DENY"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        // Revalidated each time, so a new binary's console is seen at once.
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(body)
}
