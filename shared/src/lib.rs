//! The one definition of the access token shared by auth-service, which
//! issues it, and every service that trusts it.
//!
//! - [`token`]: claims, key ring, signing and verification (algorithm pinned).
//! - [`auth`]: the actix-web extractors [`auth::Caller`] and
//!   [`auth::Authorized`] and their RFC 6750 401/403 answers.
//! - [`problem`]: RFC 9457 problem details, the error body of the v1 API.
//! - [`body`]: size-capped JSON and form bodies with field-level errors.
//! - [`settings`]: the configuration loader and the `JWT_*` settings.
//! - [`http`], [`cli`], [`telemetry`]: the server both services run
//!   (request log, health, fallbacks, graceful shutdown), their command line,
//!   logging.
//! - `db` (feature `database`): SQLite or PostgreSQL behind one pool, with
//!   migrations per dialect; `TestDatabase` (feature `test-support`).
//!
//! This crate holds no user or item types: those belong to their service.

pub mod auth;
pub mod body;
pub mod cli;
#[cfg(feature = "database")]
pub mod db;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod settings;
pub mod telemetry;
pub mod token;
