use std::process::ExitCode;

use items_service::settings::Settings;
use items_service::startup::Application;

const USAGE: &str = "usage: items-service [healthcheck]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => shared::cli::serve("items-service", || async {
            Application::build(Settings::load()?).await
        }),
        ["healthcheck"] => {
            shared::cli::healthcheck("items-service", Settings::load().map(|s| s.server))
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
