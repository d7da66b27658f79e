use std::process::ExitCode;

use auth_service::settings::Settings;
use auth_service::startup::Application;

#[actix_web::main]
async fn main() -> ExitCode {
    shared::telemetry::init();
    let result = async {
        let settings = Settings::load()?;
        Application::build(settings)
            .await?
            .run_until_stopped()
            .await?;
        anyhow::Ok(())
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("auth-service: {error:#}");
            ExitCode::FAILURE
        }
    }
}
