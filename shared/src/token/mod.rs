//! Signing and verifying access tokens.
//!
//! Policy: a token is accepted only if every check passes, in this order:
//! size and shape, header (unique members, no `crit`, `alg` equal to the
//! ring's algorithm, `typ` JWT, a known `kid`), signature, and only then the
//! payload (unique members, every claim present with its type, `iss`, `aud`,
//! `exp`, `nbf` and `iat` with the configured leeway; NumericDates may be
//! non-integer, RFC 7519 2). `jsonwebtoken` does the
//! cryptography; the checks around it are ours because it has no `typ`,
//! `crit`, `kid` or duplicate-member checks.

mod claims;
mod json;
mod keys;
mod recent;
#[cfg(feature = "remote-keys")]
mod remote;
mod source;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::clock::Clock;

pub use claims::{Audience, Claims};
pub use keys::{
    JwkSet, KeyError, KeyRing, MIN_HMAC_SECRET_BYTES, PublicJwk, algorithm_name, derive_kid,
};
#[cfg(feature = "remote-keys")]
pub use remote::RemoteKeyOptions;
pub use source::{Keys, KeysStatus};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a token was refused. Each variant's text is safe to show a client;
/// [`VerifyError::reason`] is the label logs and metrics use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("the token is longer than 8192 bytes")]
    Oversized,
    /// Not three base64url parts, or a part that does not decode.
    #[error("the token is not a well-formed JWS compact serialization")]
    Malformed,
    /// The header or the claims name a member twice.
    #[error("the token repeats a member name")]
    DuplicateMember,
    /// The header has a `crit` parameter, which we never understand.
    #[error("the token has a critical header parameter that is not supported")]
    CriticalHeader,
    /// `alg` is not the configured algorithm (`none` above all).
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    /// `typ` is missing or not `JWT`.
    #[error("the token's type is not JWT")]
    Type,
    /// No `kid` in the header.
    #[error("the token names no key id")]
    MissingKeyId,
    /// A `kid` that is not in the key ring.
    #[error("the token's key id is not known")]
    UnknownKey,
    /// The signature does not match.
    #[error("the token's signature is invalid")]
    Signature,
    /// A claim is missing or has the wrong type.
    #[error("the token's claims are missing or malformed")]
    Claims,
    /// `iss` is not the configured issuer.
    #[error("the token's issuer is not accepted")]
    Issuer,
    /// `aud` does not contain this service.
    #[error("the token is not meant for this service")]
    Audience,
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still ahead (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iat` is ahead (beyond the leeway): no issuer signs for the future.
    #[error("the token claims to be issued in the future")]
    IssuedInFuture,
}

impl VerifyError {
    /// Every reason, in declaration order (for metrics that start at zero).
    pub const ALL: [VerifyError; 15] = [
        Self::Oversized,
        Self::Malformed,
        Self::DuplicateMember,
        Self::CriticalHeader,
        Self::Algorithm,
        Self::Type,
        Self::MissingKeyId,
        Self::UnknownKey,
        Self::Signature,
        Self::Claims,
        Self::Issuer,
        Self::Audience,
        Self::Expired,
        Self::NotYetValid,
        Self::IssuedInFuture,
    ];

    /// A short, fixed label for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Oversized => "oversized",
            Self::Malformed => "malformed",
            Self::DuplicateMember => "duplicate_member",
            Self::CriticalHeader => "critical_header",
            Self::Algorithm => "algorithm",
            Self::Type => "type",
            Self::MissingKeyId => "missing_kid",
            Self::UnknownKey => "unknown_kid",
            Self::Signature => "bad_signature",
            Self::Claims => "claims",
            Self::Issuer => "wrong_issuer",
            Self::Audience => "wrong_audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
        }
    }
}

/// Checks access tokens against a key ring, an issuer and this service's audience.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use shared::clock::Clock;
/// use shared::token::{KeyRing, TokenSigner, TokenVerifier, VerifyError};
///
/// let ring = Arc::new(KeyRing::single_hmac(&[42; 32]).expect("ring"));
/// let clock = Clock::manual();
/// let signer = TokenSigner::new(ring.clone(), "auth-service", ["items-service"], 900);
/// let verifier = TokenVerifier::new(ring, "auth-service", "items-service", 30).with_clock(clock.clone());
///
/// let issued = signer.issue("user-id", "alice", "items:read").expect("signed");
/// assert_eq!(verifier.verify(&issued.access_token).expect("valid").username, "alice");
/// assert_eq!(verifier.verify("not.a.token"), Err(VerifyError::Malformed));
///
/// clock.advance(Duration::from_secs(900 + 30));
/// assert_eq!(verifier.verify(&issued.access_token), Err(VerifyError::Expired));
/// ```
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    /// Tells this verifier's (and its clones') remembered tokens from others'.
    id: u64,
    keys: Keys,
    issuer: String,
    audience: String,
    leeway_seconds: u64,
    clock: Clock,
}

