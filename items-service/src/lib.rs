//! items-service: the items REST API. Access tokens are verified locally
//! with the `shared` crate; this service never calls auth-service.
//!
//! What lives where, and what may import what (each layer only the ones
//! below it): `routes` (the HTTP edge, the only place that builds HTTP
//! answers), `domain` (names and prices that are valid once built),
//! `store` (all SQL), and the wiring: `startup`, `settings`, `cli`.

pub mod cli;
pub mod domain;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
