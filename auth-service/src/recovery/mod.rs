//! Account recovery by email: addresses and their verification, and
//! password reset. Returns domain errors; `routes` turns them into HTTP and
//! pages.
//!
//! Policy (api.md, "Account recovery"):
//! - A link carries 256 random bits; the table keeps their SHA-256, bound to
//!   the purpose, the user and the address it went to. It works once and
//!   not after it expires (verification 24 h, reset 30 min), after the
//!   address changes, or (a reset link) after any password change.
//! - A reset request answers the same, in the same time, whether or not
//!   anyone matches: the request path only counts it (throttled per named
//!   account or address, and per client address); looking the user up,
//!   storing the link and mailing it happen after the answer. Only an
//!   enabled user's verified address gets a link.
//! - A reset asks for the second factor of a user who has one, ends every
//!   session of the user, and spends their other reset links.

pub mod mail;

use std::sync::Arc;

use secrecy::SecretString;

use crate::accounts::{self, Accounts};
use crate::audit::{self, Actor, NewEvent};
use crate::domain::{EmailAddress, NewPassword, Username};
use crate::failure::Failure;
use crate::mfa::{Mfa, MfaError};
use crate::secret;
use crate::store::{Link, LinkPurpose, NewLink, StoreError, User};
use crate::throttle::{LoginAttempt, ThrottleError};
use mail::{Mailer, Outgoing};

/// How long a verification link works.
pub const VERIFY_LINK_SECONDS: i64 = 24 * 3600;
/// How long a reset link works.
pub const RESET_LINK_SECONDS: i64 = 30 * 60;
/// The hosted page a verification link opens.
pub const VERIFY_PATH: &str = "/v1/email/verify";
/// The hosted page a reset link opens.
pub const RESET_PATH: &str = "/v1/password-reset/new";

/// The recovery service, shared by every worker; present only while mail
/// is on.
pub struct Recovery {
    /// Users, the hasher and the throttle.
    pub accounts: Arc<Accounts>,
    /// Second factors, which a reset asks for.
    pub mfa: Arc<Mfa>,
    /// Where mail goes.
    pub mailer: Mailer,
    /// `AUTH__SERVER__PUBLIC_URL`, which links point at.
    pub public_url: String,
}

/// Who a reset request names.
#[derive(Debug, Clone)]
pub enum ResetFor {
    /// A user name.
    Username(String),
    /// An email address.
    Email(String),
    /// Either (the hosted form's one field).
    Either(String),
}

impl ResetFor {
    /// What the throttle counts the request under.
    fn target_key(&self) -> String {
        match self {
            Self::Username(name) => Username::key_of(name),
            Self::Email(address) | Self::Either(address) => EmailAddress::key_of(address),
        }
    }
}

/// Why a reset was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The link expired, was used, or no longer fits its user.
    #[error("the link has expired or was already used")]
    DeadLink,
    /// The new password is weak; why.
    #[error("the new password {0}")]
    WeakPassword(String),
    /// The second factor: missing, wrong, or throttled.
    #[error(transparent)]
    SecondFactor(MfaError),
    /// A failure below.
    #[error(transparent)]
    Failed(#[from] Failure),
}

impl From<StoreError> for ResetError {
    fn from(error: StoreError) -> Self {
        Self::Failed(error.into())
    }
}

impl Recovery {
    fn now(&self) -> i64 {
        self.accounts.clock.now_ms()
    }

    /// Takes a reset request: counted and throttled here, answered the
    /// same whoever it names; the link, if any, is made and mailed after.
    pub async fn request_reset(
        self: Arc<Self>,
        target: ResetFor,
        actor: Actor,
    ) -> Result<(), ThrottleError> {
        self.count_mail(&target.target_key(), &actor).await?;
        tokio::spawn(async move {
            if let Err(error) = self.send_reset_links(&target, &actor).await {
                tracing::error!(error = %format!("{:#}", error.0), "a password reset link was not made");
            }
        });
        Ok(())
    }