/// The JOSE header members we read; any other is skipped (but may not repeat).
struct JoseHeader<'a> {
    alg: Cow<'a, str>,
    typ: Option<Cow<'a, str>>,
    kid: Option<Cow<'a, str>>,
    crit: bool,
}

impl<'de> Deserialize<'de> for JoseHeader<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeaderVisitor;
        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = JoseHeader<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JOSE header object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut alg, mut typ, mut kid, mut crit) = (None, None, None, None);
                let mut others = Vec::new();
                while let Some(name) = map.next_key::<json::Name<'de>>()? {
                    match name.0.as_ref() {
                        "alg" => json::once(&mut alg, map.next_value::<json::Name<'de>>()?.0)?,
                        "typ" => json::once(&mut typ, map.next_value::<json::Name<'de>>()?.0)?,
                        "kid" => json::once(&mut kid, map.next_value::<json::Name<'de>>()?.0)?,
                        "crit" => json::once(&mut crit, map.next_value::<IgnoredAny>()?)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            json::remember(&mut others, name)?;
                        }
                    }
                }
                Ok(JoseHeader {
                    alg: alg.ok_or_else(|| serde::de::Error::missing_field("alg"))?,
                    typ,
                    kid,
                    crit: crit.is_some(),
                })
            }
        }
        deserializer.deserialize_map(HeaderVisitor)
    }
}

