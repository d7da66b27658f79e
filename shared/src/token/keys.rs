//! The key ring: every key that may verify a token, and the one that signs.
//!
//! One algorithm per ring: HS256 (shared secrets, the default), EdDSA
//! (Ed25519) or ES256 (P-256). With the asymmetric ones the issuer holds the
//! private key and verifiers only public keys, so a verifier cannot mint
//! tokens; a public key's id is its RFC 7638 thumbprint, and the ring
//! publishes its public keys as a JWK Set (RFC 7517) and reads one back.
//! Rotation with no downtime: publish the next key, make it active, remove
//! the old one once the longest access-token lifetime has passed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// Why a key ring could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// An HMAC secret shorter than [`MIN_HMAC_SECRET_BYTES`].
    #[error(
        "the secret for key `{kid}` is {len} bytes; an HMAC secret must be at least {MIN_HMAC_SECRET_BYTES} bytes (RFC 7518 3.2)"
    )]
    SecretTooShort {
        /// The key's id.
        kid: String,
        /// The secret's length in bytes.
        len: usize,
    },
    /// No key at all.
    #[error("the key ring is empty")]
    Empty,
    /// Two keys share an id.
    #[error("two keys share the id `{0}`")]
    DuplicateKid(String),
    /// The active key id names no key in the ring.
    #[error("the active key id `{0}` is not in the key ring")]
    UnknownActiveKid(String),
    /// A key id that is empty or not printable ASCII.
    #[error("key id `{0}` must be 1 to 64 printable ASCII characters")]
    BadKid(String),
    /// A PEM block that is not a key of the ring's algorithm and kind.
    #[error("not a valid {algorithm} {kind} key in PEM form")]
    BadPem {
        /// `Ed25519` or `P-256`.
        algorithm: &'static str,
        /// `public` or `private`.
        kind: &'static str,
    },
    /// A JWK Set that cannot be read, or a key in it that is not valid.
    #[error("not a valid JWK Set: {0}")]
    BadJwks(String),
    /// The private key's public half is not among the verification keys.
    #[error("the private key does not match any of the public keys")]
    UnmatchedPrivateKey,
    /// An algorithm the ring does not offer.
    #[error("the algorithm {0:?} is not offered: use HS256, EdDSA or ES256")]
    UnsupportedAlgorithm(Algorithm),
}

pub(crate) struct RingKey {
    pub(crate) kid: String,
    /// The id an EdDSA key had before ids were RFC 7638 thumbprints, so
    /// tokens signed before an upgrade still verify.
    former_kid: Option<String>,
    decoding: DecodingKey,
    /// HS256 only: the MAC with the key schedule done, cloned per check.
    hmac: Option<Hmac<Sha256>>,
    /// The encoded header our signer writes with this key: a token that
    /// carries exactly these bytes needs no header parse.
    issued_header: String,
    /// The public key as published; `None` for a secret.
    jwk: Option<PublicJwk>,
}

/// The JOSE header our signer writes: `typ`, `alg` and `kid`.
fn issued_header(algorithm: Algorithm, kid: &str) -> Header {
    let mut header = Header::new(algorithm);
    header.typ = Some("JWT".to_owned());
    header.kid = Some(kid.to_owned());
    header
}

impl RingKey {
    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }

    pub(crate) fn hmac(&self) -> Option<&Hmac<Sha256>> {
        self.hmac.as_ref()
    }
}

/// One public key of a JWK Set (RFC 7517, 7518 6.2, 8037): an Ed25519
/// (`OKP`) or P-256 (`EC`) key for signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    /// `OKP` (Ed25519) or `EC` (P-256).
    pub kty: String,
    /// `Ed25519` or `P-256`.
    pub crv: String,
    /// The public key (Ed25519) or its x coordinate (P-256), base64url.
    pub x: String,
    /// P-256 only: the y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// The key id: the RFC 7638 thumbprint for the keys we publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `EdDSA` or `ES256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// `sig`.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
}

