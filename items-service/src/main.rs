use std::process::ExitCode;

use items_service::settings::Settings;
use items_service::startup::Application;

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
            eprintln!("items-service: {error:#}");
            ExitCode::FAILURE
        }
    }
}
