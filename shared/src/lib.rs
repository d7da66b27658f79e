//! What every service that trusts our access tokens shares, in layers that a
//! service takes à la carte (Cargo features):
//!
//! | layer | feature | modules |
//! |---|---|---|
//! | the token and its actix-web extractors | *(default)* | [`token`], [`clock`], [`auth`], [`problem`], [`body`] |
//! | keys from a JWK Set URL | `remote-keys` | `token::remote` |
//! | configuration | `settings` | `settings` |
//! | OpenAPI schemas, security schemes and refusal sets | `openapi` | `openapi` |
//! | the service platform | `platform` (takes the three above) | `http`, `cors`, `page`, `operations`, `metrics`, `telemetry`, `cli` |
//! | the database (SQLite by sqlx and rusqlite, PostgreSQL by sqlx and tokio-postgres) | `database` (takes `platform`) | `db` |
//! | test support | `test-support` (takes `database`) | `testing` |
//!
//! A service that only verifies tokens depends on `shared` with default
//! features and pulls neither a database driver nor a metrics registry,
//! logging subscriber or Swagger UI.
//!
//! What may import what: a layer imports only the layers above it in the
//! table (the default layer imports no other; `http` imports none of
//! `operations`). No module knows a particular service: the scopes, the
//! issuer and the audience come from the service.

pub mod auth;
pub mod body;
#[cfg(feature = "platform")]
pub mod cli;
pub mod clock;
#[cfg(feature = "platform")]
pub mod cors;
#[cfg(feature = "database")]
pub mod db;
#[cfg(feature = "platform")]
pub mod http;
#[cfg(feature = "platform")]
pub mod metrics;
#[cfg(feature = "openapi")]
pub mod openapi;
#[cfg(feature = "platform")]
pub mod operations;
#[cfg(feature = "platform")]
pub mod page;
pub mod problem;
#[cfg(feature = "settings")]
pub mod settings;
#[cfg(feature = "platform")]
pub mod telemetry;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod token;
