//! RS256 ID tokens, for relying parties that verify nothing else (OpenID
//! Connect Core 15.1 makes RS256 mandatory for providers). ring signs: it
//! is constant-time, where the `rsa` crate's private-key operations are
//! under an open timing advisory (RUSTSEC-2023-0071); `rsa` only reads the
//! public keys here.
//!
//! The files are those of the `keys` steps (`AUTH__OIDC__RS256_KEY_FILE`,
//! the PKCS#8 private key, and `AUTH__OIDC__RS256_PUBLIC_KEY_FILE`, every
//! public key relying parties may see), read again when they change: a
//! rotation needs no restart.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The RS256 keys: what signs and what is published.
pub struct Rs256Keys {
    private: PathBuf,
    public: PathBuf,
    poll: Duration,
    loaded: Mutex<Loaded>,
}

struct Loaded {
    checked_at: Instant,
    digest: [u8; 32],
    keys: Arc<LoadedKeys>,
}

/// One reading of the files.
pub struct LoadedKeys {
    signing: RsaKeyPair,
    header_b64: String,
    published: Vec<Value>,
}

impl std::fmt::Debug for Rs256Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rs256Keys")
            .field("private", &self.private)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Rs256Keys {
    /// Reads the files now (an error names what is wrong); afterwards at
    /// most once per `poll`, keeping the last good keys when they no longer
    /// load.
    pub fn load(private: PathBuf, public: PathBuf, poll: Duration) -> Result<Self, String> {
        let files = read(&private, &public)?;
        let keys = Arc::new(LoadedKeys::new(&files.private, &files.public)?);
        Ok(Self {
            private,
            public,
            poll,
            loaded: Mutex::new(Loaded {
                checked_at: Instant::now(),
                digest: files.digest,
                keys,
            }),
        })
    }

    /// The keys as the files say now (or as they last loaded).
    pub fn current(&self) -> Arc<LoadedKeys> {
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if loaded.checked_at.elapsed() >= self.poll {
            loaded.checked_at = Instant::now();
            match read(&self.private, &self.public) {
                Ok(files) if files.digest == loaded.digest => {}
                Ok(files) => match LoadedKeys::new(&files.private, &files.public) {
                    Ok(keys) => {
                        tracing::info!("RS256 ID token key files changed: keys reloaded");
                        loaded.digest = files.digest;
                        loaded.keys = Arc::new(keys);
                    }
                    Err(error) => tracing::warn!(
                        %error,
                        "RS256 ID token key files changed but do not load: the last good keys stay"
                    ),
                },
                Err(error) => {
                    tracing::warn!(%error, "RS256 ID token key files: the last good keys stay")
                }
            }
        }
        Arc::clone(&loaded.keys)
    }
}

