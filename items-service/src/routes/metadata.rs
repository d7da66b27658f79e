//! `GET /.well-known/oauth-protected-resource` (RFC 9728): what a client
//! needs to call this service, found from the URL in a 401's challenge.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::{ItemsRead, ItemsWrite};
use shared::auth::RequiredScope as _;

/// Where the document is, under the service's public URL.
pub const PATH: &str = "/.well-known/oauth-protected-resource";

/// The RFC 9728 protected resource metadata.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "resource": "http://localhost:8082",
    "authorization_servers": ["auth-service"],
    "scopes_supported": ["items:read", "items:write"],
    "bearer_methods_supported": ["header"],
    "resource_name": "items-service",
    "resource_documentation": "http://localhost:8082/docs/"
}))]
pub struct ResourceMetadata {
    /// This service's identifier: its public URL.
    resource: String,
    /// The issuers whose tokens it accepts (`JWT_ISSUER`).
    authorization_servers: Vec<String>,
    /// The scopes its routes require.
    scopes_supported: [&'static str; 2],
    /// Tokens travel in the `Authorization` header only.
    bearer_methods_supported: [&'static str; 1],
    /// For people.
    resource_name: &'static str,
    /// The interactive API documentation.
    resource_documentation: String,
}

impl ResourceMetadata {
    /// The document for the service at `public_url`, trusting `issuer`.
    pub fn new(public_url: &str, issuer: &str) -> Self {
        Self {
            resource: public_url.to_owned(),
            authorization_servers: vec![issuer.to_owned()],
            scopes_supported: [ItemsRead::SCOPE, ItemsWrite::SCOPE],
            bearer_methods_supported: ["header"],
            resource_name: "items-service",
            resource_documentation: format!("{public_url}/docs/"),
        }
    }
}

/// The handler of `GET /.well-known/oauth-protected-resource`.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-protected-resource",
    tag = "discovery",
    summary = "OAuth 2.0 protected resource metadata (RFC 9728).",
    description = "Which issuer's tokens this service accepts, the scopes its routes need and \
                   how to send a token. A 401 names this URL in its `WWW-Authenticate` \
                   challenge (`resource_metadata`). Needs no token.",
    responses((status = 200, description = "The metadata.", body = ResourceMetadata)),
)]
pub(super) async fn protected_resource(metadata: web::Data<ResourceMetadata>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .json(metadata.get_ref())
}
