//! Structured mutations of a valid token: header members and claims
//! removed, replaced, repeated or added, the signature made with the right
//! key, another key or none, and one byte of the result changed. A model of
//! the rules, written apart from the verifier, says whether the token must be
//! accepted; the verifier has to agree, both ways.
#![no_main]

use std::sync::{Arc, LazyLock};

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use jwtpair_fuzz::*;
use libfuzzer_sys::fuzz_target;
use shared::token::{KeyRing, MAX_TOKEN_BYTES, TokenVerifier};

struct Fixture {
    algorithm: Algorithm,
    name: &'static str,
    kid: String,
    verifier: TokenVerifier,
    key: EncodingKey,
    other_key: EncodingKey,
}

impl Fixture {
    fn new(ring: Arc<KeyRing>, key: EncodingKey, other_key: EncodingKey) -> Self {
        let algorithm = ring.algorithm();
        let name = match algorithm {
            Algorithm::HS256 => "HS256",
            _ => "EdDSA",
        };
        Self {
            algorithm,
            name,
            kid: ring.active_kid().expect("the ring signs").to_owned(),
            verifier: verifier(ring),
            key,
            other_key,
        }
    }
}

static FIXTURES: LazyLock<[Fixture; 2]> = LazyLock::new(|| {
    let pem = |pem: &str| EncodingKey::from_ed_pem(pem.as_bytes()).expect("the test key parses");
    [
        Fixture::new(
            hmac_ring(),
            EncodingKey::from_secret(HMAC_SECRET),
            EncodingKey::from_secret(OTHER_HMAC_SECRET),
        ),
        Fixture::new(eddsa_ring(), pem(ED_PRIVATE), pem(ED_OTHER_PRIVATE)),
    ]
});

