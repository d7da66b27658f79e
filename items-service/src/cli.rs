//! The command line: serving (the default) and the container health check.

use shared::cli::ServiceCommand;

/// Serves the items REST API, verifying auth-service's access tokens
/// locally.
///
/// Configured by the environment: `ITEMS__SECTION__KEY` (e.g.
/// `ITEMS__SERVER__PORT`), `JWT_*` for the keys, `ITEMS_CONFIG_FILE` for an
/// optional TOML file. See docs/configuration.md.
#[derive(Debug, clap::Parser)]
#[command(name = "items-service", version)]
pub struct Cli {
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<ServiceCommand>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed_and_serves_by_default() {
        use clap::{CommandFactory as _, Parser as _};
        Cli::command().debug_assert();
        assert!(Cli::parse_from(["items-service"]).command.is_none());
        assert!(matches!(
            Cli::parse_from(["items-service", "healthcheck"]).command,
            Some(ServiceCommand::Healthcheck)
        ));
        assert!(Cli::try_parse_from(["items-service", "generate-secret"]).is_err());
    }
}
