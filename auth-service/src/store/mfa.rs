//! The `mfa_totp`, `recovery_codes` and `sign_in_challenges` tables. Every
//! use of a code is one conditional write, so two replicas handed the same
//! code accept it once.

use async_trait::async_trait;
use sqlx::Row as _;

use super::sql::{commit_event, decode_one, failed, revoke_user_families};
use super::{SqlAuthStore, StoreError};
use crate::audit::NewEvent;

/// A user's TOTP authenticator as stored.
#[derive(Debug, Clone)]
pub struct Totp {
    /// The secret, sealed (`mfa::sealed`).
    pub sealed_secret: Vec<u8>,
    /// When a code confirmed it; `None`: enrolled, not yet in use.
    pub confirmed_at: Option<i64>,
    /// The last 30-second step whose code was accepted.
    pub last_step: Option<i64>,
}

/// Turning a confirmed authenticator on: the step its code spent, the
/// recovery codes' hashes, and the one session to keep (the caller's).
#[derive(Debug)]
pub struct Confirmation<'a> {
    /// The step of the confirming code.
    pub step: i64,
    /// The new recovery codes' hashes (the old ones go).
    pub code_hashes: &'a [Vec<u8>],
    /// The session that confirmed, kept when the others end.
    pub keep_session: Option<&'a str>,
}