impl TokenVerifier {
    /// A verifier that accepts tokens signed by `keys` (a [`KeyRing`], or
    /// [`Keys`] that change) from `issuer` meant for `audience`, with
    /// `leeway_seconds` of clock skew on `exp` and `nbf`, on the system clock.
    pub fn new(
        keys: impl Into<Keys>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
        leeway_seconds: u64,
    ) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            keys: keys.into(),
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_seconds,
            clock: Clock::system(),
        }
    }

    /// The same verifier reading `clock` for `exp` and `nbf`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The clock it reads.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The keys it verifies with.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Verifies `token` now: every check, every time.
    pub fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verify_at(token, self.clock.now_seconds())
    }

    /// Verifies `token` as of `now` (seconds since the epoch).
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, VerifyError> {
        self.with_ring(token, |ring| {
            let claims = self.verify_with(ring, token)?;
            self.check_times(&claims, now)?;
            Ok(claims)
        })
    }

    /// [`TokenVerifier::verify`] for a request: the same answer, but a token
    /// this thread verified lately costs a lookup and the time checks instead
    /// of a signature check and the claims' JSON, and the claims are shared.
    pub fn verify_remembered(&self, token: &str) -> Result<Arc<Claims>, VerifyError> {
        if let Some(answer) = self.remembered(token.as_bytes()) {
            return answer;
        }
        let now = self.clock.now_seconds();
        self.with_ring(token, |ring| {
            let claims = Arc::new(self.verify_with(ring, token)?);
            self.check_times(&claims, now)?;
            recent::remember(self.id, ring, token, claims.clone());
            Ok(claims)
        })
    }

    /// [`TokenVerifier::verify_remembered`]'s answer if this thread
    /// verified `token` lately (the time checks made again), else `None`.
    /// It takes bytes: bytes equal to a token that passed every check are
    /// that token, so a caller can look them up before reading them as text.
    pub fn remembered(&self, token: &[u8]) -> Option<Result<Arc<Claims>, VerifyError>> {
        let ring = self.keys.load();
        let claims = recent::lookup(self.id, ring.as_ref().as_ref()?, token)?;
        Some(
            self.check_times(&claims, self.clock.now_seconds())
                .map(|()| claims),
        )
    }

    /// Runs `verify` with the current ring, after the size check.
    fn with_ring<T>(
        &self,
        token: &str,
        verify: impl FnOnce(&Arc<KeyRing>) -> Result<T, VerifyError>,
    ) -> Result<T, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::Oversized);
        }
        match self.keys.load().as_ref() {
            Some(ring) => verify(ring),
            // No ring yet (a remote set never fetched): no key id is known.
            None => Err(compact_parts(token)
                .err()
                .unwrap_or(VerifyError::UnknownKey)),
        }
    }

    /// Every check but the times'.
    fn verify_with(&self, ring: &KeyRing, token: &str) -> Result<Claims, VerifyError> {
        let (header_b64, payload_b64, signature_b64) = compact_parts(token)?;
        // Tokens we issued carry one of a few known headers: compare, do not parse.
        let key = match ring.key_with_issued_header(header_b64) {
            Some(key) => key,
            None => check_header(ring, header_b64)?,
        };
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        verify_signature(
            key,
            ring.algorithm(),
            signing_input.as_bytes(),
            signature_b64,
        )?;

        // Claims refuse repeated members themselves, in the same pass.
        let (mut stack, mut heap) = ([0u8; 1024], Vec::new());
        let payload_json = decode_part(payload_b64, &mut stack, &mut heap)?;
        let claims: Claims = serde_json::from_slice(payload_json).map_err(|e| {
            if json::is_duplicate_member(&e) {
                VerifyError::DuplicateMember
            } else {
                VerifyError::Claims
            }
        })?;
        if claims.iss != self.issuer {
            return Err(VerifyError::Issuer);
        }
        if !claims.aud.contains(&self.audience) {
            return Err(VerifyError::Audience);
        }
        Ok(claims)
    }

    fn check_times(&self, claims: &Claims, now: u64) -> Result<(), VerifyError> {
        if now >= claims.exp.saturating_add(self.leeway_seconds) {
            return Err(VerifyError::Expired);
        }
        if claims.nbf > now.saturating_add(self.leeway_seconds) {
            return Err(VerifyError::NotYetValid);
        }
        if claims.iat > now.saturating_add(self.leeway_seconds) {
            return Err(VerifyError::IssuedInFuture);
        }
        Ok(())
    }
}

/// A compact JWS's three base64url parts, none empty.
fn compact_parts(token: &str) -> Result<(&str, &str, &str), VerifyError> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None)
            if !header.is_empty() && !payload.is_empty() && !signature.is_empty() =>
        {
            Ok((header, payload, signature))
        }
        _ => Err(VerifyError::Malformed),
    }
}

/// Checks a header member by member; the key it names.
fn check_header<'r>(ring: &'r KeyRing, header_b64: &str) -> Result<&'r keys::RingKey, VerifyError> {
    let (mut stack, mut heap) = ([0u8; 256], Vec::new());
    let header_json = decode_part(header_b64, &mut stack, &mut heap)?;
    let header: JoseHeader<'_> = serde_json::from_slice(header_json).map_err(|e| {
        if json::is_duplicate_member(&e) {
            VerifyError::DuplicateMember
        } else {
            VerifyError::Malformed
        }
    })?;
    if header.crit {
        return Err(VerifyError::CriticalHeader);
    }
    let algorithm = ring.algorithm();
    if header.alg != keys::algorithm_name(algorithm) {
        return Err(VerifyError::Algorithm);
    }
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case("JWT"))
    {
        return Err(VerifyError::Type);
    }
    let kid = header.kid.as_deref().ok_or(VerifyError::MissingKeyId)?;
    ring.key(kid).ok_or(VerifyError::UnknownKey)
}

