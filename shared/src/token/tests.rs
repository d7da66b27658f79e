//! One test per rejection; tokens are built by hand so each breaks one rule.

use super::*;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};

const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
const NOW: u64 = 1_900_000_000;

fn ring() -> Arc<KeyRing> {
    Arc::new(KeyRing::single_hmac(SECRET).expect("ring"))
}

fn verifier() -> TokenVerifier {
    TokenVerifier::new(ring(), "auth-service", "items-service", 30)
}

fn header() -> Value {
    json!({"alg": "HS256", "typ": "JWT", "kid": derive_kid(SECRET)})
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

/// Signs raw header and payload text with `secret`, HS256.
fn craft_raw(header: &str, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .expect("sign");
    format!("{input}.{signature}")
}

fn craft(header: &Value, payload: &Value) -> String {
    craft_raw(&header.to_string(), &payload.to_string(), SECRET)
}

fn with(mut value: Value, key: &str, new: Value) -> Value {
    value[key] = new;
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().expect("object").remove(key);
    value
}

fn verify(token: &str) -> Result<Claims, VerifyError> {
    verifier().verify_at(token, NOW + 1)
}

#[test]
fn a_well_formed_token_is_accepted() {
    let claims = verify(&craft(&header(), &claims())).expect("valid");
    assert_eq!(claims.username, "alice");
    assert!(claims.has_scope("items:write"));
}

#[test]
fn a_token_from_the_signer_is_accepted() {
    let signer = TokenSigner::new(ring(), "auth-service", ["items-service"], 60);
    let issued = signer.issue("u1", "bob", "items:read").expect("issue");
    let claims = verifier().verify(&issued.access_token).expect("valid");
    assert_eq!(claims.sub, "u1");
    assert_eq!(claims.exp - claims.iat, 60);
}

#[test]
fn an_oversized_token_is_rejected() {
    let padding = "x".repeat(MAX_TOKEN_BYTES);
    let token = craft(&header(), &with(claims(), "pad", json!(padding)));
    assert_eq!(verify(&token), Err(VerifyError::Oversized));
}

#[test]
fn a_token_with_two_parts_is_malformed() {
    let token = craft(&header(), &claims());
    let two: Vec<&str> = token.split('.').take(2).collect();
    assert_eq!(verify(&two.join(".")), Err(VerifyError::Malformed));
}

#[test]
fn a_token_with_four_parts_is_malformed() {
    let token = format!("{}.extra", craft(&header(), &claims()));
    assert_eq!(verify(&token), Err(VerifyError::Malformed));
}

#[test]
fn a_token_with_invalid_base64_is_malformed() {
    let token = craft(&header(), &claims());
    let broken = format!("*{}", &token[1..]);
    assert_eq!(verify(&broken), Err(VerifyError::Malformed));
}

#[test]
fn a_padded_base64url_part_is_malformed() {
    let token = craft(&header(), &claims());
    let (head, rest) = token.split_once('.').expect("dot");
    assert_eq!(
        verify(&format!("{head}=.{rest}")),
        Err(VerifyError::Malformed)
    );
}

#[test]
fn alg_none_is_rejected() {
    let h = with(header(), "alg", json!("none"));
    let token = format!(
        "{}.{}.",
        b64(h.to_string().as_bytes()),
        b64(claims().to_string().as_bytes())
    );
    assert_eq!(verify(&token), Err(VerifyError::Malformed));
    // Even with a signature part present, `none` is not the configured algorithm.
    let token = format!("{token}c2ln");
    assert_eq!(verify(&token), Err(VerifyError::Algorithm));
}

#[test]
fn another_algorithm_is_rejected() {
    let token = craft(&with(header(), "alg", json!("HS512")), &claims());
    assert_eq!(verify(&token), Err(VerifyError::Algorithm));
}

#[test]
fn the_algorithm_name_is_case_sensitive() {
    let token = craft(&with(header(), "alg", json!("hs256")), &claims());
    assert_eq!(verify(&token), Err(VerifyError::Algorithm));
}

#[test]
fn a_missing_typ_is_rejected() {
    let token = craft(&without(header(), "typ"), &claims());
    assert_eq!(verify(&token), Err(VerifyError::Type));
}

#[test]
fn a_wrong_typ_is_rejected() {
    let token = craft(&with(header(), "typ", json!("at+jwt-refresh")), &claims());
    assert_eq!(verify(&token), Err(VerifyError::Type));
}

#[test]
fn a_crit_header_is_rejected() {
    let token = craft(&with(header(), "crit", json!(["exp"])), &claims());
    assert_eq!(verify(&token), Err(VerifyError::CriticalHeader));
}

#[test]
fn a_missing_kid_is_rejected() {
    let token = craft(&without(header(), "kid"), &claims());
    assert_eq!(verify(&token), Err(VerifyError::MissingKeyId));
}

#[test]
fn an_unknown_kid_is_rejected() {
    let token = craft(&with(header(), "kid", json!("someone-else")), &claims());
    assert_eq!(verify(&token), Err(VerifyError::UnknownKey));
}

#[test]
fn a_signature_from_another_secret_is_rejected() {
    let token = craft_raw(
        &header().to_string(),
        &claims().to_string(),
        b"another-secret-another-secret-another",
    );
    assert_eq!(verify(&token), Err(VerifyError::Signature));
}

#[test]
fn a_tampered_payload_is_rejected() {
    let token = craft(&header(), &claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = b64(with(claims(), "username", json!("mallory"))
        .to_string()
        .as_bytes());
    let token = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(verify(&token), Err(VerifyError::Signature));
}

#[test]
fn a_duplicate_header_member_is_rejected() {
    let kid = derive_kid(SECRET);
    let header = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}","x":1,"x":2}}"#);
    let token = craft_raw(&header, &claims().to_string(), SECRET);
    assert_eq!(verify(&token), Err(VerifyError::DuplicateMember));
}

#[test]
fn a_duplicate_known_claim_is_rejected() {
    let body = claims().to_string();
    let payload = format!(r#"{},"exp":{}}}"#, &body[..body.len() - 1], NOW + 99_999);
    let token = craft_raw(&header().to_string(), &payload, SECRET);
    assert_eq!(verify(&token), Err(VerifyError::DuplicateMember));
}

#[test]
fn a_duplicate_unknown_claim_is_rejected() {
    let body = claims().to_string();
    let payload = format!(
        r#"{},"role":"user","role":"admin"}}"#,
        &body[..body.len() - 1]
    );
    let token = craft_raw(&header().to_string(), &payload, SECRET);
    assert_eq!(verify(&token), Err(VerifyError::DuplicateMember));
}

#[test]
fn a_duplicate_member_spelled_with_an_escape_is_rejected() {
    let body = claims().to_string();
    let payload = format!(r#"{},"\u0073ub":"other"}}"#, &body[..body.len() - 1]);
    let token = craft_raw(&header().to_string(), &payload, SECRET);
    assert_eq!(verify(&token), Err(VerifyError::DuplicateMember));
}

#[test]
fn a_payload_that_is_not_an_object_is_rejected() {
    let token = craft_raw(&header().to_string(), "[1,2]", SECRET);
    assert_eq!(verify(&token), Err(VerifyError::Malformed));
}

#[test]
fn a_missing_exp_is_rejected() {
    let token = craft(&header(), &without(claims(), "exp"));
    assert_eq!(verify(&token), Err(VerifyError::Claims));
}

#[test]
fn a_missing_nbf_is_rejected() {
    let token = craft(&header(), &without(claims(), "nbf"));
    assert_eq!(verify(&token), Err(VerifyError::Claims));
}

#[test]
fn an_exp_of_the_wrong_type_is_rejected() {
    // CVE-2026-25537: a string `exp` must not skip the expiry check.
    let token = craft(&header(), &with(claims(), "exp", json!("1900000600")));
    assert_eq!(verify(&token), Err(VerifyError::Claims));
}

#[test]
fn an_nbf_of_the_wrong_type_is_rejected() {
    let token = craft(&header(), &with(claims(), "nbf", json!(null)));
    assert_eq!(verify(&token), Err(VerifyError::Claims));
}

#[test]
fn a_missing_iss_is_rejected() {
    let token = craft(&header(), &without(claims(), "iss"));
    assert_eq!(verify(&token), Err(VerifyError::Claims));
}

#[test]
fn a_wrong_iss_is_rejected() {
    let token = craft(&header(), &with(claims(), "iss", json!("evil-issuer")));
    assert_eq!(verify(&token), Err(VerifyError::Issuer));
}

#[test]
fn a_missing_aud_is_rejected() {
    let token = craft(&header(), &without(claims(), "aud"));
    assert_eq!(verify(&token), Err(VerifyError::Claims));
}

#[test]
fn a_wrong_aud_is_rejected() {
    let token = craft(&header(), &with(claims(), "aud", json!("billing-service")));
    assert_eq!(verify(&token), Err(VerifyError::Audience));
}

#[test]
fn an_aud_array_containing_this_service_is_accepted() {
    let token = craft(
        &header(),
        &with(claims(), "aud", json!(["billing", "items-service"])),
    );
    assert!(verify(&token).is_ok());
}

#[test]
fn an_expired_token_is_rejected_after_the_leeway() {
    let token = craft(&header(), &with(claims(), "exp", json!(NOW - 31)));
    assert_eq!(verify(&token), Err(VerifyError::Expired));
}

#[test]
fn a_just_expired_token_is_accepted_within_the_leeway() {
    let token = craft(&header(), &with(claims(), "exp", json!(NOW - 20)));
    assert!(verify(&token).is_ok());
}

#[test]
fn a_token_not_valid_yet_is_rejected_beyond_the_leeway() {
    let token = craft(&header(), &with(claims(), "nbf", json!(NOW + 120)));
    assert_eq!(verify(&token), Err(VerifyError::NotYetValid));
}

#[test]
fn a_token_slightly_ahead_is_accepted_within_the_leeway() {
    let token = craft(&header(), &with(claims(), "nbf", json!(NOW + 20)));
    assert!(verify(&token).is_ok());
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
