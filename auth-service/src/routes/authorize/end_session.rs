//! `GET`/`POST /v1/end-session` (OpenID Connect RP-Initiated Logout 1.0):
//! an app sends the browser here to sign the user out.
//!
//! Policy: with an `id_token_hint` this service signed (an expired one
//! too), the browser session ends with the sessions of every app it signed
//! in to, and the hinted session; then the browser goes to the
//! `post_logout_redirect_uri` (registered for the hinted client, exactly,
//! with `state`) or sees a signed-out page. Without a hint, nothing ends
//! until the user confirms on a page of ours (its form checked as the
//! sign-in form is), so that no other page signs anyone out. A URI that is
//! not registered, a hint that is not ours, or a `client_id` other than
//! the hint's is a page (400), never a redirect.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::page::sign_out_page;
use super::request::{query_params, see_other, with_query};
use super::{
    END_SESSION_PATH, Refusal, SignInPage, form_cookie, form_is_ours, session_cookie,
    session_cookie_value,
};
use crate::audit::Actor;
use crate::authorization::Authorizations;
use crate::domain::redirect_uri;
use crate::id_tokens::IdTokens;
use crate::routes::client_address::ClientAddress;
use crate::routes::html::{notice_html, page};

/// The request's parameters (RP-Initiated Logout 1.0, 2).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(in crate::routes) struct EndSessionParams {
    /// An ID token this service issued to the app (it may have expired).
    id_token_hint: Option<String>,
    /// Registered for the client, exactly.
    post_logout_redirect_uri: Option<String>,
    /// Sent back unchanged.
    state: Option<String>,
    /// The client, when there is no hint.
    client_id: Option<String>,
    /// The sign-out form's token (the confirmation page's post).
    #[param(ignore)]
    form_token: Option<String>,
}

