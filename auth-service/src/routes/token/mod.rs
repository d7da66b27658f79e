//! `POST /v1/token`, the OAuth 2.0 token endpoint (RFC 6749 4.3, 5.1, 5.2).
//!
//! This file parses the request, dispatches on its [`GrantType`] and
//! writes the answer; each grant is a module of its own:
//! `authorization_code` (a code from the sign-in page starts a refresh
//! family), `password` (so does a name and password), `refresh_token`
//! (rotates it), `client_credentials` (a service client's own token, RFC
//! 6749 4.4). A new grant is a new module and one line of the dispatch.
//! Unknown parameters are ignored (RFC 6749 3.2); the password grant needs
//! no client, so a `client_id` sent along is ignored.

mod authorization_code;
mod client_credentials;
mod password;
mod refresh_token;

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use shared::body::{BodyError, JsonOrForm};
use shared::token::IssuedToken;
use utoipa::ToSchema;

use super::PasswordGrant;
use super::client_address::ClientAddress;
use super::client_auth;
use super::oauth_error::{OAuthCode, OAuthError, TokenError};
use super::refresh_cookie::RefreshCookie;
use crate::accounts::Accounts;
use crate::authorization::Authorizations;
use crate::clients::Clients;
use crate::domain::GrantType;
use crate::id_tokens::IdTokens;
use crate::mfa::Mfa;
use crate::sessions::{Sessions, TokenPair};
use crate::store::Client;

/// `POST /v1/token` body (RFC 6749 4.1.3, 4.3, 4.4 and 6), JSON or
/// form-encoded.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// `authorization_code`, `password`, `refresh_token` or
    /// `client_credentials`.
    #[schema(schema_with = grant_type_schema, required = true)]
    grant_type: Option<String>,
    /// For the password grant.
    username: Option<String>,
    /// For the password grant.
    #[schema(value_type = Option<String>, format = Password)]
    password: Option<SecretString>,
    /// For the password grant of an account with a second factor: a code
    /// of its authenticator, or a recovery code.
    #[schema(value_type = Option<String>, format = Password, example = "123456")]
    otp: Option<SecretString>,
    /// For the refresh_token grant; with the refresh cookie on, a browser
    /// leaves it out and the cookie is read.
    #[schema(value_type = Option<String>)]
    refresh_token: Option<SecretString>,
    /// Space-separated scopes, no more than the user (or client) has.
    #[schema(example = "items:read")]
    scope: Option<String>,
    /// A public client's id; a confidential client's without HTTP Basic.
    client_id: Option<String>,
    /// A confidential client's secret, without HTTP Basic.
    #[schema(value_type = Option<String>, format = Password)]
    client_secret: Option<SecretString>,
    /// For the authorization_code grant: the code.
    code: Option<String>,
    /// For the authorization_code grant: the redirect URI of the
    /// authorization request, exactly.
    redirect_uri: Option<String>,
    /// For the authorization_code grant: the PKCE verifier (RFC 7636).
    code_verifier: Option<String>,
}

impl TokenRequest {
    /// The request's client, public (`client_id` alone) or authenticated,
    /// if it names one.
    async fn client(
        &mut self,
        req: &HttpRequest,
        clients: &Clients,
        address: &ClientAddress,
    ) -> Result<Option<Client>, TokenError> {
        client_auth::identified(
            req,
            clients,
            &address.0,
            self.client_id.as_deref(),
            self.client_secret.take(),
        )
        .await
    }
}

/// The grant types this endpoint serves; any other is
/// `unsupported_grant_type`.
fn grant_type_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(GrantType::ALL.map(GrantType::as_str)))
        .examples(["password"])
}

/// RFC 6749 5.1.
#[derive(Serialize, ToSchema)]
pub(super) struct TokenResponse<'a> {
    access_token: &'a str,
    /// `Bearer`.
    token_type: &'a str,
    /// Seconds the access token lives.
    expires_in: u64,
    /// Single use: each refresh returns the next one. None for a client.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    /// The granted scopes, space-separated.
    scope: &'a str,
    /// OpenID Connect: who signed in, for the client (the code flow with
    /// the scope `openid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
}

