use std::path::Path;
use std::process::ExitCode;

use auth_service::settings::Settings;
use auth_service::startup::Application;

const USAGE: &str = "usage: auth-service [healthcheck | generate-secret PATH]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => shared::cli::serve("auth-service", || async {
            Application::build(Settings::load()?).await
        }),
        ["healthcheck"] => {
            shared::cli::healthcheck("auth-service", Settings::load().map(|s| s.server))
        }
        ["generate-secret", path] => {
            let from_operator = std::env::var("JWT_SECRET").ok();
            let written =
                auth_service::cli::generate_secret(Path::new(path), from_operator.as_deref());
            shared::cli::exit("auth-service", written)
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