#[derive(Debug, Clone, PartialEq, Arbitrary)]
enum Value {
    Str(String),
    UInt(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Strings(Vec<String>),
}

impl Value {
    fn json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => s.as_str().into(),
            Value::UInt(n) => (*n).into(),
            Value::Int(n) => (*n).into(),
            Value::Float(n) => (*n).into(),
            Value::Bool(b) => (*b).into(),
            Value::Null => serde_json::Value::Null,
            Value::Strings(list) => list.clone().into(),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// What a JSON number the claims take as seconds would read as.
    fn as_seconds(&self) -> Option<u64> {
        match self {
            Value::UInt(n) => Some(*n),
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Edit {
    Remove(u8),
    Replace(u8, Value),
    Repeat(u8),
    Add(String, Value),
}

#[derive(Debug, Arbitrary)]
enum Signature {
    RightKey,
    OtherKey,
    Bytes(Vec<u8>),
    Empty,
}

#[derive(Debug, Arbitrary)]
struct Input {
    eddsa: bool,
    header_edits: Vec<Edit>,
    claims_edits: Vec<Edit>,
    signature: Signature,
    changed_byte: Option<(u16, u8)>,
}

type Members = Vec<(String, Value)>;

fn apply(members: &mut Members, edits: &[Edit]) {
    for edit in edits {
        let pick =
            |i: &u8, members: &Members| (!members.is_empty()).then(|| *i as usize % members.len());
        match edit {
            Edit::Remove(i) => {
                if let Some(i) = pick(i, members) {
                    members.remove(i);
                }
            }
            Edit::Replace(i, value) => {
                if let Some(i) = pick(i, members) {
                    members[i].1 = value.clone();
                }
            }
            Edit::Repeat(i) => {
                if let Some(i) = pick(i, members) {
                    members.push(members[i].clone());
                }
            }
            Edit::Add(name, value) => members.push((name.clone(), value.clone())),
        }
    }
}

/// Members written in order, repeats kept (a JSON map would drop them).
fn object(members: &Members) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|(name, value)| {
            format!(
                "{}:{}",
                serde_json::Value::from(name.as_str()),
                value.json()
            )
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn unique(members: &Members) -> bool {
    members
        .iter()
        .enumerate()
        .all(|(i, (name, _))| members[..i].iter().all(|(other, _)| other != name))
}

fn get<'a>(members: &'a Members, name: &str) -> Option<&'a Value> {
    members.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn header_is_valid(header: &Members, fixture: &Fixture) -> bool {
    let string_or_absent = |name| get(header, name).is_none_or(|v| v.as_str().is_some());
    unique(header)
        && string_or_absent("typ")
        && string_or_absent("kid")
        && get(header, "alg").and_then(Value::as_str) == Some(fixture.name)
        && get(header, "typ")
            .and_then(Value::as_str)
            .is_some_and(|typ| typ.eq_ignore_ascii_case("JWT"))
        && get(header, "kid").and_then(Value::as_str) == Some(fixture.kid.as_str())
        && get(header, "crit").is_none()
}

fn claims_are_valid(claims: &Members) -> bool {
    let string = |name| get(claims, name).and_then(Value::as_str);
    let seconds = |name| get(claims, name).and_then(Value::as_seconds);
    let audience_ok = match get(claims, "aud") {
        Some(Value::Str(aud)) => aud == AUDIENCE,
        Some(Value::Strings(list)) => list.iter().any(|aud| aud == AUDIENCE),
        _ => false,
    };
    unique(claims)
        && string("iss") == Some(ISSUER)
        && ["sub", "jti", "scope", "username"]
            .iter()
            .all(|name| string(name).is_some())
        && audience_ok
        && seconds("iat").is_some()
        && seconds("exp").is_some_and(|exp| NOW < exp.saturating_add(LEEWAY_SECONDS))
        && seconds("nbf").is_some_and(|nbf| nbf <= NOW + LEEWAY_SECONDS)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fuzz_target!(|input: Input| {
    let fixture = &FIXTURES[usize::from(input.eddsa)];
    let string = |s: &str| Value::Str(s.to_owned());
    let mut header: Members = vec![
        ("alg".into(), string(fixture.name)),
        ("typ".into(), string("JWT")),
        ("kid".into(), string(&fixture.kid)),
    ];
    let mut claims: Members = vec![
        ("iss".into(), string(ISSUER)),
        ("sub".into(), string("8d1c6f2e-user")),
        ("aud".into(), Value::Strings(vec![AUDIENCE.into()])),
        ("exp".into(), Value::UInt(NOW + 900)),
        ("nbf".into(), Value::UInt(NOW)),
        ("iat".into(), Value::UInt(NOW)),
        ("jti".into(), string("4f0e7a53-jti")),
        ("scope".into(), string("items:read items:write")),
        ("username".into(), string("alice")),
    ];
    apply(&mut header, &input.header_edits);
    apply(&mut claims, &input.claims_edits);

    let signing_input = format!(
        "{}.{}",
        b64(object(&header).as_bytes()),
        b64(object(&claims).as_bytes())
    );
    let sign = |key| {
        jsonwebtoken::crypto::sign(signing_input.as_bytes(), key, fixture.algorithm)
            .expect("signing with a test key works")
    };
    let signature = match &input.signature {
        Signature::RightKey => sign(&fixture.key),
        Signature::OtherKey => sign(&fixture.other_key),
        Signature::Bytes(bytes) => b64(bytes),
        Signature::Empty => String::new(),
    };
    let mut token = format!("{signing_input}.{signature}").into_bytes();
    let mut changed = false;
    if let Some((at, byte)) = input.changed_byte {
        let at = usize::from(at) % token.len();
        // Printable ASCII, so the token stays a string.
        let byte = 0x21 + byte % 0x5e;
        changed = token[at] != byte;
        token[at] = byte;
    }
    let token = String::from_utf8(token).expect("the token is ASCII");

    let must_accept = header_is_valid(&header, fixture)
        && claims_are_valid(&claims)
        && matches!(input.signature, Signature::RightKey)
        && !changed
        && token.len() <= MAX_TOKEN_BYTES;
    match fixture.verifier.verify_at(&token, NOW) {
        Ok(verified) => {
            assert!(must_accept, "accepted a token the rules refuse: {token}");
            assert_eq!(
                Some(verified.sub.as_str()),
                get(&claims, "sub").and_then(Value::as_str)
            );
            assert_eq!(
                Some(verified.exp),
                get(&claims, "exp").and_then(Value::as_seconds)
            );
        }
        Err(rejection) => {
            assert!(!must_accept, "refused a valid token ({rejection}): {token}");
        }
    }
});
