use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Cli, CliError, CliResult, emit, print_json};
use crate::app::dbcopy::copy_database;

/// Database tools.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    Copy(CopyArgs),
}

/// Copy every row into another database, then verify row counts and the audit chain.
///
/// The target is created and migrated when needed and must hold no rows.
/// Stop `dtap serve` and cron jobs first: rows written during the copy would
/// be left behind. A `sqlite:` path is relative to the current folder.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    dtap db copy --from sqlite://.dtap/dtap.db --to postgres://dtap@db.example.org/dtap\n  \
    dtap db copy --from postgres://dtap@db/dtap --to sqlite:///backup/dtap.db --json\n\n\
    Then set [database] url in dtap.toml (or DTAP_DATABASE_URL) to the new database.")]
pub struct CopyArgs {
    /// The database to copy from (sqlite://PATH or postgres://...).
    #[arg(long)]
    pub from: String,
    /// The empty database to copy into.
    #[arg(long)]
    pub to: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(_cli: &Cli, command: &DbCommand) -> CliResult {
    match command {
        DbCommand::Copy(args) => copy(args).await,
    }
}

async fn copy(args: &CopyArgs) -> CliResult {
    let bar = (!args.json).then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let report = copy_database(&args.from, &args.to, |table, rows| {
        if let Some(b) = &bar {
            b.set_message(format!("copying {table}: {rows} rows"));
        }
    })
    .await;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = report.map_err(CliError::App)?;
    if args.json {
        return print_json(&report);
    }
    let mut out = format!("Copied {} to {}:\n", report.from, report.to);
    for t in report.tables.iter().filter(|t| t.rows > 0) {
        out.push_str(&format!("  {:<22} {:>9} rows\n", t.table, t.rows));
    }
    out.push_str(&format!(
        "Row counts match, and the audit chain is intact ({} events).\n\
         Next: set [database] url in dtap.toml to the new database and start dtap again.\n",
        report.audit_events
    ));
    emit(&out);
    Ok(())
}
