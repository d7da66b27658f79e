use std::process::ExitCode;

use clap::Parser as _;
use items_service::cli::{Cli, Command};
use items_service::settings::Settings;
use items_service::startup::Application;
use shared::clock::Clock;

fn main() -> ExitCode {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => shared::cli::serve("items-service", || async {
            Application::build(Settings::load()?, Clock::system()).await
        }),
        Command::Healthcheck => {
            shared::cli::healthcheck("items-service", Settings::load().map(|s| s.server))
        }
    }
}
