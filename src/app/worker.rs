//! The mail work: reminders, escalations, daily digests and delivering the outbox. `dtap
//! serve` runs it in the background; `dtap mail flush` runs one round of the
//! very same sequence by hand.

use std::time::Duration;

use super::outbox::FlushReport;
use super::{App, AppError};
use crate::mail::Mailer;

/// Mails claimed and delivered at a time.
const BATCH: usize = 50;

/// The background worker sweeps for reminders every this many rounds (of
/// about two seconds): reminders need no second-by-second precision.
const SWEEP_EVERY: u64 = 30;

/// `host:pid`: who holds a mail claim or a promotion lease. Read once per
/// process, so async code never touches the file system for it.
/// Rounds (of two seconds) between checks for a day without commits.
const ANCHOR_EVERY: u64 = 1800;

pub fn worker_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        format!("{host}:{}", std::process::id())
    })
    .clone()
}

/// What one round of mail work did.
#[derive(Debug, Default)]
pub struct MailRound {
    pub delivered: FlushReport,
    pub reminded: usize,
    pub escalated: usize,
    /// The steps that failed, in order, each named, with its error.
    pub failed: Vec<(&'static str, AppError)>,
}

impl App {
    /// One round of mail work. With `sweep`, first the due sign-off reminders
    /// and escalations and the overdue emergency reviews, so that their mails
    /// leave in this very round; then the outbox. Every step runs even when
    /// one before it failed: a broken reminder template must not hold back
    /// the emergency escalations, nor mail that is already queued.
    pub async fn mail_round(&self, mailer: &Mailer, sweep: bool) -> MailRound {
        let mut round = MailRound::default();
        if sweep {
            match self.remind().await {
                Ok((reminded, escalated)) => (round.reminded, round.escalated) = (reminded, escalated),
                Err(e) => round.failed.push(("sign-off reminders", e)),
            }
            if let Err(e) = self.escalate_emergencies().await {
                round.failed.push(("emergency reviews", e));
            }
            if let Err(e) = self.send_digests().await {
                round.failed.push(("daily digests", e));
            }
        }
        match self.deliver_outbox(mailer, BATCH).await {
            Ok(report) => round.delivered = report,
            Err(e) => round.failed.push(("mail delivery", e)),
        }
        round
    }
}

/// Runs until `stop` changes: new outbox rows go out within a few seconds,
/// whoever wrote them (this process, another instance, or the CLI).
pub async fn run(app: App, mailer: Mailer, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut rounds: u64 = 0;
    loop {
        let round = app.mail_round(&mailer, rounds.is_multiple_of(SWEEP_EVERY)).await;
        let d = &round.delivered;
        if d.sent + d.retried + d.dead > 0 {
            tracing::info!(sent = d.sent, retried = d.retried, dead = d.dead, "mail delivered");
        }
        if round.reminded + round.escalated > 0 {
            tracing::info!(
                reminded = round.reminded,
                escalated = round.escalated,
                "sign-off reminders"
            );
        }
        for (step, e) in &round.failed {
            tracing::error!(error = %e, "{step}");
        }
        // About hourly: anchor the audit chain in git when a day passed
        // without a commit (docs/security.md).
        if rounds.is_multiple_of(ANCHOR_EVERY) {
            match app.anchor_if_quiet().await {
                Ok(Some(commit)) => tracing::info!(%commit, "audit chain anchored in git"),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "anchoring the audit chain"),
            }
        }
        rounds += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
    }
}