/// HS256 with the ring's prepared MAC (a constant-time comparison); other
/// algorithms through `jsonwebtoken`.
fn verify_signature(
    key: &keys::RingKey,
    algorithm: jsonwebtoken::Algorithm,
    signing_input: &[u8],
    signature_b64: &str,
) -> Result<(), VerifyError> {
    use hmac::Mac as _;

    match key.hmac() {
        Some(prepared) => {
            let mut signature = [0u8; 32];
            match URL_SAFE_NO_PAD.decode_slice(signature_b64, &mut signature) {
                Ok(32) => {}
                Ok(_) | Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                    return Err(VerifyError::Signature);
                }
                Err(base64::DecodeSliceError::DecodeError(_)) => {
                    return Err(VerifyError::Malformed);
                }
            }
            let mut mac = prepared.clone();
            mac.update(signing_input);
            mac.verify_slice(&signature)
                .map_err(|_| VerifyError::Signature)
        }
        None => match jsonwebtoken::crypto::verify(
            signature_b64,
            signing_input,
            key.decoding(),
            algorithm,
        ) {
            Ok(true) => Ok(()),
            Ok(false) => Err(VerifyError::Signature),
            Err(_) => Err(VerifyError::Malformed),
        },
    }
}

/// Decodes a base64url part into `stack` when it fits, else into `heap`.
fn decode_part<'b, const N: usize>(
    part: &str,
    stack: &'b mut [u8; N],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], VerifyError> {
    if part.len() / 4 * 3 + 3 <= N {
        let len = URL_SAFE_NO_PAD
            .decode_slice(part, stack)
            .map_err(|_| VerifyError::Malformed)?;
        Ok(&stack[..len])
    } else {
        URL_SAFE_NO_PAD
            .decode_vec(part, heap)
            .map_err(|_| VerifyError::Malformed)?;
        Ok(heap)
    }
}

/// A freshly signed access token (see [`TokenSigner`]).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// What it says.
    pub claims: Claims,
}

/// Why a token could not be signed.
///
/// ```
/// use std::sync::Arc;
/// use shared::token::{KeyRing, SignError, TokenSigner};
///
/// // A ring with public keys only verifies.
/// let public = include_str!("../../testdata/ed25519-1.public.pem");
/// let ring = Arc::new(KeyRing::from_pem(jsonwebtoken::Algorithm::EdDSA, public, None).expect("ring"));
/// let signer = TokenSigner::new(ring, "auth-service", ["items-service"], 900);
/// assert!(matches!(signer.issue("u", "alice", ""), Err(SignError::NoSigningKey)));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The ring holds only verification keys (no private key).
    #[error("the key ring has no signing key")]
    NoSigningKey,
    /// The key does not fit the algorithm.
    #[error("could not sign the token")]
    Crypto(#[from] jsonwebtoken::errors::Error),
}

/// How a user signed in, as tokens say it: `auth_time`, `acr`, `amr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignIn<'a> {
    /// When, seconds since the Unix epoch.
    pub auth_time: u64,
    /// `aal1` or `aal2` (RFC 9470).
    pub acr: &'a str,
    /// RFC 8176 methods, e.g. `["pwd", "otp", "mfa"]`.
    pub amr: &'a [&'a str],
}

/// Issues access tokens with the ring's active key.
///
/// ```
/// use std::sync::Arc;
/// use shared::token::{KeyRing, TokenSigner};
///
/// let ring = Arc::new(KeyRing::single_hmac(&[42; 32]).expect("ring"));
/// let signer = TokenSigner::new(ring, "auth-service", ["items-service", "reports-service"], 900);
/// let issued = signer.issue("user-id", "alice", "items:read").expect("signed");
/// assert_eq!(issued.expires_in, 900);
/// assert_eq!(issued.claims.aud.as_slice(), ["items-service", "reports-service"]);
/// assert_eq!(issued.access_token.split('.').count(), 3);
///
/// // `sign` signs any claims as they are: tests mint expired tokens with it.
/// let mut claims = issued.claims;
/// claims.exp = 1_000_000_000; // 2001
/// assert!(signer.sign(&claims).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct TokenSigner {
    keys: Keys,
    issuer: String,
    audience: Audience,
    lifetime_seconds: u64,
    clock: Clock,
}

