//! `dtap mail`: deliver the outbox from cron, and look into it.

use super::outln;
use clap::Subcommand;

use super::{Cli, CliError, CliResult, print_json, table};
use crate::app::App;
use crate::mail::Mailer;

/// The mail outbox.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap mail flush                 deliver every due mail now (for cron when `serve` does not run)\n  dtap mail flush --retry-now     after fixing the mail server: retry waiting mails at once\n  dtap mail list --failed         dead letters: mails the server refused or that failed too long"
)]
pub enum MailCommand {
    /// Deliver every due mail now, and send due reminders.
    Flush {
        /// Also retry mails now that wait for their next attempt (after fixing the mail server).
        #[arg(long)]
        retry_now: bool,
        #[arg(long)]
        json: bool,
    },
    /// List mails, newest first.
    List {
        /// Only dead letters.
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cli: &Cli, cmd: &MailCommand) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    if matches!(cmd, MailCommand::Flush { .. }) {
        app.reconcile().await?;
    }
    match cmd {
        MailCommand::Flush { retry_now, json } => {
            if *retry_now {
                app.retry_mail_now().await?;
            }
            let mailer = Mailer::from_config(&app.workspace().config, &app.workspace().dir)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let round = app.mail_round(&mailer, true).await;
            let mut failed = round.failed.into_iter();
            if let Some((_, first)) = failed.next() {
                for (step, e) in failed {
                    tracing::error!(error = %e, "{step}");
                }
                return Err(first.into());
            }
            let (report, reminded, escalated) = (round.delivered, round.reminded, round.escalated);
            if *json {
                return print_json(
                    &serde_json::json!({ "sent": report.sent, "retried": report.retried, "dead": report.dead, "reminded": reminded, "escalated": escalated }),
                );
            }
            outln!(
                "{} sent, {} to retry later, {} dead letters; {reminded} reminders, {escalated} escalations",
                report.sent,
                report.retried,
                report.dead
            );
        }
        MailCommand::List { failed, limit, json } => {
            let rows = app.mails(*failed, *limit).await?;
            if *json {
                return print_json(&rows);
            }
            if rows.is_empty() {
                outln!(
                    "{}",
                    if *failed {
                        "No dead letters."
                    } else {
                        "The outbox is empty."
                    }
                );
                return Ok(());
            }
            let headers: Vec<String> = ["ID", "STATE", "KIND", "TO", "SUBJECT", "ATTEMPTS", "ERROR"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.state.clone(),
                        r.kind.clone(),
                        r.recipient_list().join(", "),
                        r.subject.chars().take(60).collect(),
                        r.attempts.to_string(),
                        r.last_error.clone().unwrap_or_default().chars().take(60).collect(),
                    ]
                })
                .collect();
            super::emit(&table::render(&headers, &rows));
        }
    }
    Ok(())
}
