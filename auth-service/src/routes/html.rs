//! The service's own HTML pages (sign-in, sign-out, account recovery):
//! one template from the binary, with one inline style allowed by its
//! hash, no script, no framing, nothing cached, forms that post only where
//! the caller says.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::{HttpResponse, HttpResponseBuilder};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// Fields a form carries on without showing them.
pub(super) fn hidden_inputs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
                escape(value)
            )
        })
        .collect()
}

/// An error, as the pages show one: set apart, read out at once.
pub(super) fn message_html(message: &str) -> String {
    format!(
        "<p class=\"error\" role=\"alert\">{}</p>\n",
        escape(message)
    )
}

/// `response` with `Retry-After` (a throttled form, shown again).
pub(super) fn with_retry_after(mut response: HttpResponse, seconds: u64) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(seconds),
    );
    response
}

/// What a page says when a failure below stops it (logged here, once).
pub(super) fn unavailable(failure: crate::failure::Failure) -> &'static str {
    match failure {
        crate::failure::Failure::Hashing(crate::passwords::HashError::Busy) => {
            "Too many sign-ins at once. Try again in a moment."
        }
        other => {
            tracing::error!(error = %other, "a page failed");
            "This service is unavailable right now. Try again in a moment."
        }
    }
}

/// What a page says when all went well: plain text, read out politely.
pub(super) fn notice_html(message: &str) -> String {
    format!("<p role=\"status\">{}</p>\n", escape(message))
}

/// The page's one style, allowed by its hash.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(include_str!("../../pages/sign-in.css").as_bytes());
    format!("'sha256-{}'", STANDARD.encode(digest))
});

pub(super) fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    page_with(status, title, body, "'none'")
}

pub(super) fn page_with(
    status: StatusCode,
    title: &str,
    body: &str,
    form_action: &str,
) -> HttpResponse {
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
        // `same-origin`: the form's post carries `Origin` (under `no-referrer`
        // browsers send `Origin: null`), and no other site sees a referrer.
        .insert_header((REFERRER_POLICY, "same-origin"))
        .insert_header((CACHE_CONTROL, "no-store"));
    response.body(html)
}

/// Text for HTML, in an element or an attribute.
pub(super) fn escape(text: &str) -> String {
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
}
