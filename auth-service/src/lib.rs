//! auth-service: registers users, checks their passwords (argon2id) and
//! issues access tokens that any service holding the key ring can verify.

pub mod accounts;
pub mod cli;
pub mod domain;
pub mod metrics;
pub mod passwords;
pub mod routes;
pub mod sessions;
pub mod settings;
pub mod startup;
pub mod store;
pub mod throttle;
