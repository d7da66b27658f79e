//! HTTP tests: each spawns the real app on port 0 with a fresh SQLite file;
//! tokens are minted with `shared`'s signer, so no auth-service is needed
//! except in `cross_service`.

mod helpers;

mod authentication;
mod bad_input;
mod concurrency;
mod cors;
mod cross_service;
mod flask_items;
mod items;
mod keys;
mod metrics;
mod openapi;
mod process;
mod scale_out;
