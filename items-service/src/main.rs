use std::process::ExitCode;

use clap::Parser as _;
use items_service::cli::Cli;
use items_service::settings::Settings;
use items_service::startup::Application;
use shared::cli::ServiceCommand;
use shared::clock::Clock;

fn main() -> ExitCode {
    match Cli::parse().command.unwrap_or(ServiceCommand::Serve) {
        ServiceCommand::Serve => shared::cli::serve("items-service", || async {
            Application::build(Settings::load()?, Clock::system()).await
        }),
        ServiceCommand::Healthcheck => {
            shared::cli::healthcheck("items-service", Settings::load().map(|s| s.server))
        }
    }
}
