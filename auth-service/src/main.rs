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
        [] => serve(),
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

#[actix_web::main]
async fn serve() -> ExitCode {
    shared::telemetry::init();
    let served = async {
        let settings = Settings::load()?;
        Application::build(settings)
            .await?
            .run_until_stopped()
            .await?;
        anyhow::Ok(String::new())
    };
    shared::cli::exit("auth-service", served.await.map_err(|e| format!("{e:#}")))
}