/// Get tokens: the OAuth 2.0 token endpoint.
///
/// The `password` grant starts a session; the `refresh_token` grant rotates
/// its refresh token; the `client_credentials` grant (client authentication
/// by HTTP Basic or `client_id` + `client_secret`) gives a service client a
/// token of its own, without a refresh token. 200 with the RFC 6749 5.1
/// body, or a 5.2 error. With `AUTH__TOKENS__REFRESH_COOKIE=true` the
/// refresh token is set as an HttpOnly cookie instead of returned.
#[utoipa::path(
    post,
    path = "/v1/token",
    tag = "tokens",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "An access token and a refresh token (RFC 6749 5.1).", body = TokenResponse<'static>),
        (status = 400, description = "An RFC 6749 5.2 error: `invalid_request` (also: with the refresh cookie on, more than one refresh cookie, and nothing is rotated), `invalid_grant`, `invalid_scope`, `unsupported_grant_type`.", body = OAuthError<'static>),
        (status = 401, description = "`invalid_client`: the client_credentials grant without a known client and its secret.", body = OAuthError<'static>),
        (status = 403, description = "`invalid_request`: with the refresh cookie on, a browser request from a page that is neither this service's nor an allowed CORS origin.", body = OAuthError<'static>),
        (status = 413, description = "The body is over 16 KiB.", body = OAuthError<'static>),
        (status = 415, description = "Neither form-encoded nor JSON.", body = OAuthError<'static>),
        (status = 429, description = "Too many failed logins or client authentications; see `Retry-After`. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
        (status = 503, description = "The database or the password hashing queue cannot take the request now. `error` is `temporarily_unavailable`.", body = OAuthError<'static>),
    ),
)]
pub(super) async fn token(
    req: HttpRequest,
    client: ClientAddress,
    (accounts, sessions, clients, authorizations, id_tokens, mfa): Grants,
    cookie: web::Data<RefreshCookie>,
    request: Result<JsonOrForm<TokenRequest>, BodyError>,
) -> Result<HttpResponse, TokenError> {
    let JsonOrForm(request) = request.map_err(|e| TokenError::invalid_request_body(&e))?;
    let grant = match request.grant_type.as_deref().map(GrantType::parse) {
        Some(Some(grant)) => grant,
        Some(None) => {
            return Err(TokenError::oauth(
                OAuthCode::UnsupportedGrantType,
                "grant_type must be `authorization_code`, `password`, `refresh_token` or \
                 `client_credentials`",
            ));
        }
        None => {
            return Err(TokenError::oauth(
                OAuthCode::InvalidRequest,
                "grant_type is required",
            ));
        }
    };
    if grant == GrantType::Password && !PasswordGrant::of(&req) {
        return Err(TokenError::oauth(
            OAuthCode::UnsupportedGrantType,
            "the password grant is off here (AUTH__OAUTH__PASSWORD_GRANT): sign users in with \
             the authorization code flow",
        ));
    }
    let issued = match grant {
        GrantType::AuthorizationCode => {
            let decisions = (&**clients, &**authorizations, &**sessions, &**id_tokens);
            authorization_code::grant(&req, &client, decisions, request).await?
        }
        GrantType::Password => {
            let decisions = (&**accounts, &**sessions, &**mfa);
            password::grant(&req, &client, decisions, &cookie, request).await?
        }
        GrantType::RefreshToken => {
            refresh_token::grant(&req, &client, &clients, &sessions, &cookie, request).await?
        }
        GrantType::ClientCredentials => {
            client_credentials::grant(&req, &client, &clients, &sessions, request).await?
        }
    };
    Ok(respond(issued, &cookie))
}

/// The decisions the grants call (one extractor).
type Grants = (
    web::Data<Accounts>,
    web::Data<Sessions>,
    web::Data<Clients>,
    web::Data<Authorizations>,
    web::Data<IdTokens>,
    web::Data<Mfa>,
);

/// What a grant issues.
struct Issued {
    access: IssuedToken,
    /// None for a service client.
    refresh_token: Option<String>,
    scope: String,
    /// The code flow with `openid`.
    id_token: Option<String>,
}

impl From<TokenPair> for Issued {
    fn from(pair: TokenPair) -> Self {
        Self {
            access: pair.access,
            refresh_token: Some(pair.refresh_token),
            scope: pair.scope,
            id_token: None,
        }
    }
}

/// RFC 6749 5.1, never cached; with the refresh cookie on, the refresh
/// token is set as the cookie instead of returned.
fn respond(issued: Issued, cookie: &RefreshCookie) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    let refresh_token = match issued.refresh_token.as_deref() {
        Some(refresh_token) if cookie.enabled() => {
            cookie.set(&mut response, refresh_token);
            None
        }
        in_body => in_body,
    };
    response
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token: &issued.access.access_token,
            token_type: "Bearer",
            expires_in: issued.access.expires_in,
            refresh_token,
            scope: &issued.scope,
            id_token: issued.id_token.as_deref(),
        })
}
