//! Key files for `docker compose` and for rotation: the one-shot `keys init`
//! and the three rotation steps, run where the files live.
//!
//! Layout: auth-service's folder (`AUTH_DIR`) holds what it signs with and
//! `auth.toml` naming it; items-service's folder (`ITEMS_DIR`) holds only
//! what verifies, and `items.toml`. HS256: the shared secret in both.
//! EdDSA and ES256: `{alg}.private.pem` and `{alg}.public.pem` (every key
//! verifiers may see) in `AUTH_DIR`, the JWK Set `jwks.json` in `ITEMS_DIR`.
//! Files are replaced by rename, so the services, which re-read them when
//! they change, never read half a file.
//!
//! Rotation, with no request refused: `next` publishes a new key beside the
//! active one; once every verifier has it (files: seconds; a JWK Set URL:
//! the `Cache-Control` max-age), `activate` signs with it; once the old
//! key's last token has expired (the access-token lifetime plus leeway),
//! `retire` withdraws the old key.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::Algorithm;
use shared::token::{KeyRing, MIN_HMAC_SECRET_BYTES};

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
            ));
        }
        Some(secret) => secret.to_owned(),
        None => match existing.as_deref() {
            Some(kept) if !kept.trim().is_empty() => {
                return Ok(format!("kept the secret in {}", path.display()));
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
    write(path, secret.as_bytes(), 0o400)?;
    Ok(match from_operator.filter(|s| !s.is_empty()) {
        Some(_) => format!("wrote JWT_SECRET to {}", path.display()),
        None => format!("generated a new secret in {}", path.display()),
    })
}

/// A new key pair in PEM form: PKCS#8 private key, SPKI public key.
pub fn generate(algorithm: Algorithm) -> Result<(String, String), String> {
    let failed = |e: &dyn std::fmt::Display| format!("cannot encode the new key: {e}");
    let private = match algorithm {
        Algorithm::EdDSA => {
            use ed25519_dalek::pkcs8::{EncodePrivateKey as _, spki::der::pem::LineEnding};
            let mut seed = [0u8; 32];
            OsRng.fill_bytes(&mut seed);
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            key.to_pkcs8_pem(LineEnding::LF).map_err(|e| failed(&e))?
        }
        Algorithm::ES256 => {
            use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
            let key = p256::SecretKey::random(&mut OsRng);
            key.to_pkcs8_pem(LineEnding::LF).map_err(|e| failed(&e))?
        }
        other => return Err(format!("{other:?} has no key pair: use EdDSA or ES256")),
    };
    let public = public_half(algorithm, &private)?;
    Ok((private.to_string(), public))
}

/// What the folders are for: `JWT_ALGORITHM`, auth-service's folder and
/// items-service's.
pub struct KeyFolders<'a> {
    /// The algorithm in use.
    pub algorithm: Algorithm,
    /// auth-service's folder (secret or private keys).
    pub auth: &'a Path,
    /// items-service's folder (secret or JWK Set).
    pub items: &'a Path,
}

