//! auth-service: registers users, checks their passwords (argon2id) and
//! issues access tokens that any service holding the key ring can verify.
//!
//! What lives where, and what may import what (each layer only the ones
//! below it):
//!
//! - `routes`: the HTTP edge; the only module that builds HTTP answers.
//! - `accounts` (users, passwords, the throttle), `sessions` (access and
//!   refresh tokens, revocation, introspection), `admin` (the admin API's
//!   changes and the last-admin rule), `clients` (client authentication)
//!   and `authorization` (the code flow: browser sessions, codes): the
//!   decisions, returning domain errors; none imports another.
//! - `throttle`, `passwords`, `audit` (events and who did them), `secret`
//!   (random secrets and their stored hashes), `id_tokens` (OpenID Connect
//!   ID tokens), `domain`: parts the decisions use.
//! - `store`: all SQL, a file per table. `failure`: what fails below a
//!   decision.
//! - `startup`, `settings`, `cli`, `metrics`, `key_files`: wiring.
//!
//! `docs/architecture.md` says where to add a route, a store method, a
//! setting or a metric.

pub mod accounts;
pub mod admin;
pub mod audit;
pub mod authorization;
pub mod cli;
pub mod clients;
pub mod domain;
pub mod failure;
pub mod files;
pub mod id_tokens;
pub mod key_files;
pub mod metrics;
pub mod mfa;
pub mod passwords;
pub mod recovery;
pub mod routes;
pub mod secret;
pub mod sessions;
pub mod settings;
pub mod startup;
pub mod store;
pub mod throttle;
