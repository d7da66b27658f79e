use std::process::ExitCode;

use auth_service::cli::{Cli, Command};
use auth_service::settings::Settings;
use auth_service::startup::Application;
use clap::Parser as _;
use shared::cli::ServiceCommand;
use shared::clock::Clock;

fn main() -> ExitCode {
    match Cli::parse()
        .command
        .unwrap_or(Command::Service(ServiceCommand::Serve))
    {
        Command::Service(ServiceCommand::Serve) => shared::cli::serve("auth-service", || async {
            Application::build(Settings::load()?, Clock::system()).await
        }),
        Command::Service(ServiceCommand::Healthcheck) => {
            shared::cli::healthcheck("auth-service", Settings::load().map(|s| s.server))
        }
        Command::GenerateSecret { path } => {
            let from_operator = std::env::var("JWT_SECRET").ok();
            let written = auth_service::cli::generate_secret(&path, from_operator.as_deref());
            shared::cli::exit("auth-service", written)
        }
    }
}