impl KeyFolders<'_> {
    fn stem(&self) -> &'static str {
        match self.algorithm {
            Algorithm::ES256 => "es256",
            _ => "eddsa",
        }
    }

    fn private(&self) -> std::path::PathBuf {
        self.auth.join(format!("{}.private.pem", self.stem()))
    }

    fn next_private(&self) -> std::path::PathBuf {
        self.auth.join(format!("{}.next.private.pem", self.stem()))
    }

    fn public(&self) -> std::path::PathBuf {
        self.auth.join(format!("{}.public.pem", self.stem()))
    }

    fn name(&self) -> &'static str {
        shared::token::algorithm_name(self.algorithm)
    }

    /// The one-shot of `docker compose up`: the secret or the key pair,
    /// made once and kept, and each service's settings file for it.
    /// `operator_secret` is `JWT_SECRET`, which overrides under HS256.
    pub fn init(&self, operator_secret: Option<&str>) -> Result<String, String> {
        let algorithm = self.name();
        let setting =
            |key: &str, path: &Path| format!("{key} = {:?}\n", path.display().to_string());
        let (said, auth, items) = if self.algorithm == Algorithm::HS256 {
            let auth_secret = self.auth.join("jwt_secret");
            let said = generate_secret(&auth_secret, operator_secret)?;
            let items_secret = self.items.join("jwt_secret");
            write(&items_secret, read(&auth_secret)?.as_bytes(), 0o400)?;
            remove(&self.items.join("jwks.json"))?;
            let auth = setting("secret_file", &auth_secret);
            (said, auth, setting("secret_file", &items_secret))
        } else {
            let said = if self.private().exists() {
                format!("kept the {algorithm} key in {}", self.private().display())
            } else {
                let (private, public) = generate(self.algorithm)?;
                write(&self.private(), private.as_bytes(), 0o400)?;
                write(&self.public(), public.as_bytes(), 0o444)?;
                format!(
                    "generated an {algorithm} key pair in {}",
                    self.auth.display()
                )
            };
            self.publish()?;
            // items-service holds no secret it does not use.
            remove(&self.items.join("jwt_secret"))?;
            let auth = setting("public_key_file", &self.public())
                + &setting("private_key_file", &self.private());
            (
                said,
                auth,
                setting("jwks_file", &self.items.join("jwks.json")),
            )
        };
        let header = format!("[jwt]\nalgorithm = \"{algorithm}\"\n");
        write(
            &self.auth.join("auth.toml"),
            (header.clone() + &auth).as_bytes(),
            0o444,
        )?;
        write(
            &self.items.join("items.toml"),
            (header + &items).as_bytes(),
            0o444,
        )?;
        Ok(format!("{said}; {algorithm} settings written"))
    }

    /// Rotation step 1: a new key, published beside the active one.
    pub fn next(&self) -> Result<String, String> {
        self.asymmetric()?;
        if self.next_private().exists() {
            return Err(format!(
                "a next key is already published ({}): activate it first",
                self.next_private().display()
            ));
        }
        let (private, public) = generate(self.algorithm)?;
        // Published first: a verifier must know the key before anything is signed with it.
        let published = format!("{}{public}", read(&self.public())?);
        write(&self.public(), published.as_bytes(), 0o444)?;
        write(&self.next_private(), private.as_bytes(), 0o400)?;
        self.publish()?;
        Ok("published the next key; `activate` it once every verifier has it".to_owned())
    }

    /// Rotation step 2: the published next key signs from now on.
    pub fn activate(&self) -> Result<String, String> {
        self.asymmetric()?;
        if !self.next_private().exists() {
            return Err("no next key to activate: run `next` first".to_owned());
        }
        fs::rename(self.next_private(), self.private())
            .map_err(|e| format!("cannot activate the next key: {e}"))?;
        Ok(
            "the next key signs now; `retire` the old one after the access-token lifetime"
                .to_owned(),
        )
    }

    /// Rotation step 3: only the active key stays published.
    pub fn retire(&self) -> Result<String, String> {
        self.asymmetric()?;
        let published = self.ring()?.kids().count();
        let active = public_half(self.algorithm, &read(&self.private())?)?;
        write(&self.public(), active.as_bytes(), 0o444)?;
        self.publish()?;
        let kid = self.ring()?.active_kid().unwrap_or_default().to_owned();
        Ok(format!("retired {} key(s); {kid} stays", published - 1))
    }

    fn asymmetric(&self) -> Result<(), String> {
        if self.algorithm == Algorithm::HS256 {
            return Err("rotation steps are for JWT_ALGORITHM=EdDSA or ES256".to_owned());
        }
        Ok(())
    }

    fn ring(&self) -> Result<KeyRing, String> {
        let private = read(&self.private())?;
        KeyRing::from_pem(self.algorithm, &read(&self.public())?, Some(&private))
            .map_err(|e| format!("{}: {e}", self.public().display()))
    }

    /// Writes the JWK Set of the public keys into items-service's folder.
    fn publish(&self) -> Result<(), String> {
        let set = serde_json::to_vec_pretty(&self.ring()?.jwks()).map_err(|e| e.to_string())?;
        write(&self.items.join("jwks.json"), &set, 0o444)
    }
}

/// The public key of a PKCS#8 private key, in PEM.
fn public_half(algorithm: Algorithm, private_pem: &str) -> Result<String, String> {
    let bad = |e: &dyn std::fmt::Display| format!("the private key does not read: {e}");
    match algorithm {
        Algorithm::EdDSA => {
            use ed25519_dalek::pkcs8::{
                DecodePrivateKey as _, EncodePublicKey as _, spki::der::pem::LineEnding,
            };
            let key =
                ed25519_dalek::SigningKey::from_pkcs8_pem(private_pem).map_err(|e| bad(&e))?;
            key.verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| bad(&e))
        }
        _ => {
            use p256::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _, LineEnding};
            let key = p256::SecretKey::from_pkcs8_pem(private_pem).map_err(|e| bad(&e))?;
            key.public_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| bad(&e))
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn remove(path: &Path) -> Result<(), String> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// The ES256 ring that signs ID tokens from the PKCS#8 key at `path`,
/// made (0600, its folder created 0700) when there is none yet.
pub fn id_token_ring(path: &Path) -> Result<KeyRing, String> {
    let private = match fs::read_to_string(path) {
        Ok(private) => private,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
                use std::os::unix::fs::DirBuilderExt as _;
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(folder)
                    .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
            }
            let (private, _) = generate(Algorithm::ES256)?;
            create_once(path, private.as_bytes())?
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let public = public_half(Algorithm::ES256, &private)?;
    KeyRing::from_pem(Algorithm::ES256, &public, Some(&private))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes `bytes` (0600) to `path` unless another process or thread got
/// there first; what `path` holds after.
fn create_once(path: &Path, bytes: &[u8]) -> Result<String, String> {
    let staged = path.with_extension(format!("partial-{}", crate::secret::random(8)));
    write_new(&staged, bytes, 0o600)?;
    // A link fails where the name exists: the first writer wins, whole.
    let linked = fs::hard_link(&staged, path);
    let _ = fs::remove_file(&staged);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "made the ID token signing key");
            Ok(String::from_utf8_lossy(bytes).into_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path),
        Err(e) => Err(format!("cannot write {}: {e}", path.display())),
    }
}

