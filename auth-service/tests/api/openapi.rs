use serde_json::Value;
use utoipa::OpenApi as _;

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_route_the_app_registers_is_in_the_openapi_document_and_nothing_else() {
    let mismatches = shared::openapi::mismatches(
        auth_service::routes::routes(),
        &shared::operations::with_operations(auth_service::routes::ApiDoc::openapi()),
    )
    .await;
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_1_with_bearer_and_password_flow_security() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").send().await.expect("send");
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        schemes["oauth2"]["flows"]["password"]["tokenUrl"],
        "/v1/token"
    );
    let token = &document["paths"]["/v1/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(document["paths"]["/v1/me"]["get"]["security"].is_array());
}
