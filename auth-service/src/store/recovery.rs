//! The `link_tokens` table and the users' email columns: the links mailed
//! to users, and what following one changes. A link is spent by deleting
//! its row in the transaction of its change, so of two posts of one link
//! (at two replicas too) one changes anything.

use async_trait::async_trait;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::sql::{
    RESET_PASSWORD_LINK, Tx, commit_event, commit_events, decode_all, decode_one, failed,
    revoke_user_families, spend_reset_links,
};
use super::users::{USER_COLUMNS, user_from};
use super::{SqlAuthStore, StoreError, User};
use crate::audit::NewEvent;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Confirms the address it was sent to.
    VerifyEmail,
    /// Sets a new password.
    ResetPassword,
}

impl LinkPurpose {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => RESET_PASSWORD_LINK,
        }
    }
}

/// A link to store: its token's hash and what binds it.
#[derive(Debug, Clone)]
pub struct NewLink<'a> {
    /// SHA-256 of the token the link carries.
    pub id_hash: &'a [u8],
    /// What it is for.
    pub purpose: LinkPurpose,
    /// Whose it is.
    pub user_id: &'a str,
    /// The key of the address it was sent to.
    pub email_key: &'a str,
    /// When it stops working.
    pub expires_at: i64,
}

/// A live link, found: its user as they are now, when the link still
/// fits them (the same address on the account).
#[derive(Debug, Clone)]
pub struct Link {
    /// The user.
    pub user: User,
    /// The key of the address it was sent to.
    pub email_key: String,
}

