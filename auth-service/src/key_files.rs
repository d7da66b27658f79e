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
use std::path::{Path, PathBuf};

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::Algorithm;
use shared::token::{KeyRing, MIN_HMAC_SECRET_BYTES};

use crate::files::{create_once, write};

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

/// The size of the RSA keys made here (RFC 7518 3.3: at least 2048).
const RSA_BITS: usize = 2048;

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
        Algorithm::RS256 => {
            use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
            // Generation only: ring signs with it (it cannot make RSA keys).
            let key = rsa::RsaPrivateKey::new(&mut OsRng, RSA_BITS).map_err(|e| failed(&e))?;
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

/// One signing key's files in auth-service's folder: the active private
/// key, the next one while a rotation is under way, and every public key
/// verifiers may see.
struct KeyPair {
    algorithm: Algorithm,
    private: PathBuf,
    next_private: PathBuf,
    public: PathBuf,
}

impl KeyPair {
    fn in_folder(folder: &Path, stem: &str, algorithm: Algorithm) -> Self {
        Self {
            algorithm,
            private: folder.join(format!("{stem}.private.pem")),
            next_private: folder.join(format!("{stem}.next.private.pem")),
            public: folder.join(format!("{stem}.public.pem")),
        }
    }

    /// Makes the pair unless it exists; whether it did.
    fn make_once(&self) -> Result<bool, String> {
        if self.private.exists() {
            return Ok(false);
        }
        let (private, public) = generate(self.algorithm)?;
        write(&self.private, private.as_bytes(), 0o400)?;
        write(&self.public, public.as_bytes(), 0o444)?;
        Ok(true)
    }

    fn next(&self) -> Result<(), String> {
        let (private, public) = generate(self.algorithm)?;
        // Published first: a verifier must know the key before anything is signed with it.
        let published = format!("{}{public}", read(&self.public)?);
        write(&self.public, published.as_bytes(), 0o444)?;
        write(&self.next_private, private.as_bytes(), 0o400)
    }

    fn activate(&self) -> Result<(), String> {
        fs::rename(&self.next_private, &self.private)
            .map_err(|e| format!("cannot activate the next key: {e}"))
    }

    /// Withdraws every public key but the active one's; how many.
    fn retire(&self) -> Result<usize, String> {
        let published = read(&self.public)?
            .matches("-----BEGIN PUBLIC KEY-----")
            .count();
        let active = public_half(self.algorithm, &read(&self.private)?)?;
        write(&self.public, active.as_bytes(), 0o444)?;
        Ok(published.saturating_sub(1))
    }

    fn ring(&self) -> Result<KeyRing, String> {
        let private = read(&self.private)?;
        KeyRing::from_pem(self.algorithm, &read(&self.public)?, Some(&private))
            .map_err(|e| format!("{}: {e}", self.public.display()))
    }
}

impl KeyFolders<'_> {
    /// The access tokens' pair, under EdDSA and ES256.
    fn access(&self) -> Option<KeyPair> {
        let stem = match self.algorithm {
            Algorithm::ES256 => "es256",
            Algorithm::EdDSA => "eddsa",
            _ => return None,
        };
        Some(KeyPair::in_folder(self.auth, stem, self.algorithm))
    }

    /// The ES256 ID token pair, when the access tokens' key is not one.
    fn id_token(&self) -> Option<KeyPair> {
        (self.algorithm != Algorithm::ES256)
            .then(|| KeyPair::in_folder(self.auth, "id-token", Algorithm::ES256))
    }

    /// The RS256 ID token pair, for relying parties that know nothing else.
    fn rs256(&self) -> KeyPair {
        KeyPair::in_folder(self.auth, "id-token-rs256", Algorithm::RS256)
    }

    /// Every pair the steps rotate, named.
    fn pairs(&self) -> Vec<(&'static str, KeyPair)> {
        let access = self.access().map(|pair| ("access token", pair));
        let id_token = self.id_token().map(|pair| ("ES256 ID token", pair));
        access
            .into_iter()
            .chain(id_token)
            .chain([("RS256 ID token", self.rs256())])
            .collect()
    }

    fn name(&self) -> &'static str {
        shared::token::algorithm_name(self.algorithm)
    }

    /// The one-shot of `docker compose up`: the secret or the key pair,
    /// and the ID token keys, made once and kept, and each service's
    /// settings file for them. `operator_secret` is `JWT_SECRET`, which
    /// overrides under HS256.
    pub fn init(&self, operator_secret: Option<&str>) -> Result<String, String> {
        let algorithm = self.name();
        let setting =
            |key: &str, path: &Path| format!("{key} = {:?}\n", path.display().to_string());
        let (said, auth, items) = match self.access() {
            None => {
                let auth_secret = self.auth.join("jwt_secret");
                let said = generate_secret(&auth_secret, operator_secret)?;
                let items_secret = self.items.join("jwt_secret");
                write(&items_secret, read(&auth_secret)?.as_bytes(), 0o400)?;
                remove(&self.items.join("jwks.json"))?;
                let auth = setting("secret_file", &auth_secret);
                (said, auth, setting("secret_file", &items_secret))
            }
            Some(pair) => {
                let said = if pair.make_once()? {
                    format!(
                        "generated an {algorithm} key pair in {}",
                        self.auth.display()
                    )
                } else {
                    format!("kept the {algorithm} key in {}", pair.private.display())
                };
                self.publish()?;
                // items-service holds no secret it does not use.
                remove(&self.items.join("jwt_secret"))?;
                let auth = setting("public_key_file", &pair.public)
                    + &setting("private_key_file", &pair.private);
                (
                    said,
                    auth,
                    setting("jwks_file", &self.items.join("jwks.json")),
                )
            }
        };
        let mut sections = String::from("[oidc]\n");
        if let Some(pair) = self.id_token() {
            pair.make_once()?;
            sections += &(setting("id_token_key_file", &pair.private)
                + &setting("id_token_public_key_file", &pair.public));
        }
        let rs256 = self.rs256();
        rs256.make_once()?;
        sections += &(setting("rs256_key_file", &rs256.private)
            + &setting("rs256_public_key_file", &rs256.public));
        // The key that seals second factors, beside the others and apart
        // from the database's volume.
        let mfa_key = self.auth.join("mfa.key");
        if !mfa_key.exists() {
            write(
                &mfa_key,
                crate::mfa::sealed::new_key_line().as_bytes(),
                0o400,
            )?;
        }
        sections += &format!("[mfa]\n{}", setting("key_file", &mfa_key));
        let header = format!("[jwt]\nalgorithm = \"{algorithm}\"\n");
        write(
            &self.auth.join("auth.toml"),
            (header.clone() + &auth + &sections).as_bytes(),
            0o444,
        )?;
        write(
            &self.items.join("items.toml"),
            (header + &items).as_bytes(),
            0o444,
        )?;
        Ok(format!(
            "{said}; ID token and MFA keys ready; settings written"
        ))
    }

    /// Rotation step 1: a new key of each kind, published beside the active
    /// one.
    pub fn next(&self) -> Result<String, String> {
        let pairs = self.pairs();
        if let Some((_, pair)) = pairs.iter().find(|(_, pair)| pair.next_private.exists()) {
            return Err(format!(
                "a next key is already published ({}): activate it first",
                pair.next_private.display()
            ));
        }
        for (_, pair) in pairs {
            pair.next()?;
        }
        self.publish()?;
        Ok("published the next keys; `activate` them once every verifier has them".to_owned())
    }

    /// Rotation step 2: the published next keys sign from now on.
    pub fn activate(&self) -> Result<String, String> {
        let pairs = self.pairs();
        if let Some((_, missing)) = pairs.iter().find(|(_, pair)| !pair.next_private.exists()) {
            return Err(format!(
                "no next key to activate ({}): run `next` first",
                missing.next_private.display()
            ));
        }
        for (_, pair) in &pairs {
            pair.activate()?;
        }
        Ok(
            "the next keys sign now; `retire` the old ones after the access-token lifetime"
                .to_owned(),
        )
    }

    /// Rotation step 3: only the active keys stay published.
    pub fn retire(&self) -> Result<String, String> {
        let mut retired = Vec::new();
        for (name, pair) in self.pairs() {
            retired.push(format!("{} {name} key(s)", pair.retire()?));
        }
        self.publish()?;
        Ok(format!("retired {}", retired.join(", ")))
    }

    /// Writes the JWK Set of the access tokens' public keys into
    /// items-service's folder (the ID token keys are not for it).
    fn publish(&self) -> Result<(), String> {
        let Some(pair) = self.access() else {
            return Ok(());
        };
        let set = serde_json::to_vec_pretty(&pair.ring()?.jwks()).map_err(|e| e.to_string())?;
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
        Algorithm::RS256 => {
            use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _, LineEnding};
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).map_err(|e| bad(&e))?;
            key.to_public_key()
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
            let (private, _) = generate(Algorithm::ES256)?;
            create_once(path, private.as_bytes(), "ID token signing key")?
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let public = public_half(Algorithm::ES256, &private)?;
    KeyRing::from_pem(Algorithm::ES256, &public, Some(&private))
        .map_err(|e| format!("{}: {e}", path.display()))
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

    /// The kid that signs with `pair`'s files.
    fn active(pair: &KeyPair) -> String {
        if pair.algorithm != Algorithm::RS256 {
            return pair
                .ring()
                .expect("ring")
                .active_kid()
                .expect("signs")
                .to_owned();
        }
        let keys = crate::id_tokens::rs256::Rs256Keys::load(
            pair.private.clone(),
            pair.public.clone(),
            std::time::Duration::ZERO,
        )
        .expect("loads");
        let token = keys.current().sign_json(&"{}").expect("signed");
        jsonwebtoken::decode_header(&token)
            .expect("header")
            .kid
            .expect("kid")
    }

    fn published_count(pair: &KeyPair) -> usize {
        read(&pair.public)
            .expect("public")
            .matches("BEGIN PUBLIC KEY")
            .count()
    }

    #[test]
    fn rotation_publishes_activates_and_retires_every_pair() {
        for algorithm in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::HS256] {
            let folders = Folders::new();
            let keys = folders.keys(algorithm);
            keys.init(None).expect("init");
            let pairs = keys.pairs();
            let expected = match algorithm {
                Algorithm::ES256 => ["access token", "RS256 ID token"].as_slice(),
                Algorithm::EdDSA => &["access token", "ES256 ID token", "RS256 ID token"],
                _ => &["ES256 ID token", "RS256 ID token"],
            };
            assert_eq!(
                pairs.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
                expected
            );
            let old: Vec<_> = pairs.iter().map(|(_, pair)| active(pair)).collect();
            assert!(keys.activate().is_err(), "nothing to activate yet");

            keys.next().expect("next");
            assert!(keys.next().is_err(), "one next key at a time");
            for ((_, pair), old) in pairs.iter().zip(&old) {
                assert_eq!(published_count(pair), 2);
                assert_eq!(&active(pair), old);
            }
            if algorithm != Algorithm::HS256 {
                assert_eq!(published(&folders.items, algorithm).len(), 2);
            }

            keys.activate().expect("activate");
            let new: Vec<_> = pairs.iter().map(|(_, pair)| active(pair)).collect();
            for ((_, pair), (old, new)) in pairs.iter().zip(old.iter().zip(&new)) {
                assert_ne!(new, old);
                assert_eq!(published_count(pair), 2, "the old key still verifies");
            }

            let said = keys.retire().expect("retire");
            assert!(said.contains("1 RS256 ID token key(s)"), "{said}");
            for ((_, pair), new) in pairs.iter().zip(&new) {
                assert_eq!(published_count(pair), 1);
                assert_eq!(&active(pair), new);
            }
            if algorithm != Algorithm::HS256 {
                assert_eq!(published(&folders.items, algorithm).len(), 1);
            }
            let settings = read(&folders.auth.join("auth.toml")).expect("auth.toml");
            assert!(settings.contains("rs256_public_key_file"), "{settings}");
            assert!(settings.contains("[mfa]\nkey_file"), "{settings}");
            assert_eq!(
                settings.contains("id_token_public_key_file"),
                algorithm != Algorithm::ES256,
                "{settings}"
            );
        }
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
