use serde_json::Value;
use utoipa::OpenApi as _;

use crate::helpers::{send, spawn_app};

#[tokio::test]
async fn every_route_the_app_registers_is_in_the_openapi_document_and_nothing_else() {
    let mismatches = shared::openapi::mismatches(
        items_service::routes::routes(),
        &shared::operations::with_operations(items_service::routes::ApiDoc::openapi()),
    )
    .await;
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_1_with_scopes_on_every_item_operation() {
    let app = spawn_app().await;
    let (status, document): (u16, Value) = send(app.client.get(app.url("/openapi.json"))).await;
    assert_eq!(status, 200);
    assert_eq!(document["openapi"], "3.1.0");
    let flow = &document["components"]["securitySchemes"]["oauth2"]["flows"]["password"];
    assert_eq!(flow["tokenUrl"], "http://localhost:8081/v1/token");
    assert!(flow["scopes"]["items:write"].is_string());
    for (path, operations) in document["paths"].as_object().expect("paths") {
        if !path.contains("item") {
            continue;
        }
        for (method, operation) in operations.as_object().expect("operations") {
            let scopes = operation["security"]
                .as_array()
                .and_then(|schemes| schemes.iter().find_map(|s| s.get("oauth2")))
                .unwrap_or_else(|| panic!("{method} {path} names no oauth2 scope"));
            let expected = if method == "get" {
                "items:read"
            } else {
                "items:write"
            };
            assert_eq!(scopes[0], expected, "{method} {path}");
        }
    }
}