impl EndSessionParams {
    /// The parameters the confirmation page's form carries on.
    fn carried(&self) -> Vec<(&'static str, &str)> {
        [
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
            ("client_id", &self.client_id),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
        .collect()
    }
}

/// Where to go once signed out, checked; and the hinted session, if any.
struct Checked {
    redirect: Option<String>,
    hinted_session: Option<(String, String)>,
}

async fn check(
    params: &EndSessionParams,
    authorizations: &Authorizations,
    id_tokens: &IdTokens,
) -> Result<Checked, Refusal> {
    let bad = |message: &str| Refusal::Page(StatusCode::BAD_REQUEST, message.to_owned());
    let hint = match params.id_token_hint.as_deref() {
        Some(token) => Some(
            id_tokens
                .read_hint(token)
                .ok_or_else(|| bad("The id_token_hint was not issued by this service."))?,
        ),
        None => None,
    };
    let client_id = match (
        hint.as_ref().map(|h| h.aud.as_str()),
        params.client_id.as_deref(),
    ) {
        (Some(hinted), Some(named)) if hinted != named => {
            return Err(bad(
                "The client_id is not the one the id_token_hint was issued to.",
            ));
        }
        (hinted, named) => hinted.or(named),
    };
    let redirect = match params.post_logout_redirect_uri.as_deref() {
        None => None,
        Some(uri) => {
            let client = match client_id {
                Some(id) => authorizations.store.find_client(id).await?,
                None => None,
            };
            let registered = client
                .is_some_and(|c| redirect_uri::is_registered(&c.post_logout_redirect_uris, uri));
            if !registered {
                return Err(bad(
                    "The post_logout_redirect_uri is not one registered for this client.",
                ));
            }
            Some(match &params.state {
                Some(state) => with_query(uri, [("state", state.as_str())]),
                None => uri.to_owned(),
            })
        }
    };
    Ok(Checked {
        redirect,
        hinted_session: hint.and_then(|h| h.sid.map(|sid| (h.sub, sid))),
    })
}

/// Ends the sessions and says so.
async fn sign_out(
    req: &HttpRequest,
    checked: Checked,
    authorizations: &Authorizations,
    page_data: &SignInPage,
    actor: &Actor,
) -> Result<HttpResponse, Refusal> {
    if let Some(id) = session_cookie_value(req) {
        authorizations.sign_out(&id, actor).await?;
    }
    if let Some((user_id, session_id)) = &checked.hinted_session {
        authorizations
            .end_app_session(user_id, session_id, actor)
            .await?;
    }
    let mut response = match &checked.redirect {
        Some(location) => see_other(location),
        None => page(
            StatusCode::OK,
            "Signed out",
            &notice_html("You are signed out."),
        ),
    };
    for cookie in [
        session_cookie(page_data, String::new(), 0),
        form_cookie(page_data, END_SESSION_PATH, String::new(), 0),
    ] {
        let _ = response.add_cookie(&cookie);
    }
    Ok(response)
}

/// Sign out (OpenID Connect RP-Initiated Logout): with an `id_token_hint`
/// at once, else after the user confirms.
#[utoipa::path(
    get,
    path = "/v1/end-session",
    tag = "sign-in",
    params(EndSessionParams),
    responses(
        (status = 200, description = "Signed out (a page), or without a hint the page that asks first.", content_type = "text/html"),
        (status = 303, description = "Signed out: to the `post_logout_redirect_uri`, with `state`."),
        (status = 400, description = "A page: the hint is not ours, the client does not match it, or the URI is not registered.", content_type = "text/html"),
    ),
)]
pub(in crate::routes) async fn end_session(
    req: HttpRequest,
    address: ClientAddress,
    authorizations: web::Data<Authorizations>,
    id_tokens: web::Data<IdTokens>,
    page_data: web::Data<SignInPage>,
) -> HttpResponse {
    let outcome = async {
        let params: EndSessionParams = query_params(&req)?;
        let checked = check(&params, &authorizations, &id_tokens).await?;
        if params.id_token_hint.is_none() {
            let uri = params.post_logout_redirect_uri.as_deref();
            return Ok(sign_out_page(&params.carried(), uri, &page_data));
        }
        let actor = Actor::from_address(&address.0);
        sign_out(&req, checked, &authorizations, &page_data, &actor).await
    };
    outcome.await.unwrap_or_else(Refusal::respond)
}

/// The sign-out page's form: the user confirmed.
#[utoipa::path(
    post,
    path = "/v1/end-session",
    tag = "sign-in",
    request_body(content_type = "application/x-www-form-urlencoded", description = "The sign-out page's form."),
    responses(
        (status = 200, description = "Signed out (a page).", content_type = "text/html"),
        (status = 303, description = "Signed out: to the `post_logout_redirect_uri`, with `state`."),
        (status = 400, description = "A page: the URI is not registered.", content_type = "text/html"),
        (status = 403, description = "A page: the form did not come from the sign-out page.", content_type = "text/html"),
    ),
)]
pub(in crate::routes) async fn end_session_post(
    req: HttpRequest,
    address: ClientAddress,
    authorizations: web::Data<Authorizations>,
    id_tokens: web::Data<IdTokens>,
    page_data: web::Data<SignInPage>,
    form: Result<web::Form<EndSessionParams>, actix_web::Error>,
) -> HttpResponse {
    let outcome = async {
        let web::Form(params) = form.map_err(|_| {
            Refusal::Page(
                StatusCode::BAD_REQUEST,
                "The sign-out form could not be read.".into(),
            )
        })?;
        if !form_is_ours(&req, params.form_token.as_deref(), &page_data) {
            return Err(Refusal::Page(
                StatusCode::FORBIDDEN,
                "This sign-out form did not come from this page.".into(),
            ));
        }
        let checked = check(&params, &authorizations, &id_tokens).await?;
        let actor = Actor::from_address(&address.0);
        sign_out(&req, checked, &authorizations, &page_data, &actor).await
    };
    outcome.await.unwrap_or_else(Refusal::respond)
}
