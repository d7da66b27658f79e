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
        ["healthcheck"] => healthcheck(),
        ["generate-secret", path] => {
            let from_operator = std::env::var("JWT_SECRET").ok();
            report(auth_service::cli::generate_secret(
                Path::new(path),
                from_operator.as_deref(),
            ))
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
    let result = async {
        let settings = Settings::load()?;
        Application::build(settings)
            .await?
            .run_until_stopped()
            .await?;
        anyhow::Ok(())
    };
    report(
        result
            .await
            .map(|()| String::new())
            .map_err(|e| format!("{e:#}")),
    )
}

fn healthcheck() -> ExitCode {
    let probe = Settings::load()
        .map_err(|e| e.to_string())
        .and_then(|s| shared::http::probe(&s.server.host, s.server.port, "/health/ready"));
    report(probe.map(|()| String::new()))
}

fn report(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(message) => {
            if !message.is_empty() {
                println!("auth-service: {message}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("auth-service: {error}");
            ExitCode::FAILURE
        }
    }
}
