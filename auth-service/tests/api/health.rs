use crate::helpers::spawn_app;

#[tokio::test]
async fn live_and_ready_answer_200() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app.get(path).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn the_sqlite_file_and_folder_are_created_at_start() {
    let data = tempfile::tempdir().expect("tempdir");
    let nested = data.path().join("a/b/auth.db");
    let url = format!("sqlite://{}", nested.display());
    let _app = crate::helpers::spawn_app_with(&[("AUTH__DATABASE__URL", &url)]).await;
    assert!(nested.exists());
}
