//! The JWK Set and the RFC 8414 metadata: what other verifiers read.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use shared::token::KeyRing;

use crate::helpers::{AuthApi as _, builder, json_body, spawn_app, start};

fn fixture(name: &str) -> String {
    format!("{}/../shared/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("b64")).expect("JSON");
    header["kid"].as_str().expect("kid").to_owned()
}

#[tokio::test]
async fn under_hs256_the_jwk_set_holds_only_the_id_token_key_and_is_cacheable() {
    let app = spawn_app().await;
    let response = app
        .get("/.well-known/jwks.json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let set = json_body(response).await;
    let keys = set["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{set}");
    assert_eq!(
        (
            keys[0]["alg"].as_str(),
            keys[0]["crv"].as_str(),
            keys[0].get("d")
        ),
        (Some("ES256"), Some("P-256"), None),
        "no secret, only the ID token key: {set}"
    );
}

#[tokio::test]
async fn the_jwk_set_holds_the_public_key_that_verifies_the_tokens_under_its_thumbprint() {
    for (algorithm, name, stem, crv) in [
        (Algorithm::EdDSA, "EdDSA", "ed25519", "Ed25519"),
        (Algorithm::ES256, "ES256", "p256", "P-256"),
    ] {
        let public = fixture(&format!("{stem}-1.public.pem"));
        let next = fixture(&format!("{stem}-2.public.pem"));
        let both = tempfile::NamedTempFile::new().expect("temp file");
        let text = std::fs::read_to_string(&public).expect("read")
            + &std::fs::read_to_string(&next).expect("read");
        std::fs::write(both.path(), text).expect("write");
        let app = start(
            builder()
                .await
                .without_env("JWT_SECRET")
                .env("JWT_ALGORITHM", name)
                .env("JWT_PUBLIC_KEY_FILE", &both.path().display().to_string())
                .env(
                    "JWT_PRIVATE_KEY_FILE",
                    &fixture(&format!("{stem}-1.private.pem")),
                ),
        )
        .await;
        let token = app.token_for("alice").await;
        let set = json_body(
            app.get("/.well-known/jwks.json")
                .send()
                .await
                .expect("request"),
        )
        .await;
        let all = set["keys"].as_array().expect("keys");
        let keys: Vec<&Value> = all.iter().filter(|k| k["alg"] == name).collect();
        assert_eq!(
            keys.len(),
            2,
            "the next key is published before it signs: {set}"
        );
        // ES256 signs ID tokens with the same ring; EdDSA needs a key of their own.
        let id_token_keys = all.len() - keys.len();
        assert_eq!(
            id_token_keys,
            usize::from(algorithm == Algorithm::EdDSA),
            "{set}"
        );
        let signing = keys
            .iter()
            .find(|k| k["kid"] == kid_of(&token))
            .copied()
            .expect("the token's key");
        assert_eq!(
            (
                signing["crv"].as_str(),
                signing["alg"].as_str(),
                signing["use"].as_str()
            ),
            (Some(crv), Some(name), Some("sig"))
        );
        assert!(keys.iter().all(|k| k.get("d").is_none()), "{set}");

        // Any JOSE library can verify with it; here, jsonwebtoken's own JWK reader.
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(signing.clone()).expect("a JWK");
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a key");
        let mut validation = jsonwebtoken::Validation::new(algorithm);
        validation.set_audience(&["items-service"]);
        validation.set_issuer(&["auth-service"]);
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("verifies");

        // The set reads back as a verifier's ring with the same ids.
        let ring = KeyRing::from_jwks(algorithm, set.to_string().as_bytes()).expect("ring");
        assert!(ring.kids().any(|kid| kid == kid_of(&token)));
    }
}

#[tokio::test]
async fn the_metadata_is_built_from_the_public_url_never_from_the_host_header() {
    let app = start(
        builder()
            .await
            .env("AUTH__SERVER__PUBLIC_URL", "https://auth.example/")
            .env("JWT_ISSUER", "https://auth.example"),
    )
    .await;
    let expected = json!({
        "issuer": "https://auth.example",
        "authorization_endpoint": "https://auth.example/v1/authorize",
        "token_endpoint": "https://auth.example/v1/token",
        "userinfo_endpoint": "https://auth.example/v1/userinfo",
        "end_session_endpoint": "https://auth.example/v1/end-session",
        "jwks_uri": "https://auth.example/.well-known/jwks.json",
        "revocation_endpoint": "https://auth.example/v1/revoke",
        "revocation_endpoint_auth_methods_supported": ["none"],
        "introspection_endpoint": "https://auth.example/v1/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["authorization_code", "password", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": ["items:read", "items:write", "openid", "profile", "email"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "azp", "preferred_username", "email", "email_verified"],
        "acr_values_supported": ["aal1", "aal2"],
        "prompt_values_supported": ["none", "login"],
        "service_documentation": "https://auth.example/docs/"
    });
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let response = app
            .get(path)
            .header("host", "attacker.example")
            .header("x-forwarded-host", "attacker.example")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .expect("ascii")
                .starts_with("public")
        );
        assert_eq!(json_body(response).await, expected, "{path}");
    }
}
