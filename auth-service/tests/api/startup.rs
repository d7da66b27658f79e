use auth_service::settings::Settings;
use auth_service::startup::Application;

use crate::helpers::test_env;

async fn build_error(changes: &[(&str, Option<&str>)]) -> String {
    let database = shared::db::TestDatabase::new().await;
    let mut env = test_env(database.url());
    for (key, value) in changes {
        match value {
            Some(value) => env.insert((*key).to_owned(), (*value).to_owned()),
            None => env.remove(*key),
        };
    }
    let settings = Settings::load_from(&env).expect("settings parse");
    match Application::build(settings).await {
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
    let mut env = test_env("sqlite://unused.db");
    env.insert("AUTH__TOKENS__ACCESS_TOKEN_SECONDS".into(), "soon".into());
    let error = Settings::load_from(&env)
        .expect_err("not a number")
        .to_string();
    assert!(
        error.contains("AUTH__TOKENS__ACCESS_TOKEN_SECONDS"),
        "{error}"
    );
}