/// A JWK Set: what `/.well-known/jwks.json` serves and `JWT_JWKS_FILE` holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JwkSet {
    /// The public keys; none for an HS256 ring.
    pub keys: Vec<PublicJwk>,
}

/// The members of a JWK Set entry we look at before deciding to use it.
#[derive(Deserialize)]
struct AnyJwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    d: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct AnyJwkSet {
    keys: Vec<serde_json::Value>,
}

/// What the asymmetric algorithms differ in.
#[derive(Clone, Copy)]
struct Curve {
    algorithm: Algorithm,
    kty: &'static str,
    crv: &'static str,
}

impl Curve {
    fn of(algorithm: Algorithm) -> Result<Self, KeyError> {
        match algorithm {
            Algorithm::EdDSA => Ok(Self {
                algorithm,
                kty: "OKP",
                crv: "Ed25519",
            }),
            Algorithm::ES256 => Ok(Self {
                algorithm,
                kty: "EC",
                crv: "P-256",
            }),
            other => Err(KeyError::UnsupportedAlgorithm(other)),
        }
    }

    fn bad_pem(self, kind: &'static str) -> KeyError {
        KeyError::BadPem {
            algorithm: self.crv,
            kind,
        }
    }

    /// The public key from its raw form: 32 bytes (Ed25519) or a SEC1 point
    /// (P-256, compressed or not).
    fn public_key(self, raw: &[u8]) -> Option<(DecodingKey, PublicJwk)> {
        let (decoding, x, y) = match self.algorithm {
            Algorithm::EdDSA => {
                let key: [u8; 32] = raw.try_into().ok()?;
                ed25519_dalek::VerifyingKey::from_bytes(&key).ok()?;
                (
                    DecodingKey::from_ed_der(&key),
                    URL_SAFE_NO_PAD.encode(key),
                    None,
                )
            }
            _ => {
                use p256::elliptic_curve::sec1::ToEncodedPoint as _;
                let point = p256::PublicKey::from_sec1_bytes(raw)
                    .ok()?
                    .to_encoded_point(false);
                let (x, y) = (point.x()?, point.y()?);
                (
                    DecodingKey::from_ec_der(point.as_bytes()),
                    URL_SAFE_NO_PAD.encode(x),
                    Some(URL_SAFE_NO_PAD.encode(y)),
                )
            }
        };
        let mut jwk = PublicJwk {
            kty: self.kty.to_owned(),
            crv: self.crv.to_owned(),
            x,
            y,
            kid: None,
            alg: Some(algorithm_name(self.algorithm).to_owned()),
            key_use: Some("sig".to_owned()),
        };
        jwk.kid = Some(thumbprint(&jwk));
        Some((decoding, jwk))
    }

    /// The raw public key a JWK describes.
    fn raw_from_jwk(self, jwk: &AnyJwk) -> Option<Vec<u8>> {
        let coordinate = |value: &Option<String>| URL_SAFE_NO_PAD.decode(value.as_deref()?).ok();
        match self.algorithm {
            Algorithm::EdDSA => coordinate(&jwk.x),
            _ => {
                let (x, y) = (coordinate(&jwk.x)?, coordinate(&jwk.y)?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                Some([&[4u8][..], &x, &y].concat())
            }
        }
    }
}

/// Refuses an algorithm that has no public keys here (only EdDSA and ES256 do).
#[cfg(feature = "remote-keys")]
pub(crate) fn check_public_key_algorithm(algorithm: Algorithm) -> Result<(), KeyError> {
    Curve::of(algorithm).map(|_| ())
}

/// RFC 7638: SHA-256 of the required members in lexicographic order, base64url.
fn thumbprint(jwk: &PublicJwk) -> String {
    let canonical = match &jwk.y {
        Some(y) => format!(
            r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{y}"}}"#,
            jwk.crv, jwk.kty, jwk.x
        ),
        None => format!(
            r#"{{"crv":"{}","kty":"{}","x":"{}"}}"#,
            jwk.crv, jwk.kty, jwk.x
        ),
    };
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical))
}