impl TokenSigner {
    /// A signer for `issuer` that addresses tokens to `audiences` and makes
    /// them live `lifetime_seconds`, on the system clock.
    pub fn new<I, S>(
        keys: impl Into<Keys>,
        issuer: impl Into<String>,
        audiences: I,
        lifetime_seconds: u64,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            keys: keys.into(),
            issuer: issuer.into(),
            audience: Audience::many(audiences),
            lifetime_seconds,
            clock: Clock::system(),
        }
    }

    /// The same signer reading `clock` for `iat`, `nbf` and `exp`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// Seconds an access token lives.
    pub fn lifetime_seconds(&self) -> u64 {
        self.lifetime_seconds
    }

    /// A new access token for a user, valid from now, in no session.
    pub fn issue(
        &self,
        user_id: &str,
        username: &str,
        scope: &str,
    ) -> Result<IssuedToken, SignError> {
        self.issue_in(None, user_id, username, scope)
    }

    /// A service client's own access token (RFC 6749 4.4): `sub`,
    /// `client_id` and `username` are the client's id.
    pub fn issue_to_client(&self, client_id: &str, scope: &str) -> Result<IssuedToken, SignError> {
        let mut claims = self.claims(client_id, client_id, scope);
        claims.client_id = Some(client_id.to_owned());
        self.signed(claims)
    }

    /// A new access token for a user, valid from now, belonging to the
    /// session (login) `sid`, which the issuer can end before `exp`.
    pub fn issue_in(
        &self,
        sid: Option<&str>,
        user_id: &str,
        username: &str,
        scope: &str,
    ) -> Result<IssuedToken, SignError> {
        let mut claims = self.claims(user_id, username, scope);
        claims.sid = sid.map(str::to_owned);
        self.signed(claims)
    }

    /// [`Self::issue_in`], saying how the user signed in.
    pub fn issue_signed_in(
        &self,
        sid: Option<&str>,
        user_id: &str,
        username: &str,
        scope: &str,
        sign_in: &SignIn<'_>,
    ) -> Result<IssuedToken, SignError> {
        let mut claims = self.claims(user_id, username, scope);
        claims.sid = sid.map(str::to_owned);
        claims.auth_time = Some(sign_in.auth_time);
        claims.acr = Some(sign_in.acr.to_owned());
        claims.amr = Some(sign_in.amr.iter().map(|m| (*m).to_owned()).collect());
        self.signed(claims)
    }

    /// Fresh claims from now, with no session or client.
    fn claims(&self, sub: &str, username: &str, scope: &str) -> Claims {
        let issued_at = self.clock.now_seconds();
        Claims {
            iss: self.issuer.clone(),
            sub: sub.to_owned(),
            aud: self.audience.clone(),
            exp: issued_at + self.lifetime_seconds,
            nbf: issued_at,
            iat: issued_at,
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.to_owned(),
            username: username.to_owned(),
            sid: None,
            client_id: None,
            auth_time: None,
            acr: None,
            amr: None,
        }
    }

    fn signed(&self, claims: Claims) -> Result<IssuedToken, SignError> {
        Ok(IssuedToken {
            access_token: self.sign(&claims)?,
            expires_in: self.lifetime_seconds,
            claims,
        })
    }

    /// Signs any claims as they are (tests use it to mint expired or
    /// mis-addressed tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, SignError> {
        self.sign_json(claims)
    }

    /// Signs another kind of token with this signer's active key (an
    /// OpenID Connect ID token): `payload` as it serializes.
    pub fn sign_json(&self, payload: &impl serde::Serialize) -> Result<String, SignError> {
        // What `jsonwebtoken::encode` does, with the header the ring encoded once.
        let ring = self.keys.load();
        let ring = ring.as_deref().ok_or(SignError::NoSigningKey)?;
        let (header_b64, key) = ring.signing_key().ok_or(SignError::NoSigningKey)?;
        let payload = serde_json::to_vec(payload).map_err(jsonwebtoken::errors::Error::from)?;
        let mut token = format!("{header_b64}.");
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let signature = jsonwebtoken::crypto::sign(token.as_bytes(), key, ring.algorithm())?;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }
}

#[cfg(test)]
mod tests;
