//! Mail off the request path: a bounded queue drained by one task, which
//! retries with backoff. Failures are logged (never the message: it holds a
//! link) and counted; nobody who asked for a link waits for, or learns of,
//! the SMTP server.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use tokio::sync::mpsc;

use crate::settings::MailSettings;

/// Mails waiting beyond this are dropped (and counted): a server down for
/// long must not hold the service's memory.
const QUEUE: usize = 1000;

/// One mail to send.
#[derive(Debug)]
pub struct Outgoing {
    /// The recipient's address (checked when it was given).
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain text body.
    pub text: String,
}

/// Hands mail to the sending task.
#[derive(Debug, Clone)]
pub struct Mailer {
    queue: mpsc::Sender<Outgoing>,
}

impl Mailer {
    /// The mailer the settings ask for, its task started; `None` while
    /// mail is off.
    pub fn start(settings: &MailSettings) -> anyhow::Result<Option<Self>> {
        let Some(url) = settings.smtp_url() else {
            return Ok(None);
        };
        let from: Mailbox = settings
            .from
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("AUTH__MAIL__SMTP_URL is set: set AUTH__MAIL__FROM"))?
            .parse()
            .map_err(|e| anyhow::anyhow!("AUTH__MAIL__FROM: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&with_starttls(url)?)
            .map_err(|e| anyhow::anyhow!("AUTH__MAIL__SMTP_URL: {e}"))?
            .timeout(Some(Duration::from_secs(settings.timeout_seconds)))
            .build();
        let (queue, mut waiting) = mpsc::channel::<Outgoing>(QUEUE);
        let retries = settings.retries;
        tokio::spawn(async move {
            while let Some(mail) = waiting.recv().await {
                deliver(&transport, &from, mail, retries).await;
            }
        });
        Ok(Some(Self { queue }))
    }

    /// Queues `mail`; never waits.
    pub fn send(&self, mail: Outgoing) {
        if self.queue.try_send(mail).is_err() {
            crate::metrics::MAILS_FAILED.inc();
            tracing::warn!("the mail queue is full: a mail was dropped");
        }
    }
}

/// `smtp://` URLs use STARTTLS where the server offers it, unless they say
/// otherwise (`?tls=required`); lettre's own default for them is never.
fn with_starttls(url: &str) -> anyhow::Result<String> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| anyhow::anyhow!("AUTH__MAIL__SMTP_URL: {e}"))?;
    if parsed.scheme() == "smtp" && !parsed.query_pairs().any(|(name, _)| name == "tls") {
        parsed.query_pairs_mut().append_pair("tls", "opportunistic");
    }
    Ok(parsed.into())
}

/// Sends `mail`, trying again after 1, 2, 4, ... seconds, `retries` times
/// at most; a permanent refusal (5xx) is not tried again.
async fn deliver(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    mail: Outgoing,
    retries: u32,
) {
    let message = match mail.to.parse::<Mailbox>().map(|to| {
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text)
    }) {
        Ok(Ok(message)) => message,
        Ok(Err(error)) => return given_up(&format!("the message could not be built: {error}")),
        Err(error) => return given_up(&format!("the recipient's address: {error}")),
    };
    for attempt in 0..=retries {
        match transport.send(message.clone()).await {
            Ok(_) => {
                crate::metrics::MAILS_SENT.inc();
                tracing::info!(subject = mail.subject, "mail sent");
                return;
            }
            Err(error) if error.is_permanent() || attempt == retries => {
                return given_up(&error.to_string());
            }
            Err(error) => {
                tracing::warn!(attempt = attempt + 1, %error, "sending a mail failed; trying again");
                tokio::time::sleep(Duration::from_secs(1 << attempt.min(6))).await;
            }
        }
    }
}

fn given_up(error: &str) {
    crate::metrics::MAILS_FAILED.inc();
    tracing::error!(error, "a mail could not be sent");
}

#[cfg(test)]
mod tests {
    use super::with_starttls;

    #[test]
    fn smtp_urls_start_tls_where_offered_unless_they_say_otherwise() {
        let url = |raw| with_starttls(raw).expect("valid");
        assert_eq!(
            url("smtp://mail.example.com:587"),
            "smtp://mail.example.com:587?tls=opportunistic"
        );
        assert_eq!(
            url("smtp://u:p%40ss@mail.example.com?tls=required"),
            "smtp://u:p%40ss@mail.example.com?tls=required"
        );
        assert_eq!(url("smtps://mail.example.com"), "smtps://mail.example.com");
        assert!(with_starttls("not a url").is_err());
    }
}
