//! Password hashing with argon2id, off the async executor, with bounded
//! concurrency: at most `max_concurrent` hashes run at once and at most
//! `max_queued` wait; past that a check fails at once with
//! [`HashError::Busy`] (a login is answered 503), so a flood
//! neither stalls other requests nor grows memory without bound.
//!
//! Each running hash works in one of `max_concurrent` memory buffers of
//! `memory_kib`, made on first use and then reused: allocating 19 MiB per
//! hash instead lets the allocator keep freed buffers in per-thread arenas,
//! and a login flood grew the process past 1 GiB.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::metrics;

/// Hashing settings (`AUTH__PASSWORDS__*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordSettings {
    /// argon2 memory cost in KiB (OWASP: 19456).
    pub memory_kib: u32,
    /// argon2 passes (OWASP: 2).
    pub iterations: u32,
    /// argon2 lanes (OWASP: 1).
    pub parallelism: u32,
    /// Hashes that may run at once; 0 means one per core.
    pub max_concurrent: usize,
    /// Hashes that may wait for a slot before logins are refused with 503.
    pub max_queued: usize,
}

/// Why a hash could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are waiting.
    #[error("too many password checks are waiting")]
    Busy,
    /// A bug or a corrupt stored hash.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Argon2 working memory, one buffer per hashing slot, reused.
#[derive(Debug)]
struct MemoryPool {
    blocks: usize,
    free: std::sync::Mutex<Vec<Vec<Block>>>,
}

impl MemoryPool {
    fn take(&self) -> Vec<Block> {
        let spare = self
            .free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        spare.unwrap_or_else(|| vec![Block::default(); self.blocks])
    }

    fn give_back(&self, buffer: Vec<Block>) {
        self.free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(buffer);
    }
}

/// The one place passwords are hashed and checked.
#[derive(Debug)]
pub struct PasswordHasher {
    params: Params,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queued: usize,
    memory: Arc<MemoryPool>,
    /// Checked when the user does not exist, so that costs the same.
    dummy_hash: String,
}

/// The outcome of [`PasswordHasher::verify`].
#[derive(Debug)]
pub struct Verified {
    /// The password is right.
    pub matches: bool,
    /// A hash with the configured parameters, when the stored one is older.
    pub upgraded_hash: Option<String>,
}

/// Whether a stored hash was made with exactly these parameters.
fn uses(hash: &PasswordHash<'_>, params: &Params) -> bool {
    hash.algorithm == argon2::ARGON2ID_IDENT
        && hash.version == Some(Version::V0x13.into())
        && Params::try_from(hash).is_ok_and(|used| {
            used.m_cost() == params.m_cost()
                && used.t_cost() == params.t_cost()
                && used.p_cost() == params.p_cost()
        })
}

/// Counts a waiting hash for as long as it waits (also if the request is dropped).
struct WaitTicket<'a>(&'a AtomicUsize);

impl Drop for WaitTicket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
        metrics::HASH_QUEUE_DEPTH.dec();
    }
}

impl PasswordHasher {
    /// A hasher with these parameters; computes its dummy hash (once, at start).
    pub fn new(settings: &PasswordSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid AUTH__PASSWORDS__* argon2 parameters: {e}"))?;
        let slots = match settings.max_concurrent {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let memory = Arc::new(MemoryPool {
            blocks: params.block_count(),
            free: std::sync::Mutex::new(Vec::new()),
        });
        // Not kept in the pool: an idle service holds no hashing memory.
        let dummy_hash = hash_with(
            &params,
            b"not-a-real-password-just-for-timing",
            &mut memory.take(),
        )?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_queued: settings.max_queued,
            memory,
            dummy_hash,
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: SecretString) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run(move |memory| hash_with(&params, password.expose_secret().as_bytes(), memory))
            .await
    }

    /// Checks `password` against `stored` (a PHC string); with no stored
    /// hash (unknown user) it checks a dummy and never matches, taking as
    /// long. A match against a hash made with other parameters than the
    /// configured ones also yields a new hash to store.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<Verified, HashError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let params = self.params.clone();
        let verified = self
            .run(move |memory| {
                let parsed = PasswordHash::new(&hash).map_err(|e| {
                    anyhow::anyhow!("stored password hash is not a PHC string: {e}")
                })?;
                let password = password.expose_secret().as_bytes();
                let matches = verify_with(&parsed, password, memory)?;
                let upgraded_hash = if matches && !uses(&parsed, &params) {
                    Some(hash_with(&params, password, memory)?)
                } else {
                    None
                };
                Ok(Verified {
                    matches,
                    upgraded_hash,
                })
            })
            .await?;
        Ok(Verified {
            matches: known && verified.matches,
            ..verified
        })
    }

    async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce(&mut [Block]) -> anyhow::Result<T> + Send + 'static,
    {
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.max_queued {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            metrics::HASH_QUEUE_FULL.inc();
            return Err(HashError::Busy);
        }
        metrics::HASH_QUEUE_DEPTH.inc();
        let ticket = WaitTicket(&self.waiting);
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .context("the hashing semaphore closed")?;
        drop(ticket);
        let span = tracing::Span::current();
        let memory = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let mut buffer = memory.take();
            let result = span.in_scope(|| work(&mut buffer));
            memory.give_back(buffer);
            result
        })
        .await
        .context("the hashing task failed")?
        .map_err(HashError::Unexpected)
    }
}

