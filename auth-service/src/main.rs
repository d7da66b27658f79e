use std::process::ExitCode;

use auth_service::cli::{Cli, Command, KeyStep, UsersCommand};
use auth_service::key_files::KeyFolders;
use auth_service::settings::{AdminSocket, Settings};
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
            let written = auth_service::key_files::generate_secret(&path, from_operator.as_deref());
            shared::cli::exit("auth-service", written)
        }
        Command::Keys { step } => shared::cli::exit("auth-service", key_step(&step)),
        Command::Users {
            action: UsersCommand::Grant { username, scopes },
        } => shared::cli::exit("auth-service", grant(&username, &scopes)),
    }
}

fn key_step(step: &KeyStep) -> Result<String, String> {
    // Unset or empty (compose passes `${JWT_ALGORITHM:-HS256}`): the default.
    let name = std::env::var("JWT_ALGORITHM").unwrap_or_default();
    let algorithm =
        shared::settings::parse_algorithm(if name.is_empty() { "HS256" } else { &name })
            .map_err(|e| e.to_string())?;
    let (KeyStep::Init(dirs)
    | KeyStep::Next(dirs)
    | KeyStep::Activate(dirs)
    | KeyStep::Retire(dirs)) = step;
    let folders = KeyFolders {
        algorithm,
        auth: &dirs.auth_dir,
        items: &dirs.items_dir,
    };
    match step {
        KeyStep::Init(_) => folders.init(std::env::var("JWT_SECRET").ok().as_deref()),
        KeyStep::Next(_) => folders.next(),
        KeyStep::Activate(_) => folders.activate(),
        KeyStep::Retire(_) => folders.retire(),
    }
}

/// `users grant`: through the running service's admin socket when it
/// answers, else on the configured database, migrated first.
fn grant(username: &str, scopes: &[String]) -> Result<String, String> {
    let settings = Settings::load().map_err(|e| e.to_string())?;
    let running = match settings.admin_socket() {
        AdminSocket::Set(path) | AdminSocket::BesideTheDatabase(path) => {
            std::os::unix::net::UnixStream::connect(path).ok()
        }
        AdminSocket::Off => None,
    };
    if let Some(socket) = running {
        return auth_service::cli::grant_over_socket(socket, username, scopes);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        let granted = auth_service::startup::grant(&settings, username, scopes).await;
        granted
            .map(|scopes| format!("{username} is granted: {scopes}"))
            .map_err(|e| {
                let hint = if format!("{e:#}").contains("in use by another process") {
                    "; the service is running without an admin socket (AUTH__SERVER__ADMIN_SOCKET \
                     is set empty, or set otherwise for it than for this command)"
                } else {
                    ""
                };
                format!("{e:#}{hint}")
            })
    })
}
