//! Second factors: a TOTP authenticator (RFC 6238) and ten recovery codes
//! per user. Returns domain errors; `routes` turns them into HTTP.
//!
//! Policy:
//! - Enrolment makes a secret, which asks for nothing until a code of it
//!   confirms it; confirming turns it on, gives ten recovery codes (shown
//!   once) and ends every other session of the user, which a password alone
//!   signed in.
//! - A code is accepted once: a TOTP step is spent by one conditional write
//!   (across replicas too), a recovery code likewise.
//! - Wrong codes are throttled like passwords, counted apart from them (a
//!   right password does not forget them), per user and per address.
//! - Secrets are sealed and recovery codes kept as HMACs with a key held
//!   apart from the database ([`sealed`]).

pub mod sealed;

use std::sync::Arc;

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use shared::clock::Clock;

use crate::audit::{self, Actor};
use crate::domain::{Factors, totp};
use crate::failure::Failure;
use crate::store::{AuthStore, Confirmation, StoreError, Totp, User};
use crate::throttle::{LoginAttempt, Throttle, ThrottleError};
use sealed::SealingKeys;

/// How many recovery codes a confirmation gives.
pub const RECOVERY_CODES: usize = 10;

/// The second-factor service, shared by every worker.
pub struct Mfa {
    /// The tables.
    pub store: Arc<dyn AuthStore>,
    /// Seals secrets, keys recovery codes.
    pub keys: Arc<SealingKeys>,
    /// Failed-code limits (the login throttle's settings).
    pub throttle: Throttle,
    /// What authenticator apps show the account under.
    pub issuer: String,
    /// Where "now" comes from.
    pub clock: Clock,
}

/// A new authenticator, to show the user once.
#[derive(Debug)]
pub struct Enrolment {
    /// The secret, base32 (typed by hand when a QR code cannot be read).
    pub secret: String,
    /// The `otpauth://` URI (what the QR code holds).
    pub otpauth_uri: String,
}

/// Why a second-factor step was refused.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// The password was right; the account has a second factor and no
    /// code came with it.
    #[error("this account has a second factor: send its code as `otp` with the password")]
    Required,
    /// A confirmed authenticator is on: turn it off first.
    #[error("a second factor is already on; turn it off first to enrol another")]
    AlreadyOn,
    /// Nothing to confirm or turn off.
    #[error("{0}")]
    NotEnrolled(&'static str),
    /// The code is wrong, or spent.
    #[error("the code is wrong or was already used")]
    WrongCode,
    /// Too many wrong codes.
    #[error("too many wrong codes; try again in {retry_after_seconds} seconds")]
    Throttled {
        /// At least 1.
        retry_after_seconds: u64,
    },
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for MfaError {
    fn from(error: StoreError) -> Self {
        Self::Failed(error.into())
    }
}

impl From<ThrottleError> for MfaError {
    fn from(error: ThrottleError) -> Self {
        match error {
            ThrottleError::Throttled {
                retry_after_seconds,
            } => Self::Throttled {
                retry_after_seconds,
            },
            ThrottleError::Store(e) => e.into(),
        }
    }
}

/// What a code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// A TOTP code.
    Totp,
    /// A recovery code, now spent.
    RecoveryCode,
}

