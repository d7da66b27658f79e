//! One test per rejection, each run for HS256, EdDSA and ES256; tokens are
//! built by hand so each breaks one rule.

use std::sync::Arc;

use super::*;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
const ED_PUBLIC: &str = include_str!("../../testdata/ed25519-1.public.pem");
const ED_PRIVATE: &str = include_str!("../../testdata/ed25519-1.private.pem");
const ED_OTHER_PRIVATE: &str = include_str!("../../testdata/ed25519-2.private.pem");
const P256_PUBLIC: &str = include_str!("../../testdata/p256-1.public.pem");
const P256_PRIVATE: &str = include_str!("../../testdata/p256-1.private.pem");
const P256_OTHER_PRIVATE: &str = include_str!("../../testdata/p256-2.private.pem");
const NOW: u64 = 1_900_000_000;

/// One algorithm's keys: the ring under test and a way to sign raw parts.
struct Fixture {
    ring: Arc<KeyRing>,
    algorithm: Algorithm,
    key: EncodingKey,
    other_key: EncodingKey,
}

impl Fixture {
    fn hs256() -> Self {
        Self {
            ring: Arc::new(KeyRing::single_hmac(SECRET).expect("ring")),
            algorithm: Algorithm::HS256,
            key: EncodingKey::from_secret(SECRET),
            other_key: EncodingKey::from_secret(b"another-secret-another-secret-another"),
        }
    }

    fn eddsa() -> Self {
        Self {
            ring: Arc::new(
                KeyRing::from_pem(Algorithm::EdDSA, ED_PUBLIC, Some(ED_PRIVATE)).expect("ring"),
            ),
            algorithm: Algorithm::EdDSA,
            key: EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).expect("key"),
            other_key: EncodingKey::from_ed_pem(ED_OTHER_PRIVATE.as_bytes()).expect("key"),
        }
    }

    fn es256() -> Self {
        Self {
            ring: Arc::new(
                KeyRing::from_pem(Algorithm::ES256, P256_PUBLIC, Some(P256_PRIVATE)).expect("ring"),
            ),
            algorithm: Algorithm::ES256,
            key: EncodingKey::from_ec_pem(P256_PRIVATE.as_bytes()).expect("key"),
            other_key: EncodingKey::from_ec_pem(P256_OTHER_PRIVATE.as_bytes()).expect("key"),
        }
    }

    fn alg(&self) -> &'static str {
        keys::algorithm_name(self.algorithm)
    }

    fn verifier(&self) -> TokenVerifier {
        TokenVerifier::new(self.ring.clone(), "auth-service", "items-service", 30)
    }

    fn signer(&self) -> TokenSigner {
        TokenSigner::new(self.ring.clone(), "auth-service", ["items-service"], 60)
    }

    fn header(&self) -> Value {
        json!({"alg": self.alg(), "typ": "JWT", "kid": self.ring.active_kid()})
    }

    /// Signs raw header and payload text with `key`.
    fn craft_raw_with(&self, header: &str, payload: &str, key: &EncodingKey) -> String {
        let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), key, self.algorithm).expect("sign");
        format!("{input}.{signature}")
    }

    fn craft_raw(&self, header: &str, payload: &str) -> String {
        self.craft_raw_with(header, payload, &self.key)
    }

    fn craft(&self, header: &Value, payload: &Value) -> String {
        self.craft_raw(&header.to_string(), &payload.to_string())
    }

    /// `verify_at`, after checking that the request path (which remembers
    /// tokens) answers the same, the first time and again.
    fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let checked = self.verifier().verify_at(token, NOW + 1);
        let remembering = self.verifier().with_clock(clock_at(NOW + 1));
        for attempt in ["first", "again"] {
            let shared = remembering
                .verify_remembered(token)
                .map(Arc::unwrap_or_clone);
            assert_eq!(shared, checked, "verify_remembered, {attempt}");
        }
        checked
    }
}

/// A manual clock reading `seconds` since the epoch.
fn clock_at(seconds: u64) -> Clock {
    let clock = Clock::manual();
    let now_ms = u64::try_from(clock.now_ms()).expect("after the epoch");
    clock.advance(std::time::Duration::from_millis(seconds * 1000 - now_ms));
    clock
}

