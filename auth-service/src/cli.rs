//! The command line: serving (the default), the container health check,
//! and the key files: the one-shot of `docker compose` and rotation.

use std::io::Write as _;
use std::path::PathBuf;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use shared::cli::ServiceCommand;

/// Registers users and issues access tokens (JWT) and refresh tokens.
///
/// Configured by the environment: `AUTH__SECTION__KEY` (e.g.
/// `AUTH__SERVER__PORT`), `JWT_*` for the keys, `AUTH_CONFIG_FILE` for an
/// optional TOML file. See docs/configuration.md.
#[derive(Debug, clap::Parser)]
#[command(name = "auth-service", version)]
pub struct Cli {
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serving and the health check, as every service has them.
    #[command(flatten)]
    Service(ServiceCommand),
    /// Write the HS256 secret both services read through `JWT_SECRET_FILE`:
    /// `JWT_SECRET` when it is set, otherwise a random 384-bit secret made
    /// once and kept across restarts.
    GenerateSecret {
        /// The file to write (mode 0400), e.g. `/secrets/jwt_secret`.
        path: PathBuf,
    },
    /// Users, on this service's database (run where the service runs:
    /// `docker compose exec auth-service auth-service users ...`).
    Users {
        /// The action.
        #[command(subcommand)]
        action: UsersCommand,
    },
    /// Key files for `docker compose` and key rotation, of the kind
    /// `JWT_ALGORITHM` names (HS256, EdDSA or ES256).
    Keys {
        /// The step.
        #[command(subcommand)]
        step: KeyStep,
    },
}

/// The actions of `auth-service users`.
#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add scopes to what a user is granted, e.g. the first admin:
    /// `auth-service users grant alice auth:admin`.
    Grant {
        /// The user's name (any case).
        username: String,
        /// One or more scopes.
        #[arg(required = true)]
        scopes: Vec<String>,
    },
}

/// The steps of `auth-service keys`.
#[derive(Debug, clap::Subcommand)]
pub enum KeyStep {
    /// Make the secret or key pair once (kept afterwards) and write each
    /// service's settings file (`auth.toml`, `items.toml`) for it.
    Init(KeyDirs),
    /// Rotation 1: publish a new key beside the active one.
    Next(KeyDirs),
    /// Rotation 2: sign with the published next key.
    Activate(KeyDirs),
    /// Rotation 3: withdraw every key but the active one.
    Retire(KeyDirs),
}

/// Where each service's key files live.
#[derive(Debug, clap::Args)]
pub struct KeyDirs {
    /// auth-service's folder: the secret or the private and public keys.
    pub auth_dir: PathBuf,
    /// items-service's folder: the secret or the public JWK Set only.
    pub items_dir: PathBuf,
}

/// `users grant` through the running service's admin socket: the service
/// changes its own database (a SQLite file is one process's). What to print.
pub fn grant_over_socket(
    mut socket: std::os::unix::net::UnixStream,
    username: &str,
    scopes: &[String],
) -> Result<String, String> {
    use std::io::Read as _;

    // RFC 3986 unreserved characters stay; every other byte is escaped.
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let path = utf8_percent_encode(username, SEGMENT);
    let body = serde_json::json!({ "scopes": scopes }).to_string();
    let request = format!(
        "POST /local/users/{path}/grant HTTP/1.1\r\nHost: localhost\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let failed = |e: std::io::Error| format!("the admin socket: {e}");
    socket.write_all(request.as_bytes()).map_err(failed)?;
    let mut answer = String::new();
    socket.read_to_string(&mut answer).map_err(failed)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split(' ').nth(1).unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    match status {
        "200" => Ok(format!(
            "{username} is granted: {}",
            body["scopes"].as_str().unwrap_or_default()
        )),
        _ => {
            // Field errors say more than the problem's summary.
            let fields: Vec<String> = body["errors"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(_, why)| match why {
                    serde_json::Value::Array(all) => all.clone(),
                    one => vec![one.clone()],
                })
                .filter_map(|why| why.as_str().map(str::to_owned))
                .collect();
            let detail = body["detail"].as_str().map(str::to_owned);
            Err(match (fields.is_empty(), detail) {
                (false, _) => fields.join("; "),
                (true, Some(detail)) => detail,
                (true, None) => format!("the service answered {status}"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed_and_serves_by_default() {
        use clap::{CommandFactory as _, Parser as _};
        Cli::command().debug_assert();
        assert!(Cli::parse_from(["auth-service"]).command.is_none());
        assert!(matches!(
            Cli::parse_from(["auth-service", "generate-secret", "/s/jwt"]).command,
            Some(Command::GenerateSecret { path }) if path == std::path::Path::new("/s/jwt")
        ));
        assert!(Cli::try_parse_from(["auth-service", "frobnicate"]).is_err());
    }
}
