//! `dtap audit`: the tamper-evident trail of every change.

use super::outln;
use clap::Subcommand;

use super::{Cli, CliError, CliResult, print_json, table};
use crate::app::App;
use crate::app::caller::Caller;

/// The audit trail: who changed what, when, from where.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  dtap audit --since 2026-11-01\n  dtap audit --actor rm@example.org --json\n  dtap audit --csv > audit.csv\n  dtap audit verify              exit 1 naming the first row that was changed, or the anchor in git the table no longer matches\n  dtap audit anchor              an empty commit witnessing the chain's head (serve makes one daily)"
)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Events at or after this date (YYYY-MM-DD) or time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long)]
    pub actor: Option<String>,
    /// Actions starting with this, e.g. `rfc.` or `promote`.
    #[arg(long)]
    pub action: Option<String>,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV for auditors.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the SHA-256 chain over every row, and every anchor in git
    /// (`Dtap-Audit-Head` trailers) against the table.
    Verify,
    /// Make an empty commit that anchors the chain's head in git.
    Anchor,
}

pub async fn run(cli: &Cli, args: &AuditArgs) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    if let Some(AuditCommand::Verify) = args.command {
        let check = app.verify_audit(&Caller::local()).await?;
        if args.json {
            print_json(&check)?;
        } else if check.intact() {
            outln!(
                "audit chain intact: {} events, {} anchors in git agree",
                check.events,
                check.anchors
            );
        }
        if check.intact() {
            return Ok(());
        }
        let mut problems: Vec<String> = check
            .broken
            .iter()
            .map(|b| format!("the audit chain is broken at event {}: {}", b.seq, b.reason))
            .collect();
        problems.extend(
            check
                .findings
                .iter()
                .map(|f| format!("the audit chain does not match git: {f}")),
        );
        return Err(CliError::Failed(problems.join("\n")));
    }
    if let Some(AuditCommand::Anchor) = args.command {
        let caller = Caller::new(cli.identity()?, crate::domain::origin::Origin::Cli);
        let (head, commit) = app.anchor_audit(&caller).await?;
        outln!(
            "anchored the audit chain at event {} in commit {}",
            head.seq,
            &commit[..12]
        );
        return Ok(());
    }
    let events = app
        .audit(
            &Caller::local(),
            args.since.as_deref(),
            args.actor.as_deref(),
            args.action.as_deref(),
        )
        .await?;
    if args.json {
        return print_json(&events);
    }
    if args.csv {
        super::emit(&crate::app::audit::to_csv(&events));
        return Ok(());
    }
    let headers: Vec<String> = ["SEQ", "WHEN (UTC)", "WHO", "ACTION", "OBJECT", "OUTCOME", "FROM"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                e.at.replace('T', " ").trim_end_matches('Z').to_string(),
                e.actor.clone(),
                e.action.clone(),
                e.object.clone(),
                e.outcome.clone(),
                e.origin.clone(),
            ]
        })
        .collect();
    super::emit(&table::render(&headers, &rows));
    Ok(())
}
