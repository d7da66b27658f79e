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
