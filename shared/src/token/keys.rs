//! The key ring: every key that may verify a token, and the one that signs.
//!
//! Rotation with no downtime: add the new key, make it active, remove the old
//! one once the longest access-token lifetime has passed.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
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
}

struct RingKey {
    kid: String,
    decoding: DecodingKey,
    encoding: EncodingKey,
}

/// Keys by id (`kid`), one of them active for signing.
///
/// ```
/// use shared::token::KeyRing;
///
/// let ring = KeyRing::single_hmac(b"0123456789abcdef0123456789abcdef").expect("32 bytes");
/// assert!(ring.decoding_key(ring.active_kid()).is_some());
/// assert!(KeyRing::single_hmac(b"too short").is_err());
/// ```
pub struct KeyRing {
    algorithm: Algorithm,
    active: usize,
    keys: Vec<RingKey>,
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
    ///
    /// ```
    /// use shared::token::KeyRing;
    ///
    /// let old = [b'o'; 32];
    /// let new = [b'n'; 32];
    /// let ring = KeyRing::hmac([("2026-01", &old[..]), ("2026-02", &new[..])], "2026-02")
    ///     .expect("valid ring");
    /// assert_eq!(ring.active_kid(), "2026-02");
    /// assert!(ring.decoding_key("2026-01").is_some());
    /// ```
    pub fn hmac<'a, K, I>(keys: I, active: &str) -> Result<Self, KeyError>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, &'a [u8])>,
    {
        let mut ring = Vec::new();
        for (kid, secret) in keys {
            let kid = kid.into();
            if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(KeyError::BadKid(kid));
            }
            if secret.len() < MIN_HMAC_SECRET_BYTES {
                return Err(KeyError::SecretTooShort {
                    kid,
                    len: secret.len(),
                });
            }
            if ring.iter().any(|k: &RingKey| k.kid == kid) {
                return Err(KeyError::DuplicateKid(kid));
            }
            ring.push(RingKey {
                kid,
                decoding: DecodingKey::from_secret(secret),
                encoding: EncodingKey::from_secret(secret),
            });
        }
        if ring.is_empty() {
            return Err(KeyError::Empty);
        }
        let active = ring
            .iter()
            .position(|k| k.kid == active)
            .ok_or_else(|| KeyError::UnknownActiveKid(active.to_owned()))?;
        Ok(Self {
            algorithm: Algorithm::HS256,
            active,
            keys: ring,
        })
    }

    /// The one algorithm every key of this ring uses.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The id of the key that signs new tokens.
    pub fn active_kid(&self) -> &str {
        &self.keys[self.active].kid
    }

    /// The key with this id, for verification.
    pub fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.iter().find(|k| k.kid == kid).map(|k| &k.decoding)
    }

    /// The active key, for signing.
    pub(crate) fn signing_key(&self) -> (&str, &EncodingKey) {
        let key = &self.keys[self.active];
        (&key.kid, &key.encoding)
    }
}

/// A public, stable key id for a secret: 16 hex digits of a domain-separated
/// SHA-256 (the secret itself cannot be recovered from it).
///
/// ```
/// let kid = shared::token::derive_kid(b"0123456789abcdef0123456789abcdef");
/// assert_eq!(kid.len(), 16);
/// ```
pub fn derive_kid(secret: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"jwt-kid:")
        .chain_update(secret)
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