impl Mfa {
    /// Whether `user_id` has a confirmed authenticator (and so must give a
    /// code at every sign-in).
    pub async fn is_on(&self, user_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .store
            .find_totp(user_id)
            .await?
            .is_some_and(|totp| totp.confirmed_at.is_some()))
    }

    /// A new, unconfirmed authenticator for `user` (replacing an unconfirmed
    /// one).
    pub async fn enrol(&self, user: &User) -> Result<Enrolment, MfaError> {
        let mut secret = [0u8; totp::SECRET_BYTES];
        OsRng.fill_bytes(&mut secret);
        let sealed = self.keys.seal(&user.id, &secret);
        if !self
            .store
            .put_unconfirmed_totp(&user.id, &sealed, self.clock.now_ms())
            .await?
        {
            return Err(MfaError::AlreadyOn);
        }
        Ok(Enrolment {
            secret: totp::base32(&secret),
            otpauth_uri: totp::otpauth_uri(&self.issuer, &user.username, &secret),
        })
    }

    /// Turns the unconfirmed authenticator on with one of its codes; the
    /// new recovery codes. Every session of the user but `keep_session`
    /// ends.
    pub async fn confirm(
        &self,
        user: &User,
        code: &str,
        keep_session: Option<&str>,
        actor: &Actor,
    ) -> Result<Vec<String>, MfaError> {
        let (attempt, totp) = self.authenticator(user, false, actor).await?;
        let Some((step, _)) = self.totp_match(user, &totp.sealed_secret, code, None) else {
            return Err(self.failed(user, &attempt, actor).await);
        };
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let mut random = [0u8; 10];
                OsRng.fill_bytes(&mut random);
                totp::recovery_code(&random)
            })
            .collect();
        let hashes: Vec<Vec<u8>> = codes.iter().map(|c| self.keys.code_hash(c)).collect();
        let now = self.clock.now_ms();
        let confirmation = Confirmation {
            step: i64::try_from(step).unwrap_or(i64::MAX),
            code_hashes: &hashes,
            keep_session,
        };
        let event = actor.event(audit::MFA_ENABLED, now).user(&user.id);
        if !self
            .store
            .confirm_totp(&user.id, &confirmation, now, &event)
            .await?
        {
            return Err(MfaError::WrongCode);
        }
        self.throttle
            .succeeded(self.store.as_ref(), &attempt)
            .await?;
        Ok(codes)
    }

    /// Checks a second factor of `user` at sign-in: a TOTP code of the
    /// confirmed authenticator or an unused recovery code, either spent by
    /// its use; throttled.
    pub async fn verify(
        &self,
        user: &User,
        code: &str,
        actor: &Actor,
    ) -> Result<Accepted, MfaError> {
        let (attempt, totp) = self.authenticator(user, true, actor).await?;
        self.accept(user, &attempt, &totp, code, actor).await
    }

    /// `code` against `totp`, `user`'s confirmed authenticator, and their
    /// recovery codes, spending what it matches; counted in `attempt`.
    async fn accept(
        &self,
        user: &User,
        attempt: &LoginAttempt,
        totp: &Totp,
        code: &str,
        actor: &Actor,
    ) -> Result<Accepted, MfaError> {
        let last = totp.last_step.and_then(|step| u64::try_from(step).ok());
        if let Some((step, resealed)) = self.totp_match(user, &totp.sealed_secret, code, last) {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            if self
                .store
                .spend_totp_step(&user.id, step, resealed.as_deref())
                .await?
            {
                self.throttle
                    .succeeded(self.store.as_ref(), attempt)
                    .await?;
                return Ok(Accepted::Totp);
            }
        } else if let Some(code) = totp::normalized_recovery_code(code) {
            let now = self.clock.now_ms();
            let event = actor.event(audit::RECOVERY_CODE_USED, now).user(&user.id);
            if self
                .store
                .spend_recovery_code(&user.id, &self.keys.code_hashes(&code), now, &event)
                .await?
            {
                self.throttle
                    .succeeded(self.store.as_ref(), attempt)
                    .await?;
                return Ok(Accepted::RecoveryCode);
            }
        }
        Err(self.failed(user, attempt, actor).await)
    }

    /// The factors of a sign-in whose password was right: the password
    /// alone when `user` has no second factor (a code is not asked for),
    /// else the password and `otp`, which must be a right code.
    pub async fn after_password(
        &self,
        user: &User,
        otp: Option<&str>,
        actor: &Actor,
    ) -> Result<Factors, MfaError> {
        // One read of the authenticator serves the question and the check.
        let confirmed = self.store.find_totp(&user.id).await?;
        let Some(totp) = confirmed.filter(|totp| totp.confirmed_at.is_some()) else {
            return Ok(Factors::Password);
        };
        let otp = otp
            .filter(|otp| !otp.trim().is_empty())
            .ok_or(MfaError::Required)?;
        let attempt = self.checked_attempt(user, actor).await?;
        self.accept(user, &attempt, &totp, otp, actor).await?;
        Ok(Factors::PasswordAndCode)
    }

    /// Turns the second factor off, with a code of it.
    pub async fn disable(&self, user: &User, code: &str, actor: &Actor) -> Result<(), MfaError> {
        self.verify(user, code, actor).await?;
        let now = self.clock.now_ms();
        let event = actor.event(audit::MFA_DISABLED, now).user(&user.id);
        self.store.delete_mfa(&user.id, false, now, &event).await?;
        Ok(())
    }

    /// An administrator's reset: the second factor goes, and every session
    /// of the user ends (whoever holds the lost device is signed out);
    /// whether there was one.
    pub async fn reset(&self, user_id: &str, actor: &Actor) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let event = actor.event(audit::MFA_RESET, now).user(user_id);
        self.store.delete_mfa(user_id, true, now, &event).await
    }

    /// The step of `code` under the sealed secret, if it matches one after
    /// `last`, and the secret sealed again when its key is an old one.
    fn totp_match(
        &self,
        user: &User,
        sealed: &[u8],
        code: &str,
        last: Option<u64>,
    ) -> Option<(u64, Option<Vec<u8>>)> {
        let Some((secret, old_key)) = self.keys.open(&user.id, sealed) else {
            tracing::error!(user_id = %user.id, "a TOTP secret does not open with the MFA keys");
            return None;
        };
        let step = totp::matching_step(&secret, code, self.clock.now_seconds(), last)?;
        Some((step, old_key.then(|| self.keys.seal(&user.id, &secret))))
    }

    /// [`Self::checked_attempt`], and the user's authenticator, confirmed
    /// or waiting for confirmation as `confirmed` says.
    async fn authenticator(
        &self,
        user: &User,
        confirmed: bool,
        actor: &Actor,
    ) -> Result<(LoginAttempt, Totp), MfaError> {
        let attempt = self.checked_attempt(user, actor).await?;
        let totp = self
            .store
            .find_totp(&user.id)
            .await?
            .filter(|totp| totp.confirmed_at.is_some() == confirmed)
            .ok_or(MfaError::NotEnrolled(match confirmed {
                true => "no second factor is on",
                false => "no authenticator waits for confirmation: enrol first",
            }))?;
        Ok((attempt, totp))
    }

    /// The throttle's count of `user`'s codes from the actor's address,
    /// once it allows another try.
    async fn checked_attempt(&self, user: &User, actor: &Actor) -> Result<LoginAttempt, MfaError> {
        let address = actor.address.as_deref().unwrap_or_default();
        let attempt = LoginAttempt::second_factor(&user.id, address);
        self.throttle
            .check(self.store.as_ref(), &attempt, self.clock.now_ms())
            .await?;
        Ok(attempt)
    }

    /// Counts a wrong code; the error to answer.
    async fn failed(&self, user: &User, attempt: &LoginAttempt, actor: &Actor) -> MfaError {
        let event = actor
            .event(audit::MFA_FAILED, self.clock.now_ms())
            .user(&user.id);
        match self
            .throttle
            .failed(self.store.as_ref(), attempt, self.clock.now_ms(), &event)
            .await
        {
            Ok(()) => MfaError::WrongCode,
            Err(e) => e.into(),
        }
    }
}
