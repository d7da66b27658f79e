//! OpenID Connect ID tokens (Core 2, 3.1.3.6): what the code flow adds for
//! the scope `openid`, so a relying party learns who signed in.
//!
//! Policy: ES256 by default (every relying party can check it with the JWK
//! Set), with the access tokens' key when `JWT_ALGORITHM=ES256`, otherwise
//! with a key of its own (`AUTH__OIDC__ID_TOKEN_KEY_FILE`, made at first
//! start when unset); RS256 for clients registered for it, when its keys are
//! set ([`rs256`]). `aud` is the client, never a resource server, so no
//! verifier of access tokens (`shared`) accepts one. `amr` and `acr` say
//! whether a second factor was given (RFC 8176, RFC 9470).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use shared::clock::Clock;
use shared::token::{Keys, SignError, TokenSigner};

use std::sync::Arc;

use crate::domain::{SignedIn, scope};
use crate::store::User;

pub mod rs256;

use rs256::Rs256Keys;

/// Signs ID tokens, shared by every worker.
pub struct IdTokens {
    /// An ES256 signer (its audiences and scopes are not used).
    pub signer: TokenSigner,
    /// Its keys, to read an `id_token_hint` back.
    pub keys: Keys,
    /// The RS256 keys, when set.
    pub rs256: Option<Arc<Rs256Keys>>,
    /// `iss`: `JWT_ISSUER`.
    pub issuer: String,
    /// Seconds an ID token lives.
    pub lifetime_seconds: u64,
    /// Where "now" comes from.
    pub clock: Clock,
}

/// What one ID token says.
#[derive(Debug)]
pub struct IdToken<'a> {
    /// Who signed in.
    pub user: &'a User,
    /// The client it is for (`aud`, `azp`).
    pub client_id: &'a str,
    /// The session the code started (`sid`).
    pub session_id: &'a str,
    /// How and when the user signed in.
    pub signed_in: &'a SignedIn,
    /// The authorization request's `nonce`.
    pub nonce: Option<&'a str>,
    /// The scopes granted: `profile` adds `preferred_username`, `email`
    /// the address.
    pub scope: &'a str,
    /// The client's `id_token_signed_response_alg`.
    pub algorithm: &'a str,
}

/// The `id_token_signed_response_alg` values a client may be registered
/// with: ES256 (the default) and RS256.
pub const SIGNING_ALGORITHMS: [&str; 2] = [ES256, RS256];
/// The default ID token algorithm.
pub const ES256: &str = "ES256";
/// For relying parties that know nothing else.
pub const RS256: &str = "RS256";

/// The algorithms ID tokens are signed with, RS256 only when its keys are
/// set.
pub fn signing_algorithms(rs256: bool) -> &'static [&'static str] {
    if rs256 {
        &SIGNING_ALGORITHMS
    } else {
        &SIGNING_ALGORITHMS[..1]
    }
}

/// Why no ID token was signed.
#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    /// The ES256 signer failed.
    #[error(transparent)]
    Es256(#[from] SignError),
    /// RS256 is asked for but not set up, or failed.
    #[error("RS256 ID token: {0}")]
    Rs256(String),
}

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: &'static [&'static str],
    acr: &'static str,
    sid: &'a str,
    azp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<&'a str>,
    #[serde(flatten)]
    email: EmailClaims<'a>,
}

/// `email` and `email_verified` (OpenID Connect Core 5.4): with the scope
/// `email`, for a user who has an address.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct EmailClaims<'a> {
    /// The user's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Email)]
    pub email: Option<&'a str>,
    /// Whether its link was followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl<'a> EmailClaims<'a> {
    /// What `scope` lets a relying party learn of `user`'s address.
    pub fn of(user: &'a User, scope: &str) -> Self {
        match user.email.as_deref() {
            Some(email) if scope::includes(scope, "email") => Self {
                email: Some(email),
                email_verified: Some(user.email_verified()),
            },
            _ => Self::default(),
        }
    }
}

/// What an `id_token_hint` (RP-Initiated Logout 1.0) tells: an ID token
/// this service signed, perhaps expired.
#[derive(Debug, Deserialize)]
pub struct Hint {
    /// The user.
    pub sub: String,
    /// The client it was issued to.
    pub aud: String,
    /// The session its code started.
    pub sid: Option<String>,
    iss: String,
}

impl IdTokens {
    /// The claims of an ID token this service signed (its expiry aside: a
    /// relying party may send an old one to sign out); `None` otherwise.
    pub fn read_hint(&self, token: &str) -> Option<Hint> {
        let (message, signature) = token.rsplit_once('.')?;
        let (header, payload) = message.split_once('.')?;
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let ring = self.keys.current()?;
        if header["alg"] != serde_json::json!(shared::token::algorithm_name(ring.algorithm())) {
            return None;
        }
        let key = ring.decoding_key(header["kid"].as_str()?)?;
        let verified =
            jsonwebtoken::crypto::verify(signature, message.as_bytes(), key, ring.algorithm())
                .ok()?;
        let hint: Hint = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        (verified && hint.iss == self.issuer).then_some(hint)
    }

    /// The algorithms this server signs ID tokens with.
    pub fn algorithms(&self) -> &'static [&'static str] {
        signing_algorithms(self.rs256.is_some())
    }

    /// A signed ID token.
    pub fn issue(&self, token: &IdToken<'_>) -> Result<String, IdTokenError> {
        let now = self.clock.now_seconds();
        let claims = IdClaims {
            iss: &self.issuer,
            sub: &token.user.id,
            aud: token.client_id,
            exp: now + self.lifetime_seconds,
            iat: now,
            auth_time: u64::try_from(token.signed_in.at_ms / 1000).unwrap_or(0),
            nonce: token.nonce,
            amr: token.signed_in.factors.amr(),
            acr: token.signed_in.factors.acr(),
            sid: token.session_id,
            azp: token.client_id,
            preferred_username: scope::includes(token.scope, "profile")
                .then_some(token.user.username.as_str()),
            email: EmailClaims::of(token.user, token.scope),
        };
        if token.algorithm != RS256 {
            return Ok(self.signer.sign_json(&claims)?);
        }
        let rs256 = self.rs256.as_ref().ok_or_else(|| {
            IdTokenError::Rs256("AUTH__OIDC__RS256_KEY_FILE is not set".to_owned())
        })?;
        rs256
            .current()
            .sign_json(&claims)
            .map_err(IdTokenError::Rs256)
    }
}