/// The JOSE name (`alg`) of an algorithm a ring offers; `""` for any other.
pub fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::EdDSA => "EdDSA",
        Algorithm::ES256 => "ES256",
        // A ring is never built with another algorithm; nothing matches "".
        _ => "",
    }
}

/// Keys by id (`kid`) and, on the issuer, the active signing key.
///
/// ```
/// use jsonwebtoken::Algorithm;
/// use shared::token::{KeyError, KeyRing};
///
/// // One HS256 secret; its id is derived from it.
/// let ring = KeyRing::single_hmac(b"0123456789abcdef0123456789abcdef").expect("32 bytes");
/// let kid = ring.active_kid().expect("an HMAC ring can sign");
/// assert!(ring.decoding_key(kid).is_some());
/// assert!(ring.jwks().keys.is_empty(), "a secret is never published");
/// assert!(matches!(KeyRing::single_hmac(b"too short"), Err(KeyError::SecretTooShort { .. })));
///
/// // A rotation: both keys verify, the active one signs.
/// let rotating = KeyRing::hmac([("old", &[1u8; 32][..]), ("new", &[2u8; 32][..])], "new")
///     .expect("two keys");
/// assert_eq!(rotating.kids().collect::<Vec<_>>(), ["old", "new"]);
/// assert_eq!(rotating.active_kid(), Some("new"));
///
/// // ES256 with public keys only: a verifier's ring, which cannot sign; its
/// // JWK Set reads back as the same ring.
/// let public = include_str!("../../testdata/p256-1.public.pem");
/// let verifier = KeyRing::from_pem(Algorithm::ES256, public, None).expect("a PEM key");
/// assert_eq!(verifier.active_kid(), None);
/// let published = serde_json::to_string(&verifier.jwks()).expect("JSON");
/// let read_back = KeyRing::from_jwks(Algorithm::ES256, published.as_bytes()).expect("a JWK Set");
/// assert!(read_back.kids().eq(verifier.kids()));
/// ```
pub struct KeyRing {
    algorithm: Algorithm,
    keys: Vec<RingKey>,
    signing: Option<(usize, EncodingKey)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key material never prints; the ids are public (they travel in tokens).
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("KeyRing")
            .field("algorithm", &self.algorithm)
            .field("active", &self.active_kid())
            .field("kids", &kids)
            .finish()
    }
}

impl KeyRing {
    /// A ring of one HS256 key whose id is derived from the secret, so every
    /// service given the same secret agrees on the id with no further setting.
    pub fn single_hmac(secret: &[u8]) -> Result<Self, KeyError> {
        let kid = derive_kid(secret);
        Self::hmac([(kid.clone(), secret)], &kid)
    }

