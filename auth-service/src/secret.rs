//! Random bearer secrets (refresh tokens, client secrets and ids) and how
//! they are kept: bytes from the OS CSPRNG, base64url; stored only as their
//! SHA-256, which is enough for 256 random bits (no slow hash needed).

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `bytes` random bytes, base64url without padding.
pub fn random(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// What is stored of a secret: its SHA-256.
pub fn stored_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}
