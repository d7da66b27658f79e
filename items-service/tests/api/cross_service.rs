//! Both services, sharing only the secret: the seed tutorial's Postman session.

use serde_json::json;
use shared::testing::TestDatabase;

use crate::helpers::{SECRET, TestApp, send, start_on};

/// auth-service, in this process, over the database at `url`, with `jwt` as
/// its `JWT_*` settings; its address.
pub(crate) async fn spawn_auth_service_with(url: &str, jwt: &[(&str, &str)]) -> String {
    // Its key files in the temporary folder, not the working directory,
    // unless the settings file of `keys init` names its own.
    let file = |name: &str| {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        path.display().to_string()
    };
    let mut builder = TestApp::builder_on("AUTH", url);
    if !jwt.iter().any(|(name, _)| *name == "AUTH_CONFIG_FILE") {
        builder = builder
            .env(
                "AUTH__OIDC__ID_TOKEN_KEY_FILE",
                &file("jwt-pair-id-token.pem"),
            )
            .env("AUTH__MFA__KEY_FILE", &file("mfa.key"));
    }
    builder
        .without_env("JWT_SECRET")
        .envs(jwt)
        .start(|env, clock| async move {
            auth_service::startup::Application::build(
                auth_service::settings::Settings::load_from(&env)?,
                clock,
            )
            .await
        })
        .await
        .address
}

#[tokio::test]
async fn the_seed_tutorials_postman_session_works_across_both_services() {
    let auth_db = TestDatabase::new().await;
    let items_db = TestDatabase::new().await;
    let auth = spawn_auth_service_with(auth_db.url(), &[("JWT_SECRET", SECRET)]).await;
    let items = start_on(items_db.url()).await.address;
    let client = shared::testing::client();
    let credentials = json!({ "username": "jose", "password": "asdf-qwer-zxcv-1234" });

    let (status, _) = send(client.post(format!("{auth}/v1/users")).json(&credentials)).await;
    assert_eq!(status, 201);

    let (status, login) = send(client.post(format!("{auth}/auth")).json(&credentials)).await;
    assert_eq!(status, 200);
    let jwt = format!("JWT {}", login["access_token"].as_str().expect("token"));

    let post = || {
        client
            .post(format!("{items}/item/item1"))
            .header("authorization", &jwt)
    };
    let (status, created) = send(post().json(&json!({ "price": 15.99 }))).await;
    assert_eq!(
        (status, created),
        (201, json!({ "name": "item1", "price": 15.99 }))
    );

    let get = client
        .get(format!("{items}/item/item1"))
        .header("authorization", &jwt);
    let (status, fetched) = send(get).await;
    assert_eq!(
        (status, fetched),
        (200, json!({ "item": { "name": "item1", "price": 15.99 } }))
    );

    let (status, duplicate) = send(post().json(&json!({ "price": 15.99 }))).await;
    assert_eq!(status, 400);
    assert_eq!(
        duplicate,
        json!({ "message": "An item with name 'item1' already exists." })
    );

    let no_price = client
        .post(format!("{items}/item/item2"))
        .header("authorization", &jwt)
        .json(&json!({}));
    let (status, message) = send(no_price).await;
    assert_eq!(status, 400);
    assert_eq!(
        message,
        json!({ "message": { "price": "This field cannot be left blank!" } })
    );

    // The Flask original answers 500 here.
    let (status, _) = send(client.get(format!("{items}/item/item1"))).await;
    assert_eq!(status, 401);
}
