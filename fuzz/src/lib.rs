//! What the fuzz targets share: the key rings and verifiers under test.

use std::sync::Arc;

use shared::auth::Authenticator;
use shared::token::{KeyRing, TokenVerifier};

/// The verification time of the targets, so that generated tokens never age.
pub const NOW: u64 = 1_900_000_000;
pub const LEEWAY_SECONDS: u64 = 30;
pub const ISSUER: &str = "auth-service";
pub const AUDIENCE: &str = "items-service";

pub const HMAC_SECRET: &[u8] = b"fuzz-secret-fuzz-secret-fuzz-secret!";
pub const OTHER_HMAC_SECRET: &[u8] = b"another-secret-another-secret-another";
pub const ED_PUBLIC: &str = include_str!("../../shared/testdata/ed25519-1.public.pem");
pub const ED_PRIVATE: &str = include_str!("../../shared/testdata/ed25519-1.private.pem");
pub const ED_OTHER_PRIVATE: &str = include_str!("../../shared/testdata/ed25519-2.private.pem");

pub fn hmac_ring() -> Arc<KeyRing> {
    Arc::new(KeyRing::single_hmac(HMAC_SECRET).expect("the HMAC test ring builds"))
}

pub fn eddsa_ring() -> Arc<KeyRing> {
    Arc::new(
        KeyRing::from_pem(jsonwebtoken::Algorithm::EdDSA, ED_PUBLIC, Some(ED_PRIVATE))
            .expect("the EdDSA test ring builds"),
    )
}

pub fn verifier(ring: Arc<KeyRing>) -> TokenVerifier {
    TokenVerifier::new(ring, ISSUER, AUDIENCE, LEEWAY_SECONDS)
}

pub fn authenticator(ring: Arc<KeyRing>) -> Authenticator {
    Authenticator::new(verifier(ring), AUDIENCE)
}
