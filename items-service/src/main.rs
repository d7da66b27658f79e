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
        [] => serve(),
        ["healthcheck"] => {
            shared::cli::healthcheck("items-service", Settings::load().map(|s| s.server))
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
    shared::cli::exit("items-service", served.await.map_err(|e| format!("{e:#}")))
}
