//! Password hashing with argon2id, off the async executor, with bounded
//! concurrency: at most `max_concurrent` hashes run at once (each holds
//! `memory_kib` of memory) and at most `max_queued` wait; past that a login
//! is answered 503 at once, so a flood neither stalls other requests nor
//! grows memory without bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Semaphore;

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

impl From<HashError> for shared::problem::ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => {
                tracing::warn!("password hashing queue full; refusing");
                shared::problem::unavailable().into()
            }
            HashError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

/// The one place passwords are hashed and checked.
#[derive(Debug)]
pub struct PasswordHasher {
    params: Params,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queued: usize,
    /// Checked when the user does not exist, so that costs the same.
    dummy_hash: String,
}

/// Counts a waiting hash for as long as it waits (also if the request is dropped).
struct WaitTicket<'a>(&'a AtomicUsize);

impl Drop for WaitTicket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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
        let dummy_hash = hash_with(&params, b"not-a-real-password-just-for-timing")?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_queued: settings.max_queued,
            dummy_hash,
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: SecretString) -> Result<String, HashError> {
        let params = self.params.clone();
        self.run(move || hash_with(&params, password.expose_secret().as_bytes()))
            .await
    }

    /// Whether `password` matches `stored` (a PHC string); with no stored
    /// hash (unknown user) it checks a dummy and answers false, taking as long.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .run(move || {
                let parsed = PasswordHash::new(&hash).map_err(|e| {
                    anyhow::anyhow!("stored password hash is not a PHC string: {e}")
                })?;
                Ok(Argon2::default()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    {
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.max_queued {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(HashError::Busy);
        }
        let ticket = WaitTicket(&self.waiting);
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .context("the hashing semaphore closed")?;
        drop(ticket);
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            span.in_scope(work)
        })
        .await
        .context("the hashing task failed")?
        .map_err(HashError::Unexpected)
    }
}

fn hash_with(params: &Params, password: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(max_queued: usize) -> PasswordHasher {
        PasswordHasher::new(&PasswordSettings {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            max_concurrent: 1,
            max_queued,
        })
        .expect("hasher")
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
        assert!(ok.await.expect("verify"));
        let wrong = hasher.verify("wrong password".to_owned().into(), Some(hash));
        assert!(!wrong.await.expect("verify"));
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches() {
        let hasher = hasher(8);
        let result = hasher.verify(
            "not-a-real-password-just-for-timing".to_owned().into(),
            None,
        );
        assert!(!result.await.expect("verify"));
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy() {
        let hasher = hasher(0);
        let result = hasher.hash("anything".to_owned().into()).await;
        assert!(matches!(result, Err(HashError::Busy)));
    }
}
