use serde_json::json;
use sqlx::Row as _;

use shared::testing::TestDatabase;

use crate::helpers::{AuthApi as _, PASSWORD, spawn_app_on};

async fn stored_hash(url: &str) -> String {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("open");
    let row = sqlx::query("SELECT password_hash FROM users WHERE username = 'alice'")
        .fetch_one(&pool)
        .await
        .expect("alice");
    row.get(0)
}

#[tokio::test]
async fn a_hash_made_with_older_parameters_is_upgraded_at_the_next_login() {
    let database = TestDatabase::new().await;
    let url = database.url();
    // The tests' cheap parameters.
    let old = spawn_app_on(url, &[]).await;
    assert_eq!(old.register("alice", PASSWORD).await.status(), 201);
    assert!(stored_hash(url).await.contains("m=1024,t=1,p=1"));

    // The operator raises the cost to OWASP's; the same database, a new process.
    let owasp = [
        ("AUTH__PASSWORDS__MEMORY_KIB", "19456"),
        ("AUTH__PASSWORDS__ITERATIONS", "2"),
    ];
    let new = spawn_app_on(url, &owasp).await;
    let login = new
        .flask_login(&json!({ "username": "alice", "password": PASSWORD }))
        .await;
    assert_eq!(login.status(), 200);
    let upgraded = stored_hash(url).await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );

    let again = new
        .flask_login(&json!({ "username": "alice", "password": PASSWORD }))
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(stored_hash(url).await, upgraded, "upgraded once only");
}
