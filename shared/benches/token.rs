//! Token verification against the cryptographic floor, in one run:
//! - `hmac_sha256`: HMAC-SHA256 over the token's signing input, the least
//!   any HS256 verifier must compute;
//! - `verify`: the whole check (header, signature, claims);
//! - `authenticate`: what a request pays: the `Authorization` header parsed,
//!   the token verified, the caller built; the token sent again, as clients
//!   do, so the thread remembers it;
//! - `authenticate_first`: the same for a token the thread has not seen;
//! - `sign`: issuing a token;
//! - `verify_eddsa`, `verify_es256`: the whole check with a public key.
//!
//! `scripts/bench.sh` prints the ratios. Run alone: `cargo bench -p shared --bench token`.

use std::hint::black_box;
use std::sync::Arc;

use actix_web::test::TestRequest;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use jsonwebtoken::Algorithm;
use sha2::Sha256;
use shared::auth::Authenticator;
use shared::token::{KeyRing, TokenSigner, TokenVerifier};

const SECRET: &[u8] = b"bench-secret-bench-secret-bench-secret!";

fn benches(c: &mut Criterion) {
    let ring = Arc::new(KeyRing::single_hmac(SECRET).expect("ring"));
    let signer = TokenSigner::new(ring.clone(), "auth-service", ["items-service"], 900);
    let new_verifier = || TokenVerifier::new(ring.clone(), "auth-service", "items-service", 30);
    let verifier = new_verifier();
    let token = signer
        .issue(
            "0b0e7e76-95a4-4d4c-9df8-1b8e0f7e2a11",
            "alice",
            "items:read items:write",
        )
        .expect("issue")
        .access_token;
    let signing_input = &token[..token.rfind('.').expect("three parts")];

    c.bench_function("hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(SECRET)).expect("any key size");
            mac.update(black_box(signing_input).as_bytes());
            black_box(mac.finalize().into_bytes())
        })
    });
    c.bench_function("verify", |b| {
        b.iter(|| black_box(verifier.verify(black_box(&token)).expect("valid")))
    });
    let authenticator = Authenticator::new(verifier.clone(), "items-service");
    let request = TestRequest::default()
        .insert_header(("authorization", format!("Bearer {token}")))
        .to_http_request();
    c.bench_function("authenticate", |b| {
        b.iter(|| {
            black_box(
                authenticator
                    .authenticate(black_box(&request))
                    .expect("valid"),
            )
        })
    });
    // A verifier of its own remembers nothing yet; made and dropped untimed.
    c.bench_function("authenticate_first", |b| {
        b.iter_batched_ref(
            || Authenticator::new(new_verifier(), "items-service"),
            |fresh| black_box(fresh.authenticate(black_box(&request)).expect("valid")),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("sign", |b| {
        b.iter(|| {
            black_box(signer.issue(black_box("user-id"), "alice", "items:read")).expect("issue")
        })
    });
}

fn public_key_benches(c: &mut Criterion) {
    let fixtures = [
        (
            "verify_eddsa",
            Algorithm::EdDSA,
            include_str!("../testdata/ed25519-1.public.pem"),
            include_str!("../testdata/ed25519-1.private.pem"),
        ),
        (
            "verify_es256",
            Algorithm::ES256,
            include_str!("../testdata/p256-1.public.pem"),
            include_str!("../testdata/p256-1.private.pem"),
        ),
    ];
    for (name, algorithm, public, private) in fixtures {
        let ring = Arc::new(KeyRing::from_pem(algorithm, public, Some(private)).expect("ring"));
        let signer = TokenSigner::new(ring.clone(), "auth-service", ["items-service"], 900);
        let verifier = TokenVerifier::new(ring, "auth-service", "items-service", 30);
        let token = signer
            .issue("user-id", "alice", "items:read")
            .expect("issue")
            .access_token;
        c.bench_function(name, |b| {
            b.iter(|| black_box(verifier.verify(black_box(&token)).expect("valid")))
        });
    }
}

criterion_group!(token, benches, public_key_benches);
criterion_main!(token);
