//! Mail: rendering from templates a workspace may override, and delivery of
//! the outbox with retries, backoff and dead letters.

pub mod templates;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::config::{Config, MailTransport};
use crate::domain::duration;
use crate::store::Store;
use crate::store::outbox::OutboxRow;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("[mail] from `{0}` is not an address such as `dtap <dtap@example.org>`")]
    From(String),
    #[error("[mail] smtp_url is not usable: {0}")]
    SmtpUrl(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    NoRandomness(#[from] crate::random::NoRandomness),
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

/// Delivers outbox rows. Cheap to clone; the SMTP transport pools connections.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    give_up_after: Duration,
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

#[derive(Debug, Default, Clone, Serialize)]
pub struct FlushReport {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

impl Mailer {
    pub fn from_config(config: &Config, workspace: &std::path::Path) -> Result<Mailer, MailError> {
        let from: Mailbox = config
            .mail
            .from
            .parse()
            .map_err(|_| MailError::From(config.mail.from.clone()))?;
        let give_up_after = config.mail.give_up_after;
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
        Ok(Mailer {
            transport,
            from,
            give_up_after,
        })
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

    fn message(&self, row: &OutboxRow) -> Result<Message, Failure> {
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()));
        let mut any = false;
        for r in row.recipient_list() {
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
            .multipart(MultiPart::alternative_plain_html(
                row.text_body.clone(),
                row.html_body.clone(),
            ))
            .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))
    }

    /// One delivery attempt of one row.
    pub async fn deliver(&self, row: &OutboxRow) -> Result<(), Failure> {
        let message = self.message(row)?;
        match &self.transport {
            Transport::File(dir) => {
                let name: String = row
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

    /// Delivers every due row once: sends, schedules retries with exponential
    /// backoff and jitter, and gives up on permanent failures and on rows
    /// failing longer than `[mail] give_up_after`.
    pub async fn flush(&self, store: &Store, worker: &str, batch: i64) -> Result<FlushReport, MailError> {
        let mut report = FlushReport::default();
        loop {
            let until = rfc3339(now() + time::Duration::seconds(120));
            let rows = store.claim_mail(worker, &until, batch).await?;
            if rows.is_empty() {
                return Ok(report);
            }
            // Deliver the batch concurrently over the pool's connections.
            let mut set = tokio::task::JoinSet::new();
            for (i, row) in rows.iter().enumerate() {
                let (mailer, row) = (self.clone(), row.clone());
                set.spawn(async move { (i, mailer.deliver(&row).await) });
            }
            let mut results: Vec<Option<Result<(), Failure>>> = (0..rows.len()).map(|_| None).collect();
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((i, r)) => results[i] = Some(r),
                    Err(e) => tracing::error!(error = %e, "mail delivery task failed"),
                }
            }
            for (row, result) in rows.iter().zip(results) {
                let result = result.unwrap_or_else(|| Err(Failure::Temporary("delivery task failed".into())));
                match result {
                    Ok(()) => {
                        store.mail_sent(row.id, worker).await?;
                        report.sent += 1;
                    }
                    Err(Failure::Permanent(e)) => {
                        tracing::warn!(id = row.id, error = %e, "mail refused permanently: dead letter");
                        store.mail_dead(row.id, worker, &e).await?;
                        report.dead += 1;
                    }
                    Err(Failure::Temporary(e)) => {
                        let created = time::OffsetDateTime::parse(
                            &row.created_at,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .unwrap_or_else(|_| now());
                        if now() - created > time::Duration::seconds(self.give_up_after.as_secs() as i64) {
                            store
                                .mail_dead(
                                    row.id,
                                    worker,
                                    &format!("gave up after {}: {e}", duration::format(self.give_up_after)),
                                )
                                .await?;
                            report.dead += 1;
                        } else {
                            let next = now() + backoff(row.attempts, u16::from_le_bytes(crate::random::bytes::<2>()?));
                            tracing::info!(id = row.id, error = %e, "mail not delivered yet; will retry");
                            store.mail_retry(row.id, worker, &rfc3339(next), &e).await?;
                            report.retried += 1;
                        }
                    }
                }
            }
            if report.retried > 0 {
                // Rows just rescheduled are not due again now; stop this round.
                return Ok(report);
            }
        }
    }
}

/// 30 s, 1 min, 2 min ... capped at an hour, each ±50 % so retries spread out.
/// `jitter` is a random draw; 0 gives the shortest wait, `u16::MAX` the longest.
pub fn backoff(attempts: i64, jitter: u16) -> time::Duration {
    let base = 30i64.saturating_mul(1i64 << attempts.clamp(0, 7)).min(3_600);
    let jitter = (jitter as f64 / u16::MAX as f64) + 0.5;
    time::Duration::seconds(((base as f64) * jitter) as i64)
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    crate::domain::stamp::stamp(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for jitter in [0, 1, u16::MAX / 2, u16::MAX - 1, u16::MAX] {
            let first = backoff(0, jitter).whole_seconds();
            assert!((15..=45).contains(&first), "{first}");
            let late = backoff(20, jitter).whole_seconds();
            assert!((1_800..=5_400).contains(&late), "{late}");
        }
        assert_eq!(backoff(0, 0).whole_seconds(), 15);
        assert_eq!(backoff(1, u16::MAX).whole_seconds(), 90);
    }
}
