//! The key ring: every key that may verify a token, and the one that signs.
//!
//! One algorithm per ring: HS256 (shared secrets, the default) or EdDSA
//! (Ed25519: the issuer holds the private key, verifiers only public keys,
//! so a verifier cannot mint tokens). Rotation with no downtime: add the new
//! key, make it active, remove the old one once the longest access-token
//! lifetime has passed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use sha2::{Digest, Sha256};

/// RFC 7518 3.2: an HS256 key must be at least as long as the hash output.
pub const MIN_HMAC_SECRET_BYTES: usize = 32;

/// Why a key ring could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// An HMAC secret shorter than [`MIN_HMAC_SECRET_BYTES`].
    #[error("the secret for key `{kid}` is {len} bytes; an HMAC secret must be at least {MIN_HMAC_SECRET_BYTES} bytes (RFC 7518 3.2)")]
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
    /// A PEM block that is not an Ed25519 key of the expected kind.
    #[error("not a valid Ed25519 {0} key in PEM form")]
    BadPem(&'static str),
    /// The private key's public half is not among the verification keys.
    #[error("the private key does not match any of the public keys")]
    UnmatchedPrivateKey,
}

pub(crate) struct RingKey {
    pub(crate) kid: String,
    decoding: DecodingKey,
    /// HS256 only: the MAC with the key schedule done, cloned per check.
    hmac: Option<Hmac<Sha256>>,
    /// The encoded header our signer writes with this key: a token that
    /// carries exactly these bytes needs no header parse.
    issued_header: String,
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

/// Keys by id (`kid`) and, on the issuer, the active signing key.
///
/// ```
/// use shared::token::{KeyError, KeyRing};
///
/// // One HS256 secret; its id is derived from it.
/// let ring = KeyRing::single_hmac(b"0123456789abcdef0123456789abcdef").expect("32 bytes");
/// let kid = ring.active_kid().expect("an HMAC ring can sign");
/// assert!(ring.decoding_key(kid).is_some());
/// assert!(matches!(KeyRing::single_hmac(b"too short"), Err(KeyError::SecretTooShort { .. })));
///
/// // A rotation: both keys verify, the active one signs.
/// let rotating = KeyRing::hmac([("old", &[1u8; 32][..]), ("new", &[2u8; 32][..])], "new")
///     .expect("two keys");
/// assert_eq!(rotating.kids().collect::<Vec<_>>(), ["old", "new"]);
/// assert_eq!(rotating.active_kid(), Some("new"));
///
/// // EdDSA with public keys only: a verifier's ring, which cannot sign.
/// let public = include_str!("../../testdata/ed25519-1.public.pem");
/// assert_eq!(KeyRing::eddsa(public, None).expect("a PEM key").active_kid(), None);
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
            let hmac = Hmac::<Sha256>::new_from_slice(secret).ok();
            let decoding = DecodingKey::from_secret(secret);
            push_key(&mut ring, Algorithm::HS256, kid, decoding, hmac)?;
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

    /// An EdDSA (Ed25519) ring from PEM text holding one or more public keys
    /// (`-----BEGIN PUBLIC KEY-----` blocks), each with an id derived from
    /// the key. With `private_pem` (PKCS#8) the ring can also sign; its public
    /// half must be among the public keys, and it becomes the active key.
    pub fn eddsa(public_pems: &str, private_pem: Option<&str>) -> Result<Self, KeyError> {
        let mut ring = Vec::new();
        for block in pem_blocks(public_pems) {
            let decoding = DecodingKey::from_ed_pem(block.as_bytes())
                .map_err(|_| KeyError::BadPem("public"))?;
            let kid = derive_kid(decoding.as_bytes());
            push_key(&mut ring, Algorithm::EdDSA, kid, decoding, None)?;
        }
        if ring.is_empty() {
            return Err(KeyError::Empty);
        }
        let signing = match private_pem {
            None => None,
            Some(pem) => {
                let encoding = EncodingKey::from_ed_pem(pem.as_bytes())
                    .map_err(|_| KeyError::BadPem("private"))?;
                let probe = b"which public key matches";
                let signature = jsonwebtoken::crypto::sign(probe, &encoding, Algorithm::EdDSA)
                    .map_err(|_| KeyError::BadPem("private"))?;
                let position = ring
                    .iter()
                    .position(|key| {
                        jsonwebtoken::crypto::verify(
                            &signature,
                            probe,
                            &key.decoding,
                            Algorithm::EdDSA,
                        )
                        .unwrap_or(false)
                    })
                    .ok_or(KeyError::UnmatchedPrivateKey)?;
                Some((position, encoding))
            }
        };
        Ok(Self {
            algorithm: Algorithm::EdDSA,
            keys: ring,
            signing,
        })
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
        self.keys.iter().find(|k| k.kid == kid)
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

fn push_key(
    ring: &mut Vec<RingKey>,
    algorithm: Algorithm,
    kid: String,
    decoding: DecodingKey,
    hmac: Option<Hmac<Sha256>>,
) -> Result<(), KeyError> {
    if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(KeyError::BadKid(kid));
    }
    if ring.iter().any(|k| k.kid == kid) {
        return Err(KeyError::DuplicateKid(kid));
    }
    let header_json = serde_json::to_vec(&issued_header(algorithm, &kid))
        .map_err(|_| KeyError::BadKid(kid.clone()))?;
    ring.push(RingKey {
        issued_header: URL_SAFE_NO_PAD.encode(header_json),
        kid,
        decoding,
        hmac,
    });
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
        let ring = KeyRing::eddsa(&format!("{PUBLIC_1}\n{PUBLIC_2}"), None).expect("ring");
        assert_eq!(ring.kids().count(), 2);
        assert_eq!(ring.active_kid(), None);
    }

    #[test]
    fn the_private_key_signs_under_its_own_public_keys_id() {
        let both = format!("{PUBLIC_2}{PUBLIC_1}");
        let ring = KeyRing::eddsa(&both, Some(PRIVATE_1)).expect("ring");
        let only_1 = KeyRing::eddsa(PUBLIC_1, None).expect("ring");
        assert_eq!(ring.active_kid(), only_1.kids().next());
    }

    #[test]
    fn a_private_key_without_its_public_key_is_refused() {
        let err = KeyRing::eddsa(PUBLIC_2, Some(PRIVATE_1)).err();
        assert_eq!(err, Some(KeyError::UnmatchedPrivateKey));
    }

    #[test]
    fn text_that_is_not_a_public_key_is_refused() {
        assert_eq!(KeyRing::eddsa("", None).err(), Some(KeyError::Empty));
        assert_eq!(
            KeyRing::eddsa(PRIVATE_1, None).err(),
            Some(KeyError::BadPem("public"))
        );
    }
}