    /// A ring of HS256 keys given as `(kid, secret)`; `active` signs.
    pub fn hmac<'a, K, I>(keys: I, active: &str) -> Result<Self, KeyError>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, &'a [u8])>,
    {
        let mut ring = Vec::new();
        let mut signing = None;
        for (kid, secret) in keys {
            let kid = kid.into();
            if secret.len() < MIN_HMAC_SECRET_BYTES {
                return Err(KeyError::SecretTooShort {
                    kid,
                    len: secret.len(),
                });
            }
            if kid == active {
                signing = Some((ring.len(), EncodingKey::from_secret(secret)));
            }
            let key = RingKey {
                kid,
                former_kid: None,
                hmac: Hmac::<Sha256>::new_from_slice(secret).ok(),
                decoding: DecodingKey::from_secret(secret),
                issued_header: String::new(),
                jwk: None,
            };
            push_key(&mut ring, Algorithm::HS256, key)?;
        }
        if ring.is_empty() {
            return Err(KeyError::Empty);
        }
        let signing = signing.ok_or_else(|| KeyError::UnknownActiveKid(active.to_owned()))?;
        Ok(Self {
            algorithm: Algorithm::HS256,
            keys: ring,
            signing: Some(signing),
        })
    }

    /// An EdDSA (Ed25519) or ES256 (P-256) ring from PEM text holding one or
    /// more public keys (`-----BEGIN PUBLIC KEY-----` blocks), each with its
    /// RFC 7638 thumbprint as id. With `private_pem` (PKCS#8) the ring can
    /// also sign; its public half must be among the public keys, and it
    /// becomes the active key.
    pub fn from_pem(
        algorithm: Algorithm,
        public_pems: &str,
        private_pem: Option<&str>,
    ) -> Result<Self, KeyError> {
        let curve = Curve::of(algorithm)?;
        let mut ring = Vec::new();
        for block in pem_blocks(public_pems) {
            let raw = match algorithm {
                Algorithm::EdDSA => DecodingKey::from_ed_pem(block.as_bytes()),
                _ => DecodingKey::from_ec_pem(block.as_bytes()),
            }
            .map_err(|_| curve.bad_pem("public"))?;
            let raw = raw.as_bytes();
            let (decoding, jwk) = curve.public_key(raw).ok_or(curve.bad_pem("public"))?;
            let former_kid = (algorithm == Algorithm::EdDSA).then(|| derive_kid(raw));
            push_public_key(&mut ring, algorithm, jwk, decoding, former_kid)?;
        }
        if ring.is_empty() {
            return Err(KeyError::Empty);
        }
        let signing = match private_pem {
            None => None,
            Some(pem) => {
                let encoding = match algorithm {
                    Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
                    _ => EncodingKey::from_ec_pem(pem.as_bytes()),
                }
                .map_err(|_| curve.bad_pem("private"))?;
                let probe = b"which public key matches";
                let signature = jsonwebtoken::crypto::sign(probe, &encoding, algorithm)
                    .map_err(|_| curve.bad_pem("private"))?;
                let position = ring
                    .iter()
                    .position(|key| {
                        jsonwebtoken::crypto::verify(&signature, probe, &key.decoding, algorithm)
                            .unwrap_or(false)
                    })
                    .ok_or(KeyError::UnmatchedPrivateKey)?;
                Some((position, encoding))
            }
        };
        Ok(Self {
            algorithm,
            keys: ring,
            signing,
        })
    }

    /// A verifier's ring from a JWK Set document: the keys of `algorithm`
    /// meant for signatures. Entries of other types, curves, algorithms or
    /// uses are skipped (a set may serve several kinds of verifier); a
    /// private or malformed key of ours refuses the whole set. A key without
    /// `kid` gets its thumbprint.
    pub fn from_jwks(algorithm: Algorithm, document: &[u8]) -> Result<Self, KeyError> {
        let curve = Curve::of(algorithm)?;
        let bad = |why: String| KeyError::BadJwks(why);
        let set: AnyJwkSet = serde_json::from_slice(document)
            .map_err(|e| bad(format!("expected {{\"keys\": [...]}}: {e}")))?;
        let mut ring = Vec::new();
        for (index, entry) in set.keys.into_iter().enumerate() {
            let jwk: AnyJwk =
                serde_json::from_value(entry).map_err(|e| bad(format!("key {index}: {e}")))?;
            let ours = jwk.kty.as_deref() == Some(curve.kty)
                && jwk.crv.as_deref() == Some(curve.crv)
                && jwk.key_use.as_deref().is_none_or(|u| u == "sig")
                && jwk
                    .alg
                    .as_deref()
                    .is_none_or(|a| a == algorithm_name(algorithm));
            if !ours {
                continue;
            }
            if jwk.d.is_some() {
                return Err(bad(format!("key {index} is a private key")));
            }
            let (decoding, mut published) = curve
                .raw_from_jwk(&jwk)
                .and_then(|raw| curve.public_key(&raw))
                .ok_or_else(|| bad(format!("key {index} is not a valid {} key", curve.crv)))?;
            if let Some(kid) = jwk.kid {
                published.kid = Some(kid);
            }
            push_public_key(&mut ring, algorithm, published, decoding, None)?;
        }
        if ring.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Self {
            algorithm,
            keys: ring,
            signing: None,
        })
    }

    /// The public keys as a JWK Set; empty for HS256, whose keys are secrets.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().filter_map(|k| k.jwk.clone()).collect(),
        }
    }

    /// The one algorithm every key of this ring uses.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The id of the key that signs new tokens; `None` on a verifier-only ring.
    pub fn active_kid(&self) -> Option<&str> {
        self.signing
            .as_ref()
            .map(|(index, _)| self.keys[*index].kid.as_str())
    }

    /// Every key id, in configured order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// The key with this id, for verification.
    pub fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.key(kid).map(|k| &k.decoding)
    }

    pub(crate) fn key(&self, kid: &str) -> Option<&RingKey> {
        self.keys
            .iter()
            .find(|k| k.kid == kid || k.former_kid.as_deref() == Some(kid))
    }

    /// The key whose issued header is exactly `header_b64`.
    pub(crate) fn key_with_issued_header(&self, header_b64: &str) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.issued_header == header_b64)
    }

    /// The active key, for signing: its encoded header and its key.
    pub(crate) fn signing_key(&self) -> Option<(&str, &EncodingKey)> {
        self.signing
            .as_ref()
            .map(|(index, key)| (self.keys[*index].issued_header.as_str(), key))
    }
}

