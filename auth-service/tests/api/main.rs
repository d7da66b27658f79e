//! HTTP tests: each spawns the real app on port 0 with a fresh SQLite file.

mod helpers;

mod admin;
mod bad_input;
mod console;
mod cors;
mod discovery;
mod flask_login;
mod hash_upgrade;
mod health;
mod logout_and_password;
mod logs;
mod mailbox;
mod me;
mod metrics;
mod mfa;
mod openapi;
mod recovery;
mod refresh;
mod refresh_cookie;
mod register;
mod sessions;
mod shutdown;
mod sign_in;
mod startup;
mod throttle;
mod token;
mod users_cli;
