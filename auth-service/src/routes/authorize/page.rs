//! The sign-in page and the pages that say why not: HTML from the binary,
//! with one inline style allowed by its hash, no script, no framing, and a
//! form that may post only to this service (and the redirect it answers
//! with).

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

use super::request::{AuthorizeParams, ValidRequest};
use super::{AUTHORIZE_PATH, END_SESSION_PATH, SignInPage, form_cookie};
use crate::secret;

/// The sign-in form, with a new form token in its cookie.
pub(super) fn sign_in_page(
    status: StatusCode,
    request: &ValidRequest,
    params: &AuthorizeParams,
    username: &str,
    error: Option<&str>,
    page_data: &SignInPage,
) -> HttpResponse {
    let token = secret::random(32);
    let error = error.map(message_html).unwrap_or_default();
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
        hidden = hidden_inputs(&params.carried()),
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
    let _ = response.add_cookie(&form_cookie(page_data, AUTHORIZE_PATH, token, 600));
    response
}

/// The second step, after a right password: the one-time code, with the
/// challenge that says whose password it was.
pub(super) fn code_page(
    status: StatusCode,
    request: &ValidRequest,
    params: &AuthorizeParams,
    challenge: &str,
    error: Option<&str>,
    page_data: &SignInPage,
) -> HttpResponse {
    let token = secret::random(32);
    let error = error.map(message_html).unwrap_or_default();
    let body = format!(
        "<p class=\"client\">to continue to <strong>{client}</strong></p>\n{error}\
         <form method=\"post\" action=\"authorize\">\n{hidden}\
         <input type=\"hidden\" name=\"form_token\" value=\"{token}\">\n\
         <input type=\"hidden\" name=\"challenge\" value=\"{challenge}\">\n\
         <label>One-time code <input type=\"text\" name=\"otp\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" autocapitalize=\"none\" spellcheck=\"false\" \
         required autofocus></label>\n\
         <p class=\"hint\">The six digits your authenticator app shows now, or one of your \
         recovery codes.</p>\n\
         <button type=\"submit\">Continue</button>\n</form>\n",
        client = escape(&request.client.name),
        hidden = hidden_inputs(&params.carried()),
        challenge = escape(challenge),
    );
    let mut response = page_with(
        status,
        "Two-step sign-in",
        &body,
        &form_action(&request.redirect_uri),
    );
    let _ = response.add_cookie(&form_cookie(page_data, AUTHORIZE_PATH, token, 600));
    response
}

/// "Sign out?": asked when end-session cannot tell which app sent the
/// browser (no `id_token_hint`), so that no other page signs a user out.
pub(super) fn sign_out_page(
    hidden: &[(&str, &str)],
    redirect_uri: Option<&str>,
    page_data: &SignInPage,
) -> HttpResponse {
    let token = secret::random(32);
    let hidden = hidden_inputs(hidden);
    let body = format!(
        "<p>Sign out of every app you signed in to in this browser?</p>\n\
         <form method=\"post\" action=\"end-session\">\n{hidden}\
         <input type=\"hidden\" name=\"form_token\" value=\"{token}\">\n\
         <button type=\"submit\" autofocus>Sign out</button>\n</form>\n"
    );
    let action = redirect_uri.map_or_else(|| "'self'".to_owned(), form_action);
    let mut response = page_with(StatusCode::OK, "Sign out", &body, &action);
    let _ = response.add_cookie(&form_cookie(page_data, END_SESSION_PATH, token, 600));
    response
}

/// Fields a form carries on without showing them.
fn hidden_inputs(fields: &[(&str, &str)]) -> String {
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

pub(super) fn message_html(message: &str) -> String {
    format!(
        "<p class=\"error\" role=\"alert\">{}</p>\n",
        escape(message)
    )
}

/// The page's one style, allowed by its hash.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(include_str!("../../../pages/sign-in.css").as_bytes());
    format!("'sha256-{}'", STANDARD.encode(digest))
});

pub(super) fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    page_with(status, title, body, "'none'")
}

fn page_with(status: StatusCode, title: &str, body: &str, form_action: &str) -> HttpResponse {
    let html = include_str!("../../../pages/sign-in.html")
        .replace("{{style}}", include_str!("../../../pages/sign-in.css"))
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
}