fn push_public_key(
    ring: &mut Vec<RingKey>,
    algorithm: Algorithm,
    jwk: PublicJwk,
    decoding: DecodingKey,
    former_kid: Option<String>,
) -> Result<(), KeyError> {
    let key = RingKey {
        kid: jwk.kid.clone().unwrap_or_else(|| thumbprint(&jwk)),
        former_kid,
        decoding,
        hmac: None,
        issued_header: String::new(),
        jwk: Some(jwk),
    };
    push_key(ring, algorithm, key)
}

fn push_key(
    ring: &mut Vec<RingKey>,
    algorithm: Algorithm,
    mut key: RingKey,
) -> Result<(), KeyError> {
    let kid = &key.kid;
    if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::BadKid(key.kid));
    }
    if ring.iter().any(|k| k.kid == *kid) {
        return Err(KeyError::DuplicateKid(key.kid));
    }
    let header_json = serde_json::to_vec(&issued_header(algorithm, kid))
        .map_err(|_| KeyError::BadKid(kid.clone()))?;
    key.issued_header = URL_SAFE_NO_PAD.encode(header_json);
    ring.push(key);
    Ok(())
}

/// Splits PEM text into its `-----BEGIN ...-----` to `-----END ...-----` blocks.
fn pem_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with("-----BEGIN ") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
            if line.starts_with("-----END ") {
                blocks.extend(current.take());
            }
        }
    }
    blocks
}

