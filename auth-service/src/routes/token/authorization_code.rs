//! `grant_type=authorization_code` (OAuth 2.1 4.1.3): a code from the
//! sign-in page, with its PKCE verifier, for the client it was issued to
//! (public: `client_id` alone; confidential: authenticated).

use actix_web::HttpRequest;
use shared::problem::ApiError;

use super::{Issued, TokenRequest};
use crate::audit::{self, Actor};
use crate::authorization::{Authorizations, Exchange, ExchangeError};
use crate::clients::Clients;
use crate::domain::scope::{self, OPENID_SCOPE};
use crate::domain::{Factors, GrantType, SignedIn};
use crate::failure::Failure;
use crate::id_tokens::{IdToken, IdTokens};
use crate::routes::client_address::ClientAddress;
use crate::routes::client_auth;
use crate::routes::oauth_error::{OAuthCode, TokenError};
use crate::sessions::{NewSession, Sessions};

pub(super) async fn grant(
    req: &HttpRequest,
    address: &ClientAddress,
    (clients, authorizations, sessions, id_tokens): (
        &Clients,
        &Authorizations,
        &Sessions,
        &IdTokens,
    ),
    mut request: TokenRequest,
) -> Result<Issued, TokenError> {
    let client = request
        .client(req, clients, address)
        .await?
        .ok_or_else(|| {
            TokenError::oauth(
                OAuthCode::InvalidRequest,
                "the authorization_code grant needs client_id (or client authentication)",
            )
        })?;
    client_auth::allowed(&client, GrantType::AuthorizationCode)?;
    let code = request.code.as_deref().ok_or_else(|| {
        TokenError::oauth(
            OAuthCode::InvalidRequest,
            "the authorization_code grant needs `code`",
        )
    })?;
    let exchange = Exchange {
        code,
        client: &client,
        redirect_uri: request.redirect_uri.as_deref(),
        code_verifier: request.code_verifier.as_deref(),
    };
    let actor = Actor::from_address(&address.0);
    let redeemed = authorizations
        .redeem(&exchange, &actor)
        .await
        .map_err(|e| match e {
            ExchangeError::InvalidGrant(why) => TokenError::oauth(OAuthCode::InvalidGrant, why),
            ExchangeError::Failed(e) => ApiError::from(e).into(),
        })?;
    let signed_in = SignedIn {
        factors: Factors::from_stored(&redeemed.code.amr),
        at_ms: redeemed.code.auth_time,
    };
    // What the user holds now, after how they signed in, bounds the code's scopes.
    let scope = scope::intersection(
        &redeemed.code.scope,
        &sessions.granted_after(&redeemed.user, signed_in.factors),
    );
    let event = actor.event(audit::CODE_EXCHANGED, authorizations.clock.now_ms());
    let session = NewSession {
        family_id: redeemed.session_id.clone(),
        client_id: Some(&client.client_id),
        browser_session_hash: redeemed.code.session_hash.as_deref(),
        signed_in: &signed_in,
    };
    let tokens = sessions
        .start_as(
            &session,
            &redeemed.user,
            scope,
            event.client(&client.client_id),
        )
        .await
        .map_err(ApiError::from)?;
    let id_token = scope::includes(&tokens.scope, OPENID_SCOPE)
        .then(|| {
            id_tokens.issue(&IdToken {
                user: &redeemed.user,
                client_id: &client.client_id,
                session_id: &redeemed.session_id,
                signed_in: &signed_in,
                nonce: redeemed.code.nonce.as_deref(),
                scope: &tokens.scope,
                algorithm: &client.id_token_signed_response_alg,
            })
        })
        .transpose()
        .map_err(|e| ApiError::from(Failure::from(e)))?;
    let mut issued = Issued::from(tokens);
    issued.id_token = id_token;
    // The session exists either way (it can be ended); only a client with
    // the refresh_token grant holds its refresh token.
    if !client.allows(GrantType::RefreshToken) {
        issued.refresh_token = None;
    }
    Ok(issued)
}
