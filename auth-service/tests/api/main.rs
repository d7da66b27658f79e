//! HTTP tests: each spawns the real app on port 0 with a fresh SQLite file.

mod helpers;

mod bad_input;
mod flask_login;
mod health;
mod me;
mod register;
mod token;