fn hash_with(params: &Params, password: &[u8], memory: &mut [Block]) -> anyhow::Result<String> {
    let failed = |e: argon2::Error| anyhow::anyhow!("argon2 hashing failed: {e}");
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt_raw, &mut output, memory)
        .map_err(failed)?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Recomputes `hash` for `password` with the parameters it records, in
/// `memory` when it is large enough, and compares in constant time.
fn verify_with(
    hash: &PasswordHash<'_>,
    password: &[u8],
    memory: &mut [Block],
) -> anyhow::Result<bool> {
    let invalid = |what: &str| anyhow::anyhow!("stored password hash has an invalid {what}");
    let algorithm = Algorithm::try_from(hash.algorithm).map_err(|_| invalid("algorithm"))?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|_| invalid("version"))?
        .unwrap_or_default();
    let params = Params::try_from(hash).map_err(|_| invalid("parameter set"))?;
    let expected = hash.hash.ok_or_else(|| invalid("output"))?;
    let mut salt_bytes = [0u8; 64];
    let salt = hash
        .salt
        .ok_or_else(|| invalid("salt"))?
        .decode_b64(&mut salt_bytes)
        .map_err(|_| invalid("salt"))?;
    let mut output = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let computed = if params.block_count() <= memory.len() {
        argon2.hash_password_into_with_memory(password, salt, &mut output, memory)
    } else {
        // A hash made with more memory than configured now (rare): its own buffer.
        argon2.hash_password_into(password, salt, &mut output)
    };
    computed.map_err(|e| anyhow::anyhow!("argon2 verification failed: {e}"))?;
    let computed = Output::new(&output).map_err(|_| invalid("output"))?;
    Ok(computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher_with(memory_kib: u32, max_queued: usize) -> PasswordHasher {
        PasswordHasher::new(&PasswordSettings {
            memory_kib,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 1,
            max_queued,
        })
        .expect("hasher")
    }

    fn hasher(max_queued: usize) -> PasswordHasher {
        hasher_with(1024, max_queued)
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let hasher = hasher(8);
        let hash = hasher
            .hash("right password".to_owned().into())
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        let ok = hasher.verify("right password".to_owned().into(), Some(hash.clone()));
        let ok = ok.await.expect("verify");
        assert!(ok.matches);
        assert!(ok.upgraded_hash.is_none(), "already current");
        let wrong = hasher.verify("wrong password".to_owned().into(), Some(hash));
        assert!(!wrong.await.expect("verify").matches);
    }

    #[tokio::test]
    async fn a_match_against_older_parameters_yields_an_upgraded_hash() {
        let old = hasher_with(1024, 8)
            .hash("pw-pw-pw-pw".to_owned().into())
            .await
            .expect("hash");
        let current = hasher_with(2048, 8);
        let verified = current
            .verify("pw-pw-pw-pw".to_owned().into(), Some(old))
            .await
            .expect("verify");
        assert!(verified.matches);
        let upgraded = verified.upgraded_hash.expect("an upgrade");
        assert!(upgraded.contains("m=2048"), "{upgraded}");
        let again = current.verify("pw-pw-pw-pw".to_owned().into(), Some(upgraded));
        assert!(again.await.expect("verify").upgraded_hash.is_none());
    }

    #[tokio::test]
    async fn a_wrong_password_against_older_parameters_is_not_upgraded() {
        let old = hasher_with(1024, 8)
            .hash("pw-pw-pw-pw".to_owned().into())
            .await
            .expect("hash");
        let verified = hasher_with(2048, 8)
            .verify("wrong-wrong".to_owned().into(), Some(old))
            .await
            .expect("verify");
        assert!(!verified.matches && verified.upgraded_hash.is_none());
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = hasher(8);
        let ours = hasher
            .hash("a-password-1".to_owned().into())
            .await
            .expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(
            Argon2::default()
                .verify_password(b"a-password-1", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"a-password-2", &parsed)
                .is_err()
        );

        let params = Params::new(2048, 1, 1, None).expect("params");
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"a-password-1", &salt)
            .expect("hash")
            .to_string();
        let verified = hasher.verify("a-password-1".to_owned().into(), Some(theirs));
        assert!(
            verified.await.expect("verify").matches,
            "a larger m_cost than the pool's"
        );
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches() {
        let hasher = hasher(8);
        let result = hasher.verify(
            "not-a-real-password-just-for-timing".to_owned().into(),
            None,
        );
        assert!(!result.await.expect("verify").matches);
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy() {
        let hasher = hasher(0);
        let result = hasher.hash("anything".to_owned().into()).await;
        assert!(matches!(result, Err(HashError::Busy)));
    }
}
