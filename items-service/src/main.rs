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
        ["healthcheck"] => healthcheck(),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[actix_web::main]
async fn serve() -> ExitCode {
    shared::telemetry::init();
    let result = async {
        let settings = Settings::load()?;
        Application::build(settings)
            .await?
            .run_until_stopped()
            .await?;
        anyhow::Ok(())
    };
    report(result.await.map_err(|e| format!("{e:#}")))
}

fn healthcheck() -> ExitCode {
    let probe = Settings::load()
        .map_err(|e| e.to_string())
        .and_then(|s| shared::http::probe(&s.server.host, s.server.port, "/health/ready"));
    report(probe)
}

fn report(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("items-service: {error}");
            ExitCode::FAILURE
        }
    }
}
