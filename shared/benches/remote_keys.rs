//! Keys from a JWK Set URL against the same key as a static ring, in one run:
//! `verify_eddsa_static` verifies with `Keys::fixed`, `verify_eddsa_jwks_url`
//! with `Keys::fetch_jwks` pointed at an actix-web server on loopback that
//! publishes the public key. The fetch happens before measuring; what is
//! measured is what a request pays, which should be the same.
//!
//! `scripts/bench.py` prints the ratio. Run alone:
//! `cargo bench -p shared --features remote-keys --bench remote_keys`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::Algorithm;
use shared::token::{KeyRing, Keys, RemoteKeyOptions, TokenSigner, TokenVerifier};

const PUBLIC: &str = include_str!("../testdata/ed25519-1.public.pem");
const PRIVATE: &str = include_str!("../testdata/ed25519-1.private.pem");

/// Serves `document` at `/jwks.json` on a port of its own; the URL.
fn publish(document: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/jwks.json",
        listener.local_addr().expect("address")
    );
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                let document = document.clone();
                App::new().route(
                    "/jwks.json",
                    web::get().to(move || {
                        let document = document.clone();
                        async move {
                            HttpResponse::Ok()
                                .insert_header(("cache-control", "max-age=300"))
                                .content_type("application/jwk-set+json")
                                .body(document)
                        }
                    }),
                )
            })
            .workers(1)
            .listen(listener)
            .expect("listen")
            .run()
            .await
            .expect("serve")
        })
    });
    url
}

fn benches(c: &mut Criterion) {
    let ring = KeyRing::from_pem(Algorithm::EdDSA, PUBLIC, Some(PRIVATE)).expect("ring");
    let document = serde_json::to_string(&ring.jwks()).expect("JSON");
    let ring = Arc::new(ring);
    let signer = TokenSigner::new(ring.clone(), "auth-service", ["items-service"], 900);
    let token = signer
        .issue("user-id", "alice", "items:read")
        .expect("issue")
        .access_token;

    let fetched = Keys::fetch_jwks(
        &publish(document),
        Algorithm::EdDSA,
        RemoteKeyOptions::default(),
    )
    .expect("an http URL");
    let deadline = Instant::now() + Duration::from_secs(10);
    while fetched.current().is_none() {
        assert!(Instant::now() < deadline, "the JWK Set was not fetched");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(fetched.status().source, "url");

    for (name, keys) in [
        ("verify_eddsa_static", Keys::from(ring)),
        ("verify_eddsa_jwks_url", fetched),
    ] {
        let verifier = TokenVerifier::new(keys, "auth-service", "items-service", 30);
        c.bench_function(name, |b| {
            b.iter(|| black_box(verifier.verify(black_box(&token)).expect("valid")))
        });
    }
}

criterion_group!(remote_keys, benches);
criterion_main!(remote_keys);