/// Writes beside and renames over, so a reader sees the old file or the new.
fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let partial = path.with_extension("partial");
    let _ = fs::remove_file(&partial);
    write_new(&partial, bytes, mode)?;
    fs::rename(&partial, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Creates `path` (which must not exist) with `mode`, and its bytes on disk.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(failed)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both services' folders in a temporary directory.
    struct Folders {
        _dir: tempfile::TempDir,
        auth: std::path::PathBuf,
        items: std::path::PathBuf,
    }

    impl Folders {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let (auth, items) = (dir.path().join("auth"), dir.path().join("items"));
            fs::create_dir_all(&auth).expect("auth folder");
            fs::create_dir_all(&items).expect("items folder");
            Self {
                _dir: dir,
                auth,
                items,
            }
        }

        fn keys(&self, algorithm: Algorithm) -> KeyFolders<'_> {
            KeyFolders {
                algorithm,
                auth: &self.auth,
                items: &self.items,
            }
        }
    }

    fn published(items: &Path, algorithm: Algorithm) -> Vec<String> {
        let set = fs::read(items.join("jwks.json")).expect("jwks.json");
        let ring = KeyRing::from_jwks(algorithm, &set).expect("a JWK Set");
        ring.kids().map(str::to_owned).collect()
    }

    #[test]
    fn generated_pairs_sign_and_verify() {
        for algorithm in [Algorithm::EdDSA, Algorithm::ES256] {
            let (private, public) = generate(algorithm).expect("a pair");
            let ring = KeyRing::from_pem(algorithm, &public, Some(&private)).expect("a ring");
            assert!(ring.active_kid().is_some());
            assert!(!public.contains("PRIVATE"));
        }
        assert!(generate(Algorithm::HS256).is_err());
    }

    #[test]
    fn init_makes_the_pair_once_and_gives_items_only_the_public_set() {
        for algorithm in [Algorithm::EdDSA, Algorithm::ES256] {
            let folders = Folders::new();
            let (keys, items) = (folders.keys(algorithm), &folders.items);
            keys.init(None).expect("init");
            let first = published(items, algorithm);
            keys.init(None).expect("init again");
            assert_eq!(published(items, algorithm), first, "the pair is kept");
            let items_files: Vec<_> = fs::read_dir(items)
                .expect("list")
                .map(|entry| {
                    entry
                        .expect("entry")
                        .file_name()
                        .into_string()
                        .expect("name")
                })
                .collect();
            assert_eq!(items_files.len(), 2, "{items_files:?}");
            for name in &items_files {
                let text = fs::read_to_string(items.join(name)).expect("read");
                assert!(
                    !text.contains("PRIVATE") && !text.contains("\"d\""),
                    "{name}"
                );
            }
            let settings = fs::read_to_string(folders.auth.join("auth.toml")).expect("auth.toml");
            assert!(settings.contains("private_key_file"), "{settings}");
        }
    }

    #[test]
    fn hs256_init_shares_the_secret_and_the_operators_wins() {
        let folders = Folders::new();
        let (keys, items) = (folders.keys(Algorithm::HS256), &folders.items);
        let secret = "an-operator-secret-of-more-than-32-bytes";
        keys.init(Some(secret)).expect("init");
        assert_eq!(read(&items.join("jwt_secret")).expect("secret"), secret);
        assert!(
            read(&items.join("items.toml"))
                .expect("toml")
                .contains("HS256")
        );
    }

    #[test]
    fn rotation_publishes_activates_and_retires() {
        let algorithm = Algorithm::ES256;
        let folders = Folders::new();
        let (keys, items) = (folders.keys(algorithm), &folders.items);
        keys.init(None).expect("init");
        let old = keys
            .ring()
            .expect("ring")
            .active_kid()
            .expect("signs")
            .to_owned();
        assert!(keys.activate().is_err(), "nothing to activate yet");

        keys.next().expect("next");
        assert!(keys.next().is_err(), "one next key at a time");
        assert_eq!(published(items, algorithm).len(), 2);
        assert_eq!(keys.ring().expect("ring").active_kid(), Some(old.as_str()));

        keys.activate().expect("activate");
        let new = keys
            .ring()
            .expect("ring")
            .active_kid()
            .expect("signs")
            .to_owned();
        assert_ne!(new, old);
        assert_eq!(
            published(items, algorithm).len(),
            2,
            "the old key still verifies"
        );

        keys.retire().expect("retire");
        assert_eq!(published(items, algorithm), [new]);
    }

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
