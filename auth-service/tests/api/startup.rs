use auth_service::settings::Settings;
use auth_service::startup::Application;
use shared::clock::Clock;
use shared::testing::TestApp;

use crate::helpers::builder;

async fn build_error(changes: &[(&str, Option<&str>)]) -> String {
    let mut builder = builder().await;
    for (key, value) in changes {
        builder = match value {
            Some(value) => builder.env(key, value),
            None => builder.without_env(key),
        };
    }
    let settings = Settings::load_from(builder.environment()).expect("settings parse");
    match Application::build(settings, Clock::system()).await {
        Ok(_) => panic!("start-up should fail for {changes:?}"),
        Err(error) => format!("{error:#}"),
    }
}

#[tokio::test]
async fn a_missing_secret_stops_start_up_naming_jwt_secret() {
    let error = build_error(&[("JWT_SECRET", None)]).await;
    assert!(error.contains("JWT_SECRET"), "{error}");
}

#[tokio::test]
async fn a_short_secret_stops_start_up_naming_jwt_secret() {
    let error = build_error(&[("JWT_SECRET", Some("0123456789012345678901234567890"))]).await;
    assert!(error.contains("JWT_SECRET is 31 bytes"), "{error}");
}

#[tokio::test]
async fn eddsa_without_a_private_key_stops_start_up() {
    let public = format!(
        "{}/../shared/testdata/ed25519-1.public.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let error = build_error(&[
        ("JWT_SECRET", None),
        ("JWT_ALGORITHM", Some("EdDSA")),
        ("JWT_PUBLIC_KEY_FILE", Some(&public)),
    ])
    .await;
    assert!(error.contains("JWT_PRIVATE_KEY_FILE"), "{error}");
}

#[test]
fn the_admin_scope_is_never_a_default() {
    let env = std::collections::HashMap::from([
        ("JWT_SECRET".to_owned(), crate::helpers::SECRET.to_owned()),
        (
            "AUTH__TOKENS__DEFAULT_SCOPES".to_owned(),
            "items:read auth:admin".to_owned(),
        ),
    ]);
    let error = Settings::load_from(&env).expect_err("refused");
    assert!(error.to_string().contains("users grant"), "{error}");
}

#[tokio::test]
async fn a_public_url_that_is_not_a_url_stops_start_up() {
    let error = build_error(&[("AUTH__SERVER__PUBLIC_URL", Some("auth.example"))]).await;
    assert!(error.contains("PUBLIC_URL"), "{error}");
}

#[tokio::test]
async fn a_jwk_set_cannot_sign_so_it_stops_start_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks = dir.path().join("jwks.json");
    let public = std::fs::read_to_string(format!(
        "{}/../shared/testdata/p256-1.public.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("read");
    let ring = shared::token::KeyRing::from_pem(jsonwebtoken::Algorithm::ES256, &public, None)
        .expect("ring");
    std::fs::write(&jwks, serde_json::to_vec(&ring.jwks()).expect("JSON")).expect("write");
    let jwks = jwks.display().to_string();
    let error = build_error(&[
        ("JWT_SECRET", None),
        ("JWT_ALGORITHM", Some("ES256")),
        ("JWT_JWKS_FILE", Some(&jwks)),
    ])
    .await;
    assert!(error.contains("JWT_PRIVATE_KEY_FILE"), "{error}");
}

#[test]
fn a_bad_value_stops_start_up_naming_its_variable() {
    let builder = TestApp::builder_on("AUTH", "sqlite://unused.db")
        .env("AUTH__TOKENS__ACCESS_TOKEN_SECONDS", "soon");
    let error = Settings::load_from(builder.environment())
        .expect_err("not a number")
        .to_string();
    assert!(
        error.contains("AUTH__TOKENS__ACCESS_TOKEN_SECONDS"),
        "{error}"
    );
}