/// A public, stable key id for key material: 16 hex digits of a
/// domain-separated SHA-256 (a secret cannot be recovered from it).
///
/// ```
/// let kid = shared::token::derive_kid(b"0123456789abcdef0123456789abcdef");
/// assert_eq!(kid.len(), 16);
/// ```
pub fn derive_kid(key_material: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"jwt-kid:")
        .chain_update(key_material)
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC_1: &str = include_str!("../../testdata/ed25519-1.public.pem");
    const PUBLIC_2: &str = include_str!("../../testdata/ed25519-2.public.pem");
    const PRIVATE_1: &str = include_str!("../../testdata/ed25519-1.private.pem");

    #[test]
    fn a_secret_of_31_bytes_is_refused_and_32_accepted() {
        assert!(matches!(
            KeyRing::single_hmac(&[7; 31]),
            Err(KeyError::SecretTooShort { len: 31, .. })
        ));
        assert!(KeyRing::single_hmac(&[7; 32]).is_ok());
    }

    #[test]
    fn the_active_kid_must_be_in_the_ring() {
        let err = KeyRing::hmac([("a", &[1u8; 32][..])], "b").err();
        assert_eq!(err, Some(KeyError::UnknownActiveKid("b".into())));
    }

    #[test]
    fn duplicate_kids_are_refused() {
        let err = KeyRing::hmac([("a", &[1u8; 32][..]), ("a", &[2u8; 32][..])], "a").err();
        assert_eq!(err, Some(KeyError::DuplicateKid("a".into())));
    }

    #[test]
    fn the_same_secret_derives_the_same_kid_and_others_differ() {
        assert_eq!(derive_kid(&[1; 32]), derive_kid(&[1; 32]));
        assert_ne!(derive_kid(&[1; 32]), derive_kid(&[2; 32]));
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let ring = KeyRing::single_hmac(b"super-secret-value-super-secret-value").expect("ring");
        let printed = format!("{ring:?}");
        assert!(!printed.contains("super-secret"), "{printed}");
    }

    #[test]
    fn several_public_keys_in_one_pem_text_each_get_an_id() {
        let ring = KeyRing::from_pem(Algorithm::EdDSA, &format!("{PUBLIC_1}\n{PUBLIC_2}"), None)
            .expect("ring");
        assert_eq!(ring.kids().count(), 2);
        assert_eq!(ring.active_kid(), None);
    }

    #[test]
    fn the_private_key_signs_under_its_own_public_keys_id() {
        let both = format!("{PUBLIC_2}{PUBLIC_1}");
        let ring = KeyRing::from_pem(Algorithm::EdDSA, &both, Some(PRIVATE_1)).expect("ring");
        let only_1 = KeyRing::from_pem(Algorithm::EdDSA, PUBLIC_1, None).expect("ring");
        assert_eq!(ring.active_kid(), only_1.kids().next());
    }

    #[test]
    fn a_private_key_without_its_public_key_is_refused() {
        let err = KeyRing::from_pem(Algorithm::EdDSA, PUBLIC_2, Some(PRIVATE_1)).err();
        assert_eq!(err, Some(KeyError::UnmatchedPrivateKey));
    }

    #[test]
    fn text_that_is_not_a_public_key_is_refused() {
        assert_eq!(
            KeyRing::from_pem(Algorithm::EdDSA, "", None).err(),
            Some(KeyError::Empty)
        );
        assert_eq!(
            KeyRing::from_pem(Algorithm::EdDSA, PRIVATE_1, None).err(),
            Some(KeyError::BadPem {
                algorithm: "Ed25519",
                kind: "public"
            })
        );
    }

    const P256_PUBLIC_1: &str = include_str!("../../testdata/p256-1.public.pem");
    const P256_PUBLIC_2: &str = include_str!("../../testdata/p256-2.public.pem");
    const P256_PRIVATE_1: &str = include_str!("../../testdata/p256-1.private.pem");

    #[test]
    fn an_ed25519_kid_is_the_rfc_8037_thumbprint() {
        // RFC 8037 A.2 and A.3: this public key's thumbprint.
        let set = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
        let ring = KeyRing::from_jwks(Algorithm::EdDSA, set.as_bytes()).expect("ring");
        assert_eq!(
            ring.kids().collect::<Vec<_>>(),
            ["kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"]
        );
    }

    #[test]
    fn an_es256_ring_signs_with_the_matching_key_and_publishes_both() {
        let both = format!("{P256_PUBLIC_2}{P256_PUBLIC_1}");
        let ring = KeyRing::from_pem(Algorithm::ES256, &both, Some(P256_PRIVATE_1)).expect("ring");
        let only_1 = KeyRing::from_pem(Algorithm::ES256, P256_PUBLIC_1, None).expect("ring");
        assert_eq!(ring.active_kid(), only_1.kids().next());
        let jwks = ring.jwks();
        assert_eq!(jwks.keys.len(), 2);
        let first = &jwks.keys[0];
        assert_eq!((first.kty.as_str(), first.crv.as_str()), ("EC", "P-256"));
        assert_eq!(first.alg.as_deref(), Some("ES256"));
        assert_eq!(first.key_use.as_deref(), Some("sig"));
        assert_eq!(first.kid.as_deref(), ring.kids().next());
        let printed = serde_json::to_string(&jwks).expect("JSON");
        assert!(!printed.contains("\"d\""), "{printed}");
    }

    #[test]
    fn a_key_of_the_other_curve_is_refused() {
        assert_eq!(
            KeyRing::from_pem(Algorithm::ES256, PUBLIC_1, None).err(),
            Some(KeyError::BadPem {
                algorithm: "P-256",
                kind: "public"
            })
        );
        assert!(KeyRing::from_pem(Algorithm::EdDSA, P256_PUBLIC_1, None).is_err());
        assert!(KeyRing::from_pem(Algorithm::ES256, P256_PUBLIC_1, Some(PRIVATE_1)).is_err());
        assert_eq!(
            KeyRing::from_pem(Algorithm::RS256, PUBLIC_1, None).err(),
            Some(KeyError::UnsupportedAlgorithm(Algorithm::RS256))
        );
    }

    #[test]
    fn an_eddsa_key_answers_to_its_former_id_too() {
        let ring = KeyRing::from_pem(Algorithm::EdDSA, PUBLIC_1, None).expect("ring");
        let raw = DecodingKey::from_ed_pem(PUBLIC_1.as_bytes()).expect("PEM");
        let former = derive_kid(raw.as_bytes());
        assert!(ring.key(&former).is_some());
        assert_ne!(ring.kids().next(), Some(former.as_str()));
    }

    #[test]
    fn a_jwk_set_keeps_only_signature_keys_of_the_rings_algorithm() {
        let ours = KeyRing::from_pem(Algorithm::EdDSA, PUBLIC_1, None).expect("ring");
        let mut published = serde_json::to_value(ours.jwks()).expect("JSON");
        let keys = published["keys"].as_array_mut().expect("keys");
        let mut for_encryption = keys[0].clone();
        for_encryption["use"] = "enc".into();
        for_encryption["kid"] = "enc".into();
        keys.push(for_encryption);
        keys.push(serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}));
        keys.push(serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"}));
        let document = serde_json::to_vec(&published).expect("JSON");
        let ring = KeyRing::from_jwks(Algorithm::EdDSA, &document).expect("ring");
        assert!(ring.kids().eq(ours.kids()));
        // Nothing of ours in it: refused rather than an empty ring.
        assert_eq!(
            KeyRing::from_jwks(Algorithm::ES256, &document).err(),
            Some(KeyError::Empty)
        );
    }

    #[test]
    fn a_jwk_set_with_a_private_or_broken_key_is_refused() {
        let private = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}"#;
        assert!(matches!(
            KeyRing::from_jwks(Algorithm::EdDSA, private.as_bytes()),
            Err(KeyError::BadJwks(_))
        ));
        let off_curve = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}]}"#;
        assert!(matches!(
            KeyRing::from_jwks(Algorithm::ES256, off_curve.as_bytes()),
            Err(KeyError::BadJwks(_))
        ));
        for not_a_set in ["", "[]", "{}", r#"{"keys":{}}"#] {
            assert!(KeyRing::from_jwks(Algorithm::ES256, not_a_set.as_bytes()).is_err());
        }
    }
}
