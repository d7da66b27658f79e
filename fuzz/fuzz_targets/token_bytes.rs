//! Arbitrary bytes as a token, for both algorithms: refused with a reason,
//! never a panic. Nothing random can carry a valid signature.
#![no_main]

use std::sync::LazyLock;

use jwtpair_fuzz::{NOW, eddsa_ring, hmac_ring, verifier};
use libfuzzer_sys::fuzz_target;
use shared::token::TokenVerifier;

static VERIFIERS: LazyLock<[TokenVerifier; 2]> =
    LazyLock::new(|| [verifier(hmac_ring()), verifier(eddsa_ring())]);

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    for verifier in VERIFIERS.iter() {
        if let Ok(claims) = verifier.verify_at(&token, NOW) {
            panic!("bytes no signer made were accepted: {claims:?}");
        }
    }
});
