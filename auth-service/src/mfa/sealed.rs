//! The key that keeps second factors unreadable in a database dump: TOTP
//! secrets are sealed with it (XChaCha20-Poly1305, the user's id as
//! associated data, so a row copied to another user does not open), and
//! recovery codes are kept as HMAC-SHA-256 under it (about 50 bits each: a
//! plain hash of so few bits could be searched).
//!
//! The key file (`AUTH__MFA__KEY_FILE`) holds one or more keys, one per
//! line, 32 bytes in base64: the first seals, every one opens. Rotation:
//! add a new first line and restart; each secret is sealed again with it
//! the next time its code is accepted; drop the old line once every user
//! has signed in since (docs/mfa.md).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};

/// Bytes of a key.
const KEY_BYTES: usize = 32;
/// Bytes of the key id that leads every sealed value and stored hash.
const KID_BYTES: usize = 8;
/// Bytes of an XChaCha20 nonce: random ones never repeat in practice.
const NONCE_BYTES: usize = 24;

/// The keys, the first sealing.
pub struct SealingKeys {
    keys: Vec<([u8; KID_BYTES], [u8; KEY_BYTES])>,
}

impl std::fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKeys")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl SealingKeys {
    /// The keys in `text`: lines of base64, blank lines and `#` comments
    /// skipped.
    pub fn parse(text: &str) -> Result<Self, String> {
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .enumerate()
            .map(|(i, line)| {
                let bytes = STANDARD
                    .decode(line)
                    .map_err(|_| format!("line {} is not base64", i + 1))?;
                let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
                    format!(
                        "key {} is not {KEY_BYTES} bytes (`openssl rand -base64 32`)",
                        i + 1
                    )
                })?;
                Ok((kid_of(&key), key))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if keys.is_empty() {
            return Err("no key in the file".to_owned());
        }
        Ok(Self { keys })
    }

    /// The keys in the file at `path`, made (one key, 0600, its folder
    /// 0700) when there is none yet.
    pub fn load_or_make(path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                crate::files::create_once(path, new_key_line().as_bytes(), "MFA sealing key")?
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `secret` sealed for `user_id` with the first key.
    pub fn seal(&self, user_id: &str, secret: &[u8]) -> Vec<u8> {
        let (kid, key) = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        fill_random(&mut nonce);
        let sealed = XChaCha20Poly1305::new(key.into())
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: user_id.as_bytes(),
                },
            )
            .expect("encryption into a Vec cannot fail");
        [kid.as_slice(), &nonce, &sealed].concat()
    }

    /// What `seal` sealed for `user_id`, and whether it was under an older
    /// key (seal it again); `None` when no key opens it.
    pub fn open(&self, user_id: &str, sealed: &[u8]) -> Option<(Vec<u8>, bool)> {
        let (kid, rest) = sealed.split_at_checked(KID_BYTES)?;
        let (nonce, ciphertext) = rest.split_at_checked(NONCE_BYTES)?;
        let nonce = XNonce::from(<[u8; NONCE_BYTES]>::try_from(nonce).ok()?);
        let position = self.keys.iter().position(|(id, _)| id == kid)?;
        let opened = XChaCha20Poly1305::new((&self.keys[position].1).into())
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: user_id.as_bytes(),
                },
            )
            .ok()?;
        Some((opened, position > 0))
    }

    /// What is stored of a recovery code: its HMAC under the first key.
    pub fn code_hash(&self, code: &str) -> Vec<u8> {
        let (kid, key) = &self.keys[0];
        mac(kid, key, code)
    }

    /// The hashes `code` may be stored under, one per key.
    pub fn code_hashes(&self, code: &str) -> Vec<Vec<u8>> {
        self.keys
            .iter()
            .map(|(kid, key)| mac(kid, key, code))
            .collect()
    }
}

fn mac(kid: &[u8; KID_BYTES], key: &[u8; KEY_BYTES], code: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"recovery-code:");
    mac.update(code.as_bytes());
    [kid.as_slice(), &mac.finalize().into_bytes()].concat()
}

fn kid_of(key: &[u8; KEY_BYTES]) -> [u8; KID_BYTES] {
    let digest = Sha256::new()
        .chain_update(b"mfa-key-id:")
        .chain_update(key)
        .finalize();
    digest[..KID_BYTES].try_into().expect("eight bytes")
}

fn fill_random(bytes: &mut [u8]) {
    use argon2::password_hash::rand_core::{OsRng, RngCore as _};
    OsRng.fill_bytes(bytes);
}

/// A new key, as a line of the key file.
pub fn new_key_line() -> String {
    let mut key = [0u8; KEY_BYTES];
    fill_random(&mut key);
    format!("{}\n", STANDARD.encode(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_for_their_user_only_and_under_an_old_key_ask_to_be_sealed_again() {
        let old = SealingKeys::parse(&new_key_line()).expect("a key");
        let sealed = old.seal("alice", b"12345678901234567890");
        assert_eq!(
            old.open("alice", &sealed),
            Some((b"12345678901234567890".to_vec(), false))
        );
        assert_eq!(old.open("bob", &sealed), None, "bound to its user");
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("bytes") ^= 1;
        assert_eq!(old.open("alice", &tampered), None);
        assert_eq!(old.open("alice", &sealed[..10]), None);

        let old_line = STANDARD.encode(old.keys[0].1);
        let rotated =
            SealingKeys::parse(&format!("{}{old_line}\n", new_key_line())).expect("two keys");
        assert_eq!(
            rotated.open("alice", &sealed),
            Some((b"12345678901234567890".to_vec(), true))
        );
        let resealed = rotated.seal("alice", b"12345678901234567890");
        assert_eq!(
            old.open("alice", &resealed),
            None,
            "sealed with the new key"
        );
        assert!(
            rotated
                .code_hashes("23456-789az")
                .contains(&old.code_hash("23456-789az"))
        );
    }

    #[test]
    fn a_bad_key_file_says_what_is_wrong() {
        assert!(SealingKeys::parse("").is_err());
        assert!(
            SealingKeys::parse("not base64!")
                .err()
                .is_some_and(|e| e.contains("base64"))
        );
        assert!(
            SealingKeys::parse(&STANDARD.encode([0u8; 16]))
                .err()
                .is_some_and(|e| e.contains("32 bytes"))
        );
    }
}
