//! Subcommands of the binary besides serving: the container health check
//! and the one-shot that provides the shared secret for `docker compose`.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use shared::token::MIN_HMAC_SECRET_BYTES;

/// Writes the HS256 secret both services read through `JWT_SECRET_FILE`:
/// `JWT_SECRET` when the operator set it (it overrides), otherwise a random
/// 384-bit secret made once and kept across restarts.
pub fn generate_secret(path: &Path, from_operator: Option<&str>) -> Result<String, String> {
    let existing = fs::read_to_string(path).ok();
    let secret = match from_operator.filter(|s| !s.is_empty()) {
        Some(secret) if secret.len() < MIN_HMAC_SECRET_BYTES => {
            return Err(format!(
                "JWT_SECRET is {} bytes; it must be at least {MIN_HMAC_SECRET_BYTES} bytes \
                 (RFC 7518 3.2), e.g. `openssl rand -base64 48`",
                secret.len()
            ))
        }
        Some(secret) => secret.to_owned(),
        None => match existing.as_deref() {
            Some(kept) if !kept.trim().is_empty() => {
                return Ok(format!("kept the secret in {}", path.display()))
            }
            _ => {
                let mut bytes = [0u8; 48];
                OsRng.fill_bytes(&mut bytes);
                STANDARD.encode(bytes)
            }
        },
    };
    if existing.as_deref() == Some(secret.as_str()) {
        return Ok(format!("kept the secret in {}", path.display()));
    }
    // Write beside and rename, so a reader never sees half a secret.
    let partial = path.with_extension("partial");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o400)
        .open(&partial)
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    file.write_all(secret.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    fs::rename(&partial, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    Ok(match from_operator.filter(|s| !s.is_empty()) {
        Some(_) => format!("wrote JWT_SECRET to {}", path.display()),
        None => format!("generated a new secret in {}", path.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jwt_secret");
        generate_secret(&path, None).expect("generated");
        let first = fs::read_to_string(&path).expect("read");
        assert_eq!(first.len(), 64);
        generate_secret(&path, None).expect("kept");
        assert_eq!(fs::read_to_string(&path).expect("read"), first);
    }

    #[test]
    fn the_operators_secret_overrides_and_a_short_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jwt_secret");
        generate_secret(&path, None).expect("generated");
        let mine = "m".repeat(40);
        generate_secret(&path, Some(&mine)).expect("written");
        assert_eq!(fs::read_to_string(&path).expect("read"), mine);
        assert!(generate_secret(&path, Some("short")).is_err());
        assert_eq!(fs::read_to_string(&path).expect("read"), mine);
    }
}