/// Runs a test body once per algorithm.
macro_rules! for_every_algorithm {
    ($(fn $name:ident($f:ident) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                fn run($f: &Fixture) $body
                #[test]
                fn hs256() {
                    run(&Fixture::hs256())
                }
                #[test]
                fn eddsa() {
                    run(&Fixture::eddsa())
                }
                #[test]
                fn es256() {
                    run(&Fixture::es256())
                }
            }
        )*
    };
}

fn claims() -> Value {
    json!({
        "iss": "auth-service",
        "sub": "0b0e7e76-95a4-4d4c-9df8-1b8e0f7e2a11",
        "aud": "items-service",
        "exp": NOW + 600,
        "nbf": NOW,
        "iat": NOW,
        "jti": "jti-1",
        "scope": "items:read items:write",
        "username": "alice",
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn with(mut value: Value, key: &str, new: Value) -> Value {
    value[key] = new;
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().expect("object").remove(key);
    value
}

for_every_algorithm! {
    fn a_well_formed_token_is_accepted(f) {
        let claims = f.verify(&f.craft(&f.header(), &claims())).expect("valid");
        assert_eq!(claims.username, "alice");
        assert!(claims.has_scope("items:write"));
    }

    fn a_token_from_the_signer_is_accepted(f) {
        let issued = f.signer().issue("u1", "bob", "items:read").expect("issue");
        let claims = f.verifier().verify(&issued.access_token).expect("valid");
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.exp - claims.iat, 60);
    }

    fn the_signers_header_is_known_and_passes_every_header_check(f) {
        let issued = f.signer().issue("u1", "bob", "items:read").expect("issue");
        let header_b64 = issued.access_token.split('.').next().expect("a header");
        let known = f.ring.key_with_issued_header(header_b64).expect("known");
        let checked = check_header(&f.ring, header_b64).expect("passes");
        assert_eq!(known.kid, checked.kid, "compared and parsed agree on the key");
        // The same header with its members reordered takes the full path.
        let reordered = b64(format!(
            r#"{{"kid":"{}","alg":"{}","typ":"JWT"}}"#, known.kid, f.alg()).as_bytes());
        assert!(f.ring.key_with_issued_header(&reordered).is_none());
        assert_eq!(check_header(&f.ring, &reordered).map(|k| &k.kid), Ok(&known.kid));
    }

    fn signing_writes_the_same_bytes_as_jsonwebtoken_encode(f) {
        let claims = f.signer().issue("u1", "bob", "items:read").expect("issue").claims;
        let mut header = jsonwebtoken::Header::new(f.algorithm);
        header.typ = Some("JWT".to_owned());
        header.kid = f.ring.active_kid().map(str::to_owned);
        let expected = jsonwebtoken::encode(&header, &claims, &f.key).expect("encode");
        assert_eq!(f.signer().sign(&claims).expect("sign"), expected);
    }

    fn an_oversized_token_is_rejected(f) {
        let padding = "x".repeat(MAX_TOKEN_BYTES);
        let token = f.craft(&f.header(), &with(claims(), "pad", json!(padding)));
        assert_eq!(f.verify(&token), Err(VerifyError::Oversized));
    }

    fn a_token_with_two_parts_is_malformed(f) {
        let token = f.craft(&f.header(), &claims());
        let two: Vec<&str> = token.split('.').take(2).collect();
        assert_eq!(f.verify(&two.join(".")), Err(VerifyError::Malformed));
    }

    fn a_token_with_four_parts_is_malformed(f) {
        let token = format!("{}.extra", f.craft(&f.header(), &claims()));
        assert_eq!(f.verify(&token), Err(VerifyError::Malformed));
    }

    fn a_token_with_invalid_base64_is_malformed(f) {
        let token = f.craft(&f.header(), &claims());
        assert_eq!(f.verify(&format!("*{}", &token[1..])), Err(VerifyError::Malformed));
    }

    fn a_padded_base64url_part_is_malformed(f) {
        let token = f.craft(&f.header(), &claims());
        let (head, rest) = token.split_once('.').expect("dot");
        assert_eq!(f.verify(&format!("{head}=.{rest}")), Err(VerifyError::Malformed));
    }

    fn alg_none_is_rejected(f) {
        let h = with(f.header(), "alg", json!("none"));
        let unsigned = format!("{}.{}.", b64(h.to_string().as_bytes()), b64(claims().to_string().as_bytes()));
        assert_eq!(f.verify(&unsigned), Err(VerifyError::Malformed));
        // Even with a signature part present, `none` is not the configured algorithm.
        assert_eq!(f.verify(&format!("{unsigned}c2ln")), Err(VerifyError::Algorithm));
    }

    fn another_algorithm_is_rejected(f) {
        let token = f.craft(&with(f.header(), "alg", json!("HS512")), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::Algorithm));
    }

    fn the_algorithm_name_is_case_sensitive(f) {
        let token = f.craft(&with(f.header(), "alg", json!(f.alg().to_lowercase())), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::Algorithm));
    }

    fn a_missing_typ_is_rejected(f) {
        let token = f.craft(&without(f.header(), "typ"), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::Type));
    }

    fn a_wrong_typ_is_rejected(f) {
        let token = f.craft(&with(f.header(), "typ", json!("refresh+jwt")), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::Type));
    }

    fn a_crit_header_is_rejected(f) {
        let token = f.craft(&with(f.header(), "crit", json!(["exp"])), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::CriticalHeader));
    }

    fn a_missing_kid_is_rejected(f) {
        let token = f.craft(&without(f.header(), "kid"), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::MissingKeyId));
    }

    fn an_unknown_kid_is_rejected(f) {
        let token = f.craft(&with(f.header(), "kid", json!("someone-else")), &claims());
        assert_eq!(f.verify(&token), Err(VerifyError::UnknownKey));
    }

    fn a_signature_of_the_wrong_length_is_rejected(f) {
        let token = f.craft(&f.header(), &claims());
        let (input, signature) = token.rsplit_once('.').expect("three parts");
        assert_eq!(f.verify(&format!("{input}.{signature}AAAA")), Err(VerifyError::Signature));
        assert_eq!(f.verify(&format!("{input}.{}", &signature[4..])), Err(VerifyError::Signature));
    }

    fn a_signature_from_another_key_is_rejected(f) {
        let token = f.craft_raw_with(&f.header().to_string(), &claims().to_string(), &f.other_key);
        assert_eq!(f.verify(&token), Err(VerifyError::Signature));
    }

    fn a_tampered_payload_is_rejected(f) {
        let token = f.craft(&f.header(), &claims());
        let parts: Vec<&str> = token.split('.').collect();
        let forged = b64(with(claims(), "username", json!("mallory")).to_string().as_bytes());
        let token = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(f.verify(&token), Err(VerifyError::Signature));
    }

    fn a_duplicate_header_member_is_rejected(f) {
        let header = f.header().to_string();
        let header = format!(r#"{},"x":1,"x":2}}"#, &header[..header.len() - 1]);
        let token = f.craft_raw(&header, &claims().to_string());
        assert_eq!(f.verify(&token), Err(VerifyError::DuplicateMember));
    }

    fn a_duplicate_known_claim_is_rejected(f) {
        let body = claims().to_string();
        let payload = format!(r#"{},"exp":{}}}"#, &body[..body.len() - 1], NOW + 99_999);
        let token = f.craft_raw(&f.header().to_string(), &payload);
        assert_eq!(f.verify(&token), Err(VerifyError::DuplicateMember));
    }

    fn a_duplicate_unknown_claim_is_rejected(f) {
        let body = claims().to_string();
        let payload = format!(r#"{},"role":"user","role":"admin"}}"#, &body[..body.len() - 1]);
        let token = f.craft_raw(&f.header().to_string(), &payload);
        assert_eq!(f.verify(&token), Err(VerifyError::DuplicateMember));
    }

    fn a_duplicate_member_spelled_with_an_escape_is_rejected(f) {
        let body = claims().to_string();
        let payload = format!(r#"{},"\u0073ub":"other"}}"#, &body[..body.len() - 1]);
        let token = f.craft_raw(&f.header().to_string(), &payload);
        assert_eq!(f.verify(&token), Err(VerifyError::DuplicateMember));
    }

    fn a_payload_that_is_not_an_object_is_rejected(f) {
        let token = f.craft_raw(&f.header().to_string(), "[1,2]");
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn a_missing_exp_is_rejected(f) {
        let token = f.craft(&f.header(), &without(claims(), "exp"));
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn a_missing_nbf_is_rejected(f) {
        let token = f.craft(&f.header(), &without(claims(), "nbf"));
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn an_exp_of_the_wrong_type_is_rejected(f) {
        // CVE-2026-25537: a string `exp` must not skip the expiry check.
        let token = f.craft(&f.header(), &with(claims(), "exp", json!("1900000600")));
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn an_nbf_of_the_wrong_type_is_rejected(f) {
        let token = f.craft(&f.header(), &with(claims(), "nbf", json!(null)));
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn a_missing_iss_is_rejected(f) {
        let token = f.craft(&f.header(), &without(claims(), "iss"));
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn a_wrong_iss_is_rejected(f) {
        let token = f.craft(&f.header(), &with(claims(), "iss", json!("evil-issuer")));
        assert_eq!(f.verify(&token), Err(VerifyError::Issuer));
    }

    fn a_missing_aud_is_rejected(f) {
        let token = f.craft(&f.header(), &without(claims(), "aud"));
        assert_eq!(f.verify(&token), Err(VerifyError::Claims));
    }

    fn a_wrong_aud_is_rejected(f) {
        let token = f.craft(&f.header(), &with(claims(), "aud", json!("billing-service")));
        assert_eq!(f.verify(&token), Err(VerifyError::Audience));
    }

    fn an_aud_array_containing_this_service_is_accepted(f) {
        let token = f.craft(&f.header(), &with(claims(), "aud", json!(["billing", "items-service"])));
        assert!(f.verify(&token).is_ok());
    }

    fn an_expired_token_is_rejected_after_the_leeway(f) {
        let token = f.craft(&f.header(), &with(claims(), "exp", json!(NOW - 31)));
        assert_eq!(f.verify(&token), Err(VerifyError::Expired));
    }

    fn a_just_expired_token_is_accepted_within_the_leeway(f) {
        let token = f.craft(&f.header(), &with(claims(), "exp", json!(NOW - 20)));
        assert!(f.verify(&token).is_ok());
    }

    fn non_integer_numeric_dates_verify_rounded_to_the_stricter_side(f) {
        let fractional = with(with(claims(), "exp", json!(NOW as f64 + 600.5)), "iat", json!(NOW as f64 - 0.25));
        let token = f.craft(&f.header(), &with(fractional, "nbf", json!(NOW as f64 + 0.5)));
        let verified = f.verify(&token).expect("RFC 7519 2 allows non-integer NumericDates");
        assert_eq!((verified.exp, verified.nbf, verified.iat), (NOW + 600, NOW + 1, NOW - 1));
        let expired = f.craft(&f.header(), &with(claims(), "exp", json!(NOW as f64 - 30.5)));
        assert_eq!(f.verify(&expired), Err(VerifyError::Expired));
    }

    fn a_numeric_date_that_is_negative_or_out_of_range_is_rejected(f) {
        for exp in [json!(-1), json!(-0.5), json!(1e300), json!(true), json!([NOW])] {
            let token = f.craft(&f.header(), &with(claims(), "exp", exp.clone()));
            assert_eq!(f.verify(&token), Err(VerifyError::Claims), "{exp}");
        }
    }

    fn a_token_issued_in_the_future_is_rejected_beyond_the_leeway(f) {
        let ahead = f.craft(&f.header(), &with(claims(), "iat", json!(NOW + 120)));
        assert_eq!(f.verify(&ahead), Err(VerifyError::IssuedInFuture));
        let skewed = f.craft(&f.header(), &with(claims(), "iat", json!(NOW + 20)));
        assert!(f.verify(&skewed).is_ok(), "within the leeway");
    }

    fn a_token_not_valid_yet_is_rejected_beyond_the_leeway(f) {
        let token = f.craft(&f.header(), &with(claims(), "nbf", json!(NOW + 120)));
        assert_eq!(f.verify(&token), Err(VerifyError::NotYetValid));
    }

    fn a_token_slightly_ahead_is_accepted_within_the_leeway(f) {
        let token = f.craft(&f.header(), &with(claims(), "nbf", json!(NOW + 20)));
        assert!(f.verify(&token).is_ok());
    }
}

#[test]
fn an_hs256_token_signed_with_the_eddsa_public_key_is_refused() {
    // Algorithm confusion: a verifier pinned to EdDSA never runs HMAC, even
    // with the public key (known to all) as the secret.
    let eddsa = Fixture::eddsa();
    let confused = Fixture::hs256();
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": eddsa.ring.active_kid()});
    let key = EncodingKey::from_secret(ED_PUBLIC.as_bytes());
    let token = confused.craft_raw_with(&header.to_string(), &claims().to_string(), &key);
    assert_eq!(eddsa.verify(&token), Err(VerifyError::Algorithm));
}

#[test]
fn an_eddsa_token_is_refused_by_an_hs256_verifier() {
    let eddsa = Fixture::eddsa();
    let token = eddsa.craft(&eddsa.header(), &claims());
    assert_eq!(Fixture::hs256().verify(&token), Err(VerifyError::Algorithm));
}

#[test]
fn a_verifier_only_ring_cannot_sign() {
    let ring = Arc::new(KeyRing::from_pem(Algorithm::EdDSA, ED_PUBLIC, None).expect("ring"));
    let signer = TokenSigner::new(ring, "auth-service", ["items-service"], 60);
    assert!(matches!(
        signer.issue("u", "n", "s"),
        Err(SignError::NoSigningKey)
    ));
}

#[test]
fn a_token_signed_by_a_removed_key_is_rejected() {
    let old = KeyRing::hmac([("old", &[1u8; 32][..])], "old").expect("ring");
    let signer = TokenSigner::new(Arc::new(old), "auth-service", ["items-service"], 60);
    let token = signer.issue("u", "n", "s").expect("issue").access_token;
    let new = KeyRing::hmac([("new", &[2u8; 32][..])], "new").expect("ring");
    let verifier = TokenVerifier::new(Arc::new(new), "auth-service", "items-service", 30);
    assert_eq!(verifier.verify(&token), Err(VerifyError::UnknownKey));
}

#[test]
fn every_key_of_the_ring_verifies_and_the_active_one_signs() {
    let ring = Arc::new(
        KeyRing::hmac([("old", &[1u8; 32][..]), ("new", &[2u8; 32][..])], "new").expect("ring"),
    );
    let old_only = Arc::new(KeyRing::hmac([("old", &[1u8; 32][..])], "old").expect("ring"));
    let old_token = TokenSigner::new(old_only, "auth-service", ["items-service"], 60)
        .issue("u", "n", "s")
        .expect("issue")
        .access_token;
    let verifier = TokenVerifier::new(ring.clone(), "auth-service", "items-service", 30);
    assert!(verifier.verify(&old_token).is_ok());

    let new_token = TokenSigner::new(ring, "auth-service", ["items-service"], 60)
        .issue("u", "n", "s")
        .expect("issue")
        .access_token;
    let header = jsonwebtoken::decode_header(&new_token).expect("header");
    assert_eq!(header.kid.as_deref(), Some("new"));
}

proptest::proptest! {
    #[test]
    fn any_string_as_a_token_is_refused_without_a_panic(raw in proptest::prelude::any::<String>()) {
        proptest::prop_assert!(Fixture::hs256().verify(&raw).is_err());
    }

    #[test]
    fn any_three_base64url_parts_are_refused_without_a_panic(
        header in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        signature in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
    ) {
        let token = format!("{}.{}.{}", b64(&header), b64(&payload), b64(&signature));
        proptest::prop_assert!(Fixture::hs256().verify(&token).is_err());
        proptest::prop_assert!(Fixture::eddsa().verify(&token).is_err());
    }

    #[test]
    fn any_json_header_and_claims_signed_with_the_key_never_panic(
        header in "\\{(\"(alg|typ|kid|crit|x)\":(\"[A-Za-z0-9]{0,20}\"|1|null|\\[\\]),?){0,6}\\}",
        payload in "\\{(\"(iss|sub|aud|exp|nbf|iat|jti|scope|username|x)\":(\"[a-z-]{0,12}\"|[0-9]{1,11}|null|\\[\"items-service\"\\]),?){0,12}\\}",
    ) {
        let f = Fixture::hs256();
        let _ = f.verify(&f.craft_raw(&header, &payload));
    }
}

/// RUSTSEC-2023-0071 (the `rsa` crate, pulled in by jsonwebtoken's
/// `rust_crypto` backend) is ignored in `deny.toml` because no RSA key is
/// ever accepted or used here. These hold that ground.
mod rsa_is_never_accepted {
    use super::*;

    const RSA_PRIVATE: &str = include_str!("../../testdata/rsa-2048.private.pem");
    const RSA_PUBLIC: &str = include_str!("../../testdata/rsa-2048.public.pem");

    fn rs256_token(kid: Option<&str>) -> String {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims().to_string().as_bytes())
        );
        let key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("an RSA key");
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::RS256).expect("sign");
        format!("{input}.{signature}")
    }

    #[test]
    fn an_rs256_token_is_refused_by_every_verifier_whatever_its_key_id() {
        for f in [Fixture::hs256(), Fixture::eddsa(), Fixture::es256()] {
            for kid in [f.ring.active_kid(), None, Some("rsa")] {
                assert_eq!(
                    f.verify(&rs256_token(kid)),
                    Err(VerifyError::Algorithm),
                    "{kid:?}"
                );
            }
        }
    }

    #[test]
    fn an_rsa_key_is_refused_as_a_verification_or_signing_key() {
        assert!(KeyRing::from_pem(Algorithm::EdDSA, RSA_PUBLIC, None).is_err());
        assert!(KeyRing::from_pem(Algorithm::EdDSA, ED_PUBLIC, Some(RSA_PRIVATE)).is_err());
        assert!(
            KeyRing::from_pem(Algorithm::EdDSA, &format!("{ED_PUBLIC}{RSA_PUBLIC}"), None).is_err()
        );
        assert!(KeyRing::from_pem(Algorithm::ES256, RSA_PUBLIC, None).is_err());
        assert!(KeyRing::from_pem(Algorithm::ES256, P256_PUBLIC, Some(RSA_PRIVATE)).is_err());
    }
}

#[test]
fn a_remembered_token_is_answered_from_memory_until_it_expires() {
    let f = Fixture::eddsa();
    let clock = clock_at(NOW + 1);
    let verifier = f.verifier().with_clock(clock.clone());
    let token = f.craft(&f.header(), &claims());
    let first = verifier.verify_remembered(&token).expect("valid");
    let again = verifier.verify_remembered(&token).expect("still valid");
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second answer comes from memory"
    );

    // The same slot (the same signature), other bytes: verified in full.
    let mut tampered = token.clone();
    tampered.replace_range(token.len() / 2..token.len() / 2 + 1, "A");
    tampered.replace_range(token.len() / 2 + 1..token.len() / 2 + 2, "B");
    assert_ne!(tampered, token);
    assert!(verifier.verify_remembered(&tampered).is_err());
    assert!(verifier.verify_remembered(&token).is_ok());

    clock.advance(std::time::Duration::from_secs(600 + 30));
    assert_eq!(
        verifier.verify_remembered(&token),
        Err(VerifyError::Expired)
    );
}

#[test]
fn a_remembered_token_is_verified_again_when_the_ring_changes() {
    let both = || KeyRing::hmac([("old", &[1u8; 32][..]), ("new", &[2u8; 32][..])], "old");
    let keys = Keys::fixed(both().expect("ring"));
    let signer = TokenSigner::new(keys.clone(), "auth-service", ["items-service"], 60);
    let token = signer.issue("u", "n", "s").expect("issue").access_token;
    let verifier = TokenVerifier::new(keys.clone(), "auth-service", "items-service", 30);
    let first = verifier.verify_remembered(&token).expect("valid");

    // The signing key is retired: the remembered answer must not outlive it.
    keys.replace(KeyRing::hmac([("new", &[2u8; 32][..])], "new").expect("ring"));
    assert_eq!(
        verifier.verify_remembered(&token),
        Err(VerifyError::UnknownKey)
    );

    keys.replace(both().expect("ring"));
    let again = verifier.verify_remembered(&token).expect("valid again");
    assert!(
        !Arc::ptr_eq(&first, &again),
        "verified afresh under the new ring"
    );
}

#[test]
fn a_token_remembered_by_one_verifier_is_checked_in_full_by_another() {
    let f = Fixture::hs256();
    let token = f.craft(&f.header(), &claims());
    let clock = clock_at(NOW + 1);
    let items = f.verifier().with_clock(clock.clone());
    items
        .verify_remembered(&token)
        .expect("meant for items-service");
    let reports =
        TokenVerifier::new(f.ring.clone(), "auth-service", "reports-service", 30).with_clock(clock);
    assert_eq!(
        reports.verify_remembered(&token),
        Err(VerifyError::Audience)
    );
}
