//! Mail: rendering from templates a workspace may override, and delivery of
//! one message at a time. Which messages, and what happens after a failure
//! (retry, backoff, dead letter), is the outbox use case's business
//! (`app::outbox`): this module never sees the store.

pub mod templates;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, MailTransport};
use crate::domain::mail::Outgoing;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("[mail] from `{0}` is not an address such as `dtap <dtap@example.org>`")]
    From(String),
    #[error("[mail] smtp_url is not usable: {0}")]
    SmtpUrl(String),
}

/// How one delivery attempt ended.
#[derive(Debug)]
pub enum Failure {
    /// Try again later (4xx, connection refused, timeouts).
    Temporary(String),
    /// Never going to work (5xx, invalid address).
    Permanent(String),
}

#[derive(Clone)]
enum Transport {
    File(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Delivers rendered mails. Cheap to clone; the SMTP transport pools connections.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::File(_) => "file",
            Transport::Smtp(_) => "smtp",
        };
        f.debug_struct("Mailer")
            .field("transport", &kind)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    pub fn from_config(config: &Config, workspace: &std::path::Path) -> Result<Mailer, MailError> {
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .map_err(|_| MailError::From(config.mail.from.clone()))?;
        let transport = match config.mail.transport {
            MailTransport::File => Transport::File(config.mail_dir(workspace)),
            MailTransport::Smtp => {
                let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.mail.smtp_url.expose())
                    // The URL may hold a password: say what is wrong without it.
                    .map_err(|e| MailError::SmtpUrl(format!("{e} (in {})", config.mail.smtp_url.redacted())))?
                    .pool_config(PoolConfig::new().max_size(8))
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Transport::Smtp(smtp)
            }
        };
        Ok(Mailer { transport, from })
    }

    /// A mailer without pooling: one connection per mail (benchmark baseline).
    pub fn unpooled(&self, config: &Config) -> Result<Mailer, MailError> {
        let mut m = self.clone();
        if let Transport::Smtp(_) = m.transport {
            let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.mail.smtp_url.expose())
                .map_err(|e| MailError::SmtpUrl(format!("{e} (in {})", config.mail.smtp_url.redacted())))?
                .pool_config(PoolConfig::new().max_size(1).idle_timeout(Duration::ZERO))
                .build();
            m.transport = Transport::Smtp(smtp);
        }
        Ok(m)
    }

    fn message(&self, mail: &Outgoing) -> Result<Message, Failure> {
        // Every header value is one line: a line break would start a header
        // (or the body) of someone else's choosing.
        let values = [&mail.subject, &mail.message_id].into_iter().chain(&mail.recipients);
        if let Some(bad) = values.into_iter().find(|v| !header_value_ok(v)) {
            return Err(Failure::Permanent(format!(
                "a header value holds a line break or control character: {:?}",
                bad.chars().take(80).collect::<String>()
            )));
        }
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()));
        let mut any = false;
        for r in &mail.recipients {
            let mb: Mailbox = r
                .parse()
                .map_err(|_| Failure::Permanent(format!("`{r}` is not a mail address")))?;
            b = b.to(mb);
            any = true;
        }
        if !any {
            return Err(Failure::Permanent("no recipients".into()));
        }
        b.header(header::MIME_VERSION_1_0)
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))
    }

    /// One delivery attempt of one mail.
    pub async fn deliver(&self, mail: &Outgoing) -> Result<(), Failure> {
        let message = self.message(mail)?;
        match &self.transport {
            Transport::File(dir) => {
                let name: String = mail
                    .message_id
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '@' || *c == '.')
                    .collect();
                let path = dir.join(format!("{name}.eml"));
                let bytes = message.formatted();
                let dir = dir.clone();
                // Named after the Message-ID and renamed into place: a retry after a crash
                // rewrites the same file, never a second mail.
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = path.with_extension("tmp");
                    std::fs::write(&tmp, &bytes)?;
                    std::fs::rename(&tmp, &path)
                })
                .await
                .map_err(|e| Failure::Temporary(e.to_string()))?
                .map_err(|e| Failure::Temporary(format!("cannot write the mail file: {e}")))
            }
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
                Err(e) => Err(Failure::Temporary(e.to_string())),
            },
        }
    }
}

/// A header value dtap may send: no line break, no other control character.
pub fn header_value_ok(value: &str) -> bool {
    !value.chars().any(char::is_control)
}

#[cfg(test)]
mod header_tests {
    use super::header_value_ok;

    #[test]
    fn header_values_are_one_line() {
        assert!(header_value_ok(
            "Graag testen: RFC-7 in Acceptatie: Weekly sales button"
        ));
        for bad in ["a\r\nBcc: x@example.org", "a\nb", "a\rb", "a\u{0}b", "a\tb"] {
            assert!(!header_value_ok(bad), "{bad:?}");
        }
    }
}
