//! The sign-in page and the pages that say why not: HTML from the binary,
//! with one inline style allowed by its hash, no script, no framing, and a
//! form that may post only to this service (and the redirect it answers
//! with).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::request::{AuthorizeParams, ValidRequest};
use super::{AUTHORIZE_PATH, END_SESSION_PATH, SignInPage, form_cookie};
use crate::routes::html::{escape, hidden_inputs, message_html, page_with};
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
         <button type=\"submit\">Sign in</button>\n</form>\n{forgot}",
        client = escape(&request.client.name),
        hidden = hidden_inputs(&params.carried()),
        username = escape(username),
        focus_name = autofocus(username.is_empty()),
        focus_password = autofocus(!username.is_empty()),
        forgot = if page_data.password_reset {
            "<p class=\"hint\"><a href=\"password-reset\">Forgot your password?</a></p>\n"
        } else {
            ""
        },
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

#[cfg(test)]
mod tests {
    use super::*;

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
