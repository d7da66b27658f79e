//! items-service: the items REST API. Access tokens are verified locally
//! with the `shared` crate; this service never calls auth-service.

pub mod domain;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