impl LoadedKeys {
    fn new(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, String> {
        let private = pem_blocks(private_pem, "PRIVATE KEY")?;
        let [der] = private.as_slice() else {
            return Err("the RS256 private key file must hold one PKCS#8 key".to_owned());
        };
        let signing = RsaKeyPair::from_pkcs8(der)
            .map_err(|e| format!("the RS256 private key does not load: {e}"))?;
        if signing.public().modulus_len() < 256 {
            return Err("the RS256 key must have at least 2048 bits (RFC 7518 3.3)".to_owned());
        }
        let published = pem_blocks(public_pem, "PUBLIC KEY")?
            .iter()
            .map(|der| {
                let key = rsa::RsaPublicKey::from_public_key_der(der)
                    .map_err(|e| format!("an RS256 public key does not read: {e}"))?;
                Ok(jwk(&key.n().to_bytes_be(), &key.e().to_bytes_be()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        // ring gives its public half as a PKCS#1 RSAPublicKey.
        let own = rsa::RsaPublicKey::from_pkcs1_der(signing.public().as_ref())
            .map_err(|e| format!("the RS256 key does not read: {e}"))?;
        let kid = jwk(&own.n().to_bytes_be(), &own.e().to_bytes_be())["kid"].clone();
        if !published.iter().any(|key| key["kid"] == kid) {
            return Err(
                "the RS256 public key file does not hold the private key's public half".to_owned(),
            );
        }
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
        Ok(Self {
            signing,
            header_b64: URL_SAFE_NO_PAD.encode(header.to_string()),
            published,
        })
    }

    /// The public keys, as JWK Set entries.
    pub fn published(&self) -> &[Value] {
        &self.published
    }

    /// `payload` signed: a compact JWS.
    pub fn sign_json(&self, payload: &impl serde::Serialize) -> Result<String, String> {
        let payload = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        let mut token = format!("{}.", self.header_b64);
        URL_SAFE_NO_PAD.encode_string(payload, &mut token);
        let mut signature = vec![0; self.signing.public().modulus_len()];
        self.signing
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "RS256 signing failed".to_owned())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }
}

/// An RSA public JWK, its `kid` the RFC 7638 thumbprint.
fn jwk(n: &[u8], e: &[u8]) -> Value {
    let (n, e) = (URL_SAFE_NO_PAD.encode(n), URL_SAFE_NO_PAD.encode(e));
    // RFC 7638 3.2: the required members, in lexicographic order, no spaces.
    let thumbprint = Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
    json!({
        "kty": "RSA", "n": n, "e": e, "alg": "RS256", "use": "sig",
        "kid": URL_SAFE_NO_PAD.encode(thumbprint),
    })
}

/// The DER of each PEM block labelled `label`.
fn pem_blocks(text: &[u8], label: &str) -> Result<Vec<Vec<u8>>, String> {
    let text = std::str::from_utf8(text).map_err(|_| format!("a {label} file is not text"))?;
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body = &rest[start + begin.len()..];
        let stop = body
            .find(&end)
            .ok_or_else(|| format!("a {label} block has no end"))?;
        let base64: String = body[..stop].split_whitespace().collect();
        blocks.push(
            base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(|e| format!("a {label} block does not decode: {e}"))?,
        );
        rest = &body[stop + end.len()..];
    }
    if blocks.is_empty() {
        return Err(format!("no {label} in the file"));
    }
    Ok(blocks)
}

/// The two files' bytes, and a digest of both to see a change by.
struct Files {
    digest: [u8; 32],
    private: Vec<u8>,
    public: Vec<u8>,
}

fn read(private: &PathBuf, public: &PathBuf) -> Result<Files, String> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let (private, public) = (read(private)?, read(public)?);
    let digest = Sha256::new()
        .chain_update(&private)
        .chain_update(&public)
        .finalize()
        .into();
    Ok(Files {
        digest,
        private,
        public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new 2048-bit pair: PKCS#8 and SPKI PEM.
    fn pair() -> (String, String) {
        use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
        let mut rng = argon2::password_hash::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("a key");
        let private = key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
        let public = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("pem");
        (private, public)
    }

    #[test]
    fn signs_what_the_published_key_verifies_and_reloads_a_rotation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (private, public) = (dir.path().join("k.pem"), dir.path().join("k.pub.pem"));
        let (first_private, first_public) = pair();
        std::fs::write(&private, &first_private).expect("write");
        std::fs::write(&public, &first_public).expect("write");
        let keys = Rs256Keys::load(private.clone(), public.clone(), Duration::ZERO).expect("load");

        let token = keys
            .current()
            .sign_json(&json!({"sub": "u"}))
            .expect("signed");
        let kid = keys.current().published()[0]["kid"].clone();
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(keys.current().published()[0].clone()).expect("a JWK");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("decoding key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(Some(kid.as_str().expect("kid")), header.kid.as_deref());
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("verifies");

        // A private key whose public half is not published is refused; the
        // last good keys stay.
        let (second_private, second_public) = pair();
        std::fs::write(&private, &second_private).expect("write");
        assert_eq!(keys.current().published()[0]["kid"], kid);
        std::fs::write(&public, format!("{first_public}{second_public}")).expect("write");
        let rotated = keys.current();
        assert_eq!(rotated.published().len(), 2);
        let header = jsonwebtoken::decode_header(rotated.sign_json(&json!({})).expect("signed"))
            .expect("header");
        assert_eq!(
            header.kid.as_deref(),
            rotated.published()[1]["kid"].as_str()
        );
    }

    #[test]
    fn a_short_or_missing_key_is_refused() {
        assert!(LoadedKeys::new(b"", b"").is_err());
        assert!(
            LoadedKeys::new(
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                b""
            )
            .is_err()
        );
    }
}
