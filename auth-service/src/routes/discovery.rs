//! What clients and verifiers read to trust this issuer: the JWK Set (RFC
//! 7517) and the authorization server metadata (RFC 8414), also served as
//! `openid-configuration` for the verifiers that look only there. URLs come
//! from the configured public URL, never from the request's `Host`.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::sync::Arc;

use shared::token::Keys;

use super::PasswordGrant;
use crate::domain::scope::IDENTITY_SCOPES;
use crate::domain::{AAL1, AAL2, GrantType};
use crate::id_tokens::rs256::Rs256Keys;

/// Where the JWK Set is, under the public URL.
pub(super) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The RFC 8414 metadata, built once at start.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "issuer": "auth-service",
    "authorization_endpoint": "http://localhost:8081/v1/authorize",
    "token_endpoint": "http://localhost:8081/v1/token",
    "userinfo_endpoint": "http://localhost:8081/v1/userinfo",
    "end_session_endpoint": "http://localhost:8081/v1/end-session",
    "jwks_uri": "http://localhost:8081/.well-known/jwks.json",
    "revocation_endpoint": "http://localhost:8081/v1/revoke",
    "revocation_endpoint_auth_methods_supported": ["none"],
    "introspection_endpoint": "http://localhost:8081/v1/introspect",
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
    "service_documentation": "http://localhost:8081/docs/"
}))]
pub struct ServerMetadata {
    /// `JWT_ISSUER`: every token's `iss`.
    issuer: String,
    /// Where a browser signs in (the code flow, with PKCE S256).
    authorization_endpoint: String,
    /// Where tokens are issued.
    token_endpoint: String,
    /// OpenID Connect userinfo.
    userinfo_endpoint: String,
    /// OpenID Connect RP-Initiated Logout.
    end_session_endpoint: String,
    /// The public verification keys.
    jwks_uri: String,
    /// Where tokens are revoked (RFC 7009).
    revocation_endpoint: String,
    /// Public clients revoke what they hold without authenticating.
    revocation_endpoint_auth_methods_supported: [&'static str; 1],
    /// Where service clients introspect tokens (RFC 7662).
    introspection_endpoint: String,
    /// How they authenticate there.
    introspection_endpoint_auth_methods_supported: [&'static str; 2],
    /// The grants `/v1/token` takes (`password` only while
    /// `AUTH__OAUTH__PASSWORD_GRANT` is on).
    grant_types_supported: Vec<&'static str>,
    /// The code flow only.
    response_types_supported: [&'static str; 1],
    /// The code comes back in the redirect URI's query.
    response_modes_supported: [&'static str; 1],
    /// PKCE: S256 only, for every client.
    code_challenge_methods_supported: [&'static str; 1],
    /// RFC 9207: `iss` in every answer of the authorization endpoint.
    authorization_response_iss_parameter_supported: bool,
    /// Public clients send none (their `client_id` alone); confidential
    /// clients authenticate.
    token_endpoint_auth_methods_supported: [&'static str; 3],
    /// The scopes users are granted, and OpenID Connect's.
    scopes_supported: Vec<String>,
    /// A user's `sub` is the same for every client.
    subject_types_supported: [&'static str; 1],
    /// ID tokens are ES256, or RS256 for clients registered for it.
    id_token_signing_alg_values_supported: &'static [&'static str],
    /// What ID tokens and userinfo may say.
    claims_supported: [&'static str; 14],
    /// `aal1`: a password; `aal2`: and a second factor.
    acr_values_supported: [&'static str; 2],
    /// `none` (silent renewal) and `login` (ask again).
    prompt_values_supported: [&'static str; 2],
    /// The interactive API documentation.
    service_documentation: String,
}

impl ServerMetadata {
    /// The document for the issuer at `public_url`.
    pub fn new(
        public_url: &str,
        issuer: &str,
        scopes: &str,
        password_grant: PasswordGrant,
        id_token_signing_alg_values_supported: &'static [&'static str],
    ) -> Self {
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: format!("{public_url}/v1/authorize"),
            token_endpoint: format!("{public_url}/v1/token"),
            userinfo_endpoint: format!("{public_url}/v1/userinfo"),
            end_session_endpoint: format!("{public_url}/v1/end-session"),
            jwks_uri: format!("{public_url}{JWKS_PATH}"),
            revocation_endpoint: format!("{public_url}/v1/revoke"),
            revocation_endpoint_auth_methods_supported: ["none"],
            introspection_endpoint: format!("{public_url}/v1/introspect"),
            introspection_endpoint_auth_methods_supported: [
                "client_secret_basic",
                "client_secret_post",
            ],
            grant_types_supported: GrantType::ALL
                .into_iter()
                .filter(|grant| password_grant.0 || *grant != GrantType::Password)
                .map(GrantType::as_str)
                .collect(),
            response_types_supported: ["code"],
            response_modes_supported: ["query"],
            code_challenge_methods_supported: ["S256"],
            authorization_response_iss_parameter_supported: true,
            token_endpoint_auth_methods_supported: [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            scopes_supported: scopes
                .split_ascii_whitespace()
                .chain(IDENTITY_SCOPES)
                .map(str::to_owned)
                .collect(),
            subject_types_supported: ["public"],
            id_token_signing_alg_values_supported,
            claims_supported: [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "amr",
                "acr",
                "sid",
                "azp",
                "preferred_username",
                "email",
                "email_verified",
            ],
            acr_values_supported: [AAL1, AAL2],
            prompt_values_supported: ["none", "login"],
            service_documentation: format!("{public_url}/docs/"),
        }
    }
}

/// The keys to publish and how long verifiers may keep them.
#[derive(Debug, Clone)]
pub struct PublishedKeys {
    /// The signer's keys (the public halves are published).
    pub keys: Keys,
    /// The ID tokens' keys, when not the same.
    pub id_token_keys: Option<Keys>,
    /// The RS256 ID token keys, when set.
    pub rs256: Option<Arc<Rs256Keys>>,
    /// `Cache-Control: max-age` of the JWK Set.
    pub max_age_seconds: u64,
}

/// A JWK Set: `{"keys": [...]}`.
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"keys": [{
    "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "alg": "EdDSA", "use": "sig"
}]}))]
#[allow(dead_code)] // Documentation only: the body is `shared::token::JwkSet`.
pub(super) struct JwkSetDoc {
    /// The public keys (`kty`, `crv`, `x`, `y` for P-256, `kid`, `alg`, `use`).
    keys: Vec<serde_json::Value>,
}

/// The handler of `GET /.well-known/jwks.json`.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "discovery",
    summary = "The public keys that verify access tokens and ID tokens (JWK Set, RFC 7517).",
    description = "Every key a verifier may see: the active key, and during a rotation the \
                   next one (published before it signs) and the previous one (until its tokens \
                   expire); and the ES256 key of ID tokens when it is not the same. Each `kid` \
                   is the key's RFC 7638 thumbprint. Never a secret: under HS256 only the ID \
                   token key is listed. Cacheable for `max-age` seconds \
                   (`AUTH__TOKENS__JWKS_MAX_AGE_SECONDS`).",
    responses((status = 200, description = "The JWK Set.", body = JwkSetDoc)),
)]
pub(super) async fn jwks(published: web::Data<PublishedKeys>) -> HttpResponse {
    let mut set = published
        .keys
        .current()
        .map(|ring| ring.jwks())
        .unwrap_or_default();
    if let Some(ring) = published.id_token_keys.as_ref().and_then(Keys::current) {
        set.keys.extend(ring.jwks().keys);
    }
    let rs256 = published.rs256.as_ref().map(|keys| keys.current());
    let rsa_keys = rs256.as_ref().map_or(&[][..], |keys| keys.published());
    let keys: Vec<AnyJwk<'_>> = (set.keys.iter().map(AnyJwk::Curve))
        .chain(rsa_keys.iter().map(AnyJwk::Rsa))
        .collect();
    HttpResponse::Ok()
        .insert_header((
            CACHE_CONTROL,
            format!("public, max-age={}", published.max_age_seconds),
        ))
        .json(serde_json::json!({ "keys": keys }))
}

/// A published key: an Ed25519 or P-256 key of a ring, or an RS256 ID
/// token key (already a JWK).
#[derive(Serialize)]
#[serde(untagged)]
enum AnyJwk<'a> {
    Curve(&'a shared::token::PublicJwk),
    Rsa(&'a serde_json::Value),
}

fn metadata_response(metadata: &ServerMetadata) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .json(metadata)
}

/// The handler of `GET /.well-known/oauth-authorization-server`.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-authorization-server",
    tag = "discovery",
    summary = "Authorization server metadata (RFC 8414).",
    description = "The issuer, the authorization, token, revocation and introspection \
                   endpoints, the JWK Set URL, the grants and scopes. Only what is supported \
                   is listed: the code flow with PKCE S256.",
    responses((status = 200, description = "The metadata.", body = ServerMetadata)),
)]
pub(super) async fn authorization_server(metadata: web::Data<ServerMetadata>) -> HttpResponse {
    metadata_response(&metadata)
}

/// The handler of `GET /.well-known/openid-configuration`.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "discovery",
    summary = "The same metadata where OpenID Connect verifiers look for it.",
    description = "OpenID Connect discovery: the same document, for relying parties and for \
                   verifiers (ASP.NET, Spring and others) that find `jwks_uri` here.",
    responses((status = 200, description = "The metadata.", body = ServerMetadata)),
)]
pub(super) async fn openid_configuration(metadata: web::Data<ServerMetadata>) -> HttpResponse {
    metadata_response(&metadata)
}