/// Second factors.
#[async_trait]
pub trait MfaStore: Send + Sync + 'static {
    /// The user's authenticator, confirmed or not.
    async fn find_totp(&self, user_id: &str) -> Result<Option<Totp>, StoreError>;

    /// Stores an unconfirmed authenticator, replacing an unconfirmed one;
    /// false (nothing written) when a confirmed one exists.
    async fn put_unconfirmed_totp(
        &self,
        user_id: &str,
        sealed_secret: &[u8],
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Confirms the unconfirmed authenticator with a code of `step`, sets
    /// the recovery codes, and ends every other session of the user (a
    /// password alone signed them in), with `event`; false when there was
    /// none to confirm or the step was spent.
    async fn confirm_totp(
        &self,
        user_id: &str,
        confirmation: &Confirmation<'_>,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Spends `step` of a confirmed authenticator: true once per step and
    /// only for a step after the last one spent. `resealed`: the secret
    /// sealed again with the current key, stored with it.
    async fn spend_totp_step(
        &self,
        user_id: &str,
        step: i64,
        resealed: Option<&[u8]>,
    ) -> Result<bool, StoreError>;

    /// Spends the unused recovery code stored under one of `hashes`, with
    /// `event`; whether there was one.
    async fn spend_recovery_code(
        &self,
        user_id: &str,
        hashes: &[Vec<u8>],
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// How many unused recovery codes the user has.
    async fn recovery_codes_left(&self, user_id: &str) -> Result<u64, StoreError>;

    /// Removes the user's authenticator and recovery codes, with `event`,
    /// ending every session too when `end_sessions`; whether there was one.
    async fn delete_mfa(
        &self,
        user_id: &str,
        end_sessions: bool,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Stores a sign-in challenge (a password accepted, a code awaited).
    async fn insert_challenge(
        &self,
        id_hash: &[u8],
        user_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;

    /// The user of a live challenge.
    async fn challenge_user(&self, id_hash: &[u8], now: i64) -> Result<Option<String>, StoreError>;

    /// Ends a challenge; whether it was there (of racing calls, one).
    async fn end_challenge(&self, id_hash: &[u8]) -> Result<bool, StoreError>;
}

#[async_trait]
impl MfaStore for SqlAuthStore {
    async fn find_totp(&self, user_id: &str) -> Result<Option<Totp>, StoreError> {
        let row = sqlx::query(
            "SELECT sealed_secret, confirmed_at, last_step FROM mfa_totp WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(failed("finding an authenticator"))?;
        decode_one(
            row.as_ref(),
            |row| {
                Ok(Totp {
                    sealed_secret: row.try_get("sealed_secret")?,
                    confirmed_at: row.try_get("confirmed_at")?,
                    last_step: row.try_get("last_step")?,
                })
            },
            "decoding an authenticator",
        )
    }

    async fn put_unconfirmed_totp(
        &self,
        user_id: &str,
        sealed_secret: &[u8],
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting an enrolment").await?;
        sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NULL")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("replacing an unconfirmed authenticator"))?;
        // A confirmed one keeps its row: the insert finds the key taken.
        let inserted = sqlx::query(
            "INSERT INTO mfa_totp (user_id, sealed_secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(sealed_secret)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("storing an authenticator"))?
        .rows_affected()
            == 1;
        tx.commit()
            .await
            .map_err(failed("committing an enrolment"))?;
        Ok(inserted)
    }

    async fn confirm_totp(
        &self,
        user_id: &str,
        confirmation: &Confirmation<'_>,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a confirmation").await?;
        let confirmed = sqlx::query(
            "UPDATE mfa_totp SET confirmed_at = $2, last_step = $3 \
             WHERE user_id = $1 AND confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .bind(confirmation.step)
        .execute(&mut *tx)
        .await
        .map_err(failed("confirming an authenticator"))?
        .rows_affected()
            == 1;
        if !confirmed {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("replacing recovery codes"))?;
        for hash in confirmation.code_hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await
                .map_err(failed("storing a recovery code"))?;
        }
        // Whoever signed in with the password alone is signed out.
        let kept = confirmation.keep_session.unwrap_or("");
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $2 \
             WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3",
        )
        .bind(user_id)
        .bind(now)
        .bind(kept)
        .execute(&mut *tx)
        .await
        .map_err(failed("ending the other sessions"))?;
        sqlx::query(
            "UPDATE browser_sessions SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("ending the browser sessions"))?;
        commit_event(tx, event, "committing a confirmation").await?;
        Ok(true)
    }

    async fn spend_totp_step(
        &self,
        user_id: &str,
        step: i64,
        resealed: Option<&[u8]>,
    ) -> Result<bool, StoreError> {
        let statement = sqlx::query(
            "UPDATE mfa_totp SET last_step = $2, sealed_secret = COALESCE($3, sealed_secret) \
             WHERE user_id = $1 AND confirmed_at IS NOT NULL \
             AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .bind(resealed);
        Ok(self.write_one(statement, "spending a code").await? == 1)
    }

    async fn spend_recovery_code(
        &self,
        user_id: &str,
        hashes: &[Vec<u8>],
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a recovery code").await?;
        for hash in hashes {
            let spent = sqlx::query(
                "UPDATE recovery_codes SET used_at = $3 \
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(failed("spending a recovery code"))?
            .rows_affected()
                == 1;
            if spent {
                commit_event(tx, event, "committing a recovery code").await?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<u64, StoreError> {
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.db.pool)
        .await
        .map_err(failed("counting recovery codes"))?;
        Ok(u64::try_from(left).unwrap_or(0))
    }

    async fn delete_mfa(
        &self,
        user_id: &str,
        end_sessions: bool,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting an MFA removal").await?;
        let deleted = sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("removing an authenticator"))?
            .rows_affected()
            > 0;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("removing recovery codes"))?;
        if !deleted {
            return Ok(false);
        }
        if end_sessions {
            revoke_user_families(&mut tx, user_id, now).await?;
        }
        commit_event(tx, event, "committing an MFA removal").await?;
        Ok(true)
    }

    async fn insert_challenge(
        &self,
        id_hash: &[u8],
        user_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let statement = sqlx::query(
            "INSERT INTO sign_in_challenges (id_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(expires_at);
        self.write_one(statement, "storing a sign-in challenge")
            .await
            .map(drop)
    }

    async fn challenge_user(&self, id_hash: &[u8], now: i64) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT user_id FROM sign_in_challenges WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.db.pool)
        .await
        .map_err(failed("finding a sign-in challenge"))
    }

    async fn end_challenge(&self, id_hash: &[u8]) -> Result<bool, StoreError> {
        let statement =
            sqlx::query("DELETE FROM sign_in_challenges WHERE id_hash = $1").bind(id_hash);
        Ok(self
            .write_one(statement, "ending a sign-in challenge")
            .await?
            == 1)
    }
}