/// The mailed links and the addresses they confirm.
#[async_trait]
pub trait RecoveryStore: Send + Sync + 'static {
    /// Stores a link, with its event if any.
    async fn insert_link(
        &self,
        link: &NewLink<'_>,
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError>;

    /// The live link with this hash and purpose whose user still has the
    /// address it was sent to; nothing is spent.
    async fn find_link(
        &self,
        id_hash: &[u8],
        purpose: LinkPurpose,
        now: i64,
    ) -> Result<Option<Link>, StoreError>;

    /// Spends a verification link and marks its address verified; the
    /// user, or `None` when the link is not live or the address changed.
    async fn verify_email(
        &self,
        id_hash: &[u8],
        now: i64,
        event: &NewEvent,
    ) -> Result<Option<String>, StoreError>;

    /// Spends a reset link of `user_id` and sets the password, at once: the
    /// user's other reset links go and every session ends. False (nothing
    /// changed) when the link is not live, or the user no longer has its
    /// verified address, or was disabled.
    async fn reset_password(
        &self,
        id_hash: &[u8],
        user_id: &str,
        password_hash: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// Sets (or with `None` removes) a user's address, unverified, and
    /// drops the links sent to the old one; whether the user exists.
    async fn set_email(
        &self,
        user_id: &str,
        email: Option<&str>,
        email_key: Option<&str>,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError>;

    /// The users whose address has this key.
    async fn find_by_email(&self, email_key: &str) -> Result<Vec<User>, StoreError>;
}

/// The user and address key of the live link with this hash and purpose.
fn live_link(
    id_hash: &[u8],
    purpose: LinkPurpose,
    now: i64,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(
        "SELECT user_id, email_key FROM link_tokens \
         WHERE id_hash = $1 AND purpose = $2 AND expires_at > $3",
    )
    .bind(id_hash)
    .bind(purpose.as_str())
    .bind(now)
}

fn link_from(row: &AnyRow) -> Result<(String, String), sqlx::Error> {
    Ok((row.try_get("user_id")?, row.try_get("email_key")?))
}

/// Deletes the live link with this hash and purpose; its user and address
/// key, when this call spent it.
async fn spend_link(
    tx: &mut Tx,
    id_hash: &[u8],
    purpose: LinkPurpose,
    now: i64,
) -> Result<Option<(String, String)>, StoreError> {
    let row = live_link(id_hash, purpose, now)
        .fetch_optional(&mut **tx)
        .await
        .map_err(failed("finding a link"))?;
    let Some((user_id, email_key)) = decode_one(row.as_ref(), link_from, "decoding a link")? else {
        return Ok(None);
    };
    // Racing posts of one link: one deletes it.
    let deleted = sqlx::query("DELETE FROM link_tokens WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut **tx)
        .await
        .map_err(failed("spending a link"))?;
    Ok((deleted.rows_affected() == 1).then_some((user_id, email_key)))
}

#[async_trait]
impl RecoveryStore for SqlAuthStore {
    async fn insert_link(
        &self,
        link: &NewLink<'_>,
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting to store a link").await?;
        sqlx::query(
            "INSERT INTO link_tokens (id_hash, purpose, user_id, email_key, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(link.id_hash)
        .bind(link.purpose.as_str())
        .bind(link.user_id)
        .bind(link.email_key)
        .bind(link.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(failed("storing a link"))?;
        commit_events(tx, event.cloned().as_slice(), "committing a link").await
    }

    async fn find_link(
        &self,
        id_hash: &[u8],
        purpose: LinkPurpose,
        now: i64,
    ) -> Result<Option<Link>, StoreError> {
        let row = live_link(id_hash, purpose, now)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a link"))?;
        let Some((user_id, email_key)) = decode_one(row.as_ref(), link_from, "decoding a link")?
        else {
            return Ok(None);
        };
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE id = $1 AND email_key = $2"))
            .bind(&user_id)
            .bind(&email_key)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(failed("finding a link's user"))?;
        let user = decode_one(row.as_ref(), user_from, "decoding a user")?;
        Ok(user.map(|user| Link { user, email_key }))
    }

    async fn verify_email(
        &self,
        id_hash: &[u8],
        now: i64,
        event: &NewEvent,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.begin("starting an address verification").await?;
        let Some((user_id, email_key)) =
            spend_link(&mut tx, id_hash, LinkPurpose::VerifyEmail, now).await?
        else {
            return Ok(None);
        };
        let verified = sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3) \
             WHERE id = $1 AND email_key = $2",
        )
        .bind(&user_id)
        .bind(&email_key)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(failed("verifying an address"))?;
        if verified.rows_affected() != 1 {
            // The address changed since: the link is spent, nothing verified.
            tx.commit()
                .await
                .map_err(failed("committing a spent link"))?;
            return Ok(None);
        }
        let mut event = event.clone();
        event.user_id = Some(user_id.clone());
        commit_event(tx, &event, "committing an address verification").await?;
        Ok(Some(user_id))
    }

    async fn reset_password(
        &self,
        id_hash: &[u8],
        user_id: &str,
        password_hash: &str,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting a password reset").await?;
        let spent = spend_link(&mut tx, id_hash, LinkPurpose::ResetPassword, now).await?;
        let Some((link_user, email_key)) = spent.filter(|(link_user, _)| link_user == user_id)
        else {
            return Ok(false);
        };
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $3, updated_at = $4 \
             WHERE id = $1 AND email_key = $2 AND email_verified_at IS NOT NULL \
               AND disabled_at IS NULL",
        )
        .bind(&link_user)
        .bind(&email_key)
        .bind(password_hash)
        .bind(shared::db::timestamp(now))
        .execute(&mut *tx)
        .await
        .map_err(failed("resetting a password"))?;
        if changed.rows_affected() != 1 {
            return Ok(false);
        }
        spend_reset_links(&mut tx, user_id).await?;
        revoke_user_families(&mut tx, user_id, now).await?;
        commit_event(tx, event, "committing a password reset").await?;
        Ok(true)
    }

    async fn set_email(
        &self,
        user_id: &str,
        email: Option<&str>,
        email_key: Option<&str>,
        now: i64,
        event: &NewEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting an address change").await?;
        let changed = sqlx::query(
            "UPDATE users SET email = $2, email_key = $3, email_verified_at = NULL, \
             updated_at = $4 WHERE id = $1",
        )
        .bind(user_id)
        .bind(email)
        .bind(email_key)
        .bind(shared::db::timestamp(now))
        .execute(&mut *tx)
        .await
        .map_err(failed("changing an address"))?;
        if changed.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM link_tokens WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(failed("dropping the links of an old address"))?;
        commit_event(tx, event, "committing an address change").await?;
        Ok(true)
    }

    async fn find_by_email(&self, email_key: &str) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!("{USER_COLUMNS} WHERE email_key = $1 LIMIT 10"))
            .bind(email_key)
            .fetch_all(&self.db.pool)
            .await
            .map_err(failed("finding users by address"))?;
        decode_all(&rows, user_from, "decoding users")
    }
}
