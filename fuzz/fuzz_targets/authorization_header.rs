//! Arbitrary `Authorization` headers (one or several) and query strings
//! through the authenticator: a caller only for one well-formed header with a
//! token that verifies, else a 401 with an RFC 6750 challenge; never a panic.
#![no_main]

use std::sync::LazyLock;

use actix_web::ResponseError as _;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::test::TestRequest;
use jwtpair_fuzz::{authenticator, hmac_ring};
use libfuzzer_sys::fuzz_target;
use shared::auth::Authenticator;

static AUTHENTICATOR: LazyLock<Authenticator> = LazyLock::new(|| authenticator(hmac_ring()));

fuzz_target!(|data: &[u8]| {
    // Before the first NUL: the query string; after it, one header a line.
    let (query, headers) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b""[..], data),
    };
    let query_is_safe = query
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || b"=&_-.~%".contains(b));
    let uri = match std::str::from_utf8(query) {
        Ok(query) if query_is_safe && !query.is_empty() => format!("/v1/items?{query}"),
        _ => "/v1/items".to_owned(),
    };
    let mut request = TestRequest::get().uri(&uri);
    let mut sent = 0;
    for line in headers.split(|b| *b == b'\n') {
        // What an HTTP parser would never hand over is not ours to test.
        if let Ok(value) = HeaderValue::from_bytes(line) {
            request = request.append_header((AUTHORIZATION, value));
            sent += 1;
        }
    }
    let request = request.to_http_request();
    match AUTHENTICATOR.authenticate(&request) {
        Ok(caller) => panic!("{sent} header(s) no signer made were accepted: {caller:?}"),
        Err(refusal) => {
            let response = refusal.error_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            let challenge = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .expect("every 401 carries a challenge");
            let challenge = challenge.to_str().expect("the challenge is visible ASCII");
            assert!(
                challenge.starts_with("Bearer realm=\"items-service\""),
                "{challenge}"
            );
        }
    }
});