    /// Counts a mail to `target_key` (a name's or an address's key) asked
    /// for by `actor`, or refuses it past the throttle's limits: no mailbox
    /// gets more mail in a window than they allow, whoever asks, and an
    /// account that does not exist is counted alike.
    pub async fn count_mail(&self, target_key: &str, actor: &Actor) -> Result<(), ThrottleError> {
        let store = self.accounts.store.as_ref();
        let address = actor.address.as_deref().unwrap_or_default();
        let attempt = LoginAttempt::mail(target_key, address);
        let throttle = &self.accounts.throttle;
        throttle.check(store, &attempt, self.now()).await?;
        Ok(throttle.count(store, &attempt, self.now(), None).await?)
    }

    /// Mails a reset link to each enabled user the request names who has
    /// a verified address.
    async fn send_reset_links(&self, target: &ResetFor, actor: &Actor) -> Result<(), StoreError> {
        let store = self.accounts.store.as_ref();
        let mut users = Vec::new();
        if let ResetFor::Username(name) | ResetFor::Either(name) = target {
            users.extend(accounts::find_by_name(store, name).await?);
        }
        if let ResetFor::Email(address) | ResetFor::Either(address) = target {
            for user in store.find_by_email(&EmailAddress::key_of(address)).await? {
                if users.iter().all(|known| known.id != user.id) {
                    users.push(user);
                }
            }
        }
        let by = match target {
            ResetFor::Username(_) => "username",
            ResetFor::Email(_) => "email",
            ResetFor::Either(_) => "page",
        };
        let mut mailed = 0;
        for user in users {
            let Some(email) = user.email.as_deref().filter(|_| user.email_verified()) else {
                continue;
            };
            if user.disabled_at.is_some() {
                continue;
            }
            let event = actor
                .event(audit::PASSWORD_RESET_REQUESTED, self.now())
                .user(&user.id)
                .detail(serde_json::json!({ "by": by }));
            let token = self
                .new_link(&user, email, LinkPurpose::ResetPassword, Some(&event))
                .await?;
            self.mailer.send(reset_mail(
                email,
                &user.username,
                &self.link(RESET_PATH, &token),
            ));
            mailed += 1;
        }
        tracing::info!(mailed, "password reset request handled");
        Ok(())
    }

    /// Stores a link of `purpose` for `user` at `email`; its token.
    async fn new_link(
        &self,
        user: &User,
        email: &str,
        purpose: LinkPurpose,
        event: Option<&NewEvent>,
    ) -> Result<String, StoreError> {
        let token = secret::random(32);
        let lifetime = match purpose {
            LinkPurpose::VerifyEmail => VERIFY_LINK_SECONDS,
            LinkPurpose::ResetPassword => RESET_LINK_SECONDS,
        };
        let link = NewLink {
            id_hash: &secret::stored_hash(&token),
            purpose,
            user_id: &user.id,
            email_key: &EmailAddress::key_of(email),
            expires_at: self.now().saturating_add(lifetime * 1000),
        };
        self.accounts.store.insert_link(&link, event).await?;
        Ok(token)
    }

    fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.public_url)
    }

    /// Mails `user` a link that verifies their (unverified) address, after
    /// the answer.
    pub fn send_verification(self: Arc<Self>, user: User) {
        let Some(email) = user.email.clone().filter(|_| !user.email_verified()) else {
            return;
        };
        tokio::spawn(async move {
            match self
                .new_link(&user, &email, LinkPurpose::VerifyEmail, None)
                .await
            {
                Ok(token) => self.mailer.send(verify_mail(
                    &email,
                    &user.username,
                    &self.link(VERIFY_PATH, &token),
                )),
                Err(error) => {
                    tracing::error!(error = %format!("{:#}", error.0), "a verification link was not made")
                }
            }
        });
    }

    /// The live link `token` of `purpose`, with its user as they are now.
    pub async fn link_of(
        &self,
        token: &str,
        purpose: LinkPurpose,
    ) -> Result<Option<Link>, StoreError> {
        let link = self
            .accounts
            .store
            .find_link(&secret::stored_hash(token), purpose, self.now())
            .await?;
        // A reset goes to an enabled user's verified address only.
        Ok(link.filter(|link| {
            purpose == LinkPurpose::VerifyEmail
                || (link.user.email_verified() && link.user.disabled_at.is_none())
        }))
    }

    /// Follows a verification link; whether it verified an address.
    pub async fn verify_email(&self, token: &str, actor: &Actor) -> Result<bool, StoreError> {
        let event = actor.event(audit::EMAIL_VERIFIED, self.now());
        let verified = self
            .accounts
            .store
            .verify_email(&secret::stored_hash(token), self.now(), &event)
            .await?;
        Ok(verified.is_some())
    }

    /// Sets a new password through the reset link `token` ([`Self::link_of`]
    /// found it as `link`): the password checked by the registration rules,
    /// then the second factor of a user who has one, then the link spent
    /// with the change.
    pub async fn reset_password(
        &self,
        token: &str,
        link: &Link,
        new_password: SecretString,
        otp: Option<&str>,
        actor: &Actor,
    ) -> Result<(), ResetError> {
        let user = &link.user;
        let password =
            NewPassword::parse(new_password, &user.username).map_err(ResetError::WeakPassword)?;
        self.mfa
            .after_password(user, otp, actor)
            .await
            .map_err(ResetError::SecondFactor)?;
        let hash = self
            .accounts
            .hasher
            .hash(password.into_secret())
            .await
            .map_err(Failure::from)?;
        let now = self.now();
        let event = actor.event(audit::PASSWORD_RESET, now).user(&user.id);
        if !self
            .accounts
            .store
            .reset_password(&secret::stored_hash(token), &user.id, &hash, now, &event)
            .await?
        {
            return Err(ResetError::DeadLink);
        }
        Ok(())
    }

    /// Sets or removes the caller's address (unverified until its link is
    /// followed, which is mailed; the mail counted as [`Self::count_mail`]
    /// says); the user after, or `None` when deleted. The same address,
    /// already verified, changes nothing.
    pub async fn change_email(
        self: Arc<Self>,
        user_id: &str,
        email: Option<&EmailAddress>,
        actor: &Actor,
    ) -> Result<Option<User>, ThrottleError> {
        let store = self.accounts.store.as_ref();
        let Some(user) = store.find_by_id(user_id).await? else {
            return Ok(None);
        };
        let key = email.map(EmailAddress::key);
        let same = user.email.as_deref().map(EmailAddress::key_of) == key;
        if same && (email.is_none() || user.email_verified()) {
            return Ok(Some(user));
        }
        if let Some(key) = &key {
            self.count_mail(key, actor).await?;
        }
        let user = if same {
            user
        } else {
            let event = actor
                .event(audit::EMAIL_CHANGED, self.now())
                .user(user_id)
                .detail(serde_json::json!({ "removed": email.is_none() }));
            let address = email.map(EmailAddress::as_str);
            if !store
                .set_email(user_id, address, key.as_deref(), self.now(), &event)
                .await?
            {
                return Ok(None);
            }
            User {
                email: address.map(str::to_owned),
                email_verified_at: None,
                ..user
            }
        };
        self.clone().send_verification(user.clone());
        Ok(Some(user))
    }
}

fn verify_mail(to: &str, username: &str, link: &str) -> Outgoing {
    Outgoing {
        to: to.to_owned(),
        subject: "Confirm your email address".to_owned(),
        text: format!(
            "Hello {username},\n\n\
             To confirm that this address is yours, open this link within 24 hours:\n\n\
             {link}\n\n\
             Once confirmed, you can reset your password through this address if you forget it.\n\n\
             If you did not give this address, ignore this mail: nothing changes until the link \
             is opened.\n"
        ),
    }
}

fn reset_mail(to: &str, username: &str, link: &str) -> Outgoing {
    Outgoing {
        to: to.to_owned(),
        subject: "Reset your password".to_owned(),
        text: format!(
            "Hello {username},\n\n\
             Someone asked to reset the password of your account. To choose a new one, open \
             this link within 30 minutes:\n\n\
             {link}\n\n\
             The link works once. Setting a new password signs you out everywhere.\n\n\
             If it was not you, ignore this mail: your password stays as it is.\n"
        ),
    }
}
