//! Client authentication (RFC 6749 2.3.1): HTTP Basic with the form-encoded
//! id and secret, or `client_id` and `client_secret` in the body; not both.
//! An unknown client and a wrong secret answer alike: 401 `invalid_client`;
//! too many recent failures, 429 (`clients` throttles them). A public
//! client names itself with `client_id` alone (OAuth 2.1 2.4.1).

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::percent_decode_str;
use secrecy::SecretString;

use shared::problem::ApiError;

use super::oauth_error::{OAuthCode, TokenError};
use crate::clients::Clients;
use crate::domain::GrantType;
use crate::store::Client;

/// The credentials of a request, if it carries any.
fn presented(
    req: &HttpRequest,
    form_id: Option<&str>,
    form_secret: Option<SecretString>,
) -> Result<Option<(String, SecretString)>, TokenError> {
    let basic = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded.trim());
    match (basic, form_secret) {
        (Some(_), Some(_)) => Err(TokenError::oauth(
            OAuthCode::InvalidRequest,
            "authenticate the client one way: HTTP Basic or client_secret in the body, not both",
        )),
        (Some(encoded), None) => {
            let malformed = || {
                TokenError::invalid_client("the Basic credentials are not base64 of `id:secret`")
            };
            let decoded = STANDARD.decode(encoded).map_err(|_| malformed())?;
            let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
            let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
            // RFC 6749 2.3.1: both are form-encoded before Basic encoding.
            let unescape = |text: &str| {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8()
                    .map(|text| text.into_owned())
                    .map_err(|_| malformed())
            };
            Ok(Some((unescape(id)?, unescape(secret)?.into())))
        }
        (None, Some(secret)) => match form_id {
            Some(id) => Ok(Some((id.to_owned(), secret))),
            None => Err(TokenError::invalid_client(
                "client_secret was sent without client_id",
            )),
        },
        (None, None) => Ok(None),
    }
}

/// The authenticated client of the request, or 401 `invalid_client` (no
/// credentials, an unknown client, a wrong secret), or 429.
pub(super) async fn authenticated(
    req: &HttpRequest,
    clients: &Clients,
    client_address: &str,
    form_id: Option<&str>,
    form_secret: Option<SecretString>,
) -> Result<Client, TokenError> {
    let Some((id, secret)) = presented(req, form_id, form_secret)? else {
        return Err(TokenError::invalid_client(
            "client authentication is required: HTTP Basic, or client_id and client_secret",
        ));
    };
    clients
        .authenticate(&id, &secret, client_address)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| TokenError::invalid_client("the client id or secret is wrong"))
}

/// The client of a request that may come from a public client, a
/// confidential one or none: credentials are checked as above; a
/// `client_id` alone must name a public client (a confidential one must
/// authenticate); nothing at all is no client.
pub(super) async fn identified(
    req: &HttpRequest,
    clients: &Clients,
    client_address: &str,
    form_id: Option<&str>,
    form_secret: Option<SecretString>,
) -> Result<Option<Client>, TokenError> {
    if let Some((id, secret)) = presented(req, form_id, form_secret)? {
        return clients
            .authenticate(&id, &secret, client_address)
            .await
            .map_err(ApiError::from)?
            .map(Some)
            .ok_or_else(|| TokenError::invalid_client("the client id or secret is wrong"));
    }
    let Some(id) = form_id else {
        return Ok(None);
    };
    match clients
        .store
        .find_client(id)
        .await
        .map_err(ApiError::from)?
    {
        Some(client) if client.public => Ok(Some(client)),
        Some(_) => Err(TokenError::invalid_client(
            "this client is confidential: authenticate it (HTTP Basic, or client_secret)",
        )),
        None => Err(TokenError::invalid_client("no client has this id")),
    }
}

/// `unauthorized_client` unless `client` may use `grant`.
pub(super) fn allowed(client: &Client, grant: GrantType) -> Result<(), TokenError> {
    if client.allows(grant) {
        return Ok(());
    }
    Err(TokenError::oauth(
        OAuthCode::UnauthorizedClient,
        format!(
            "this client may not use the {} grant (its grant_types)",
            grant.as_str()
        ),
    ))
}
