//! `dtap history`, `dtap diff`, `dtap release-notes`.

use super::outln;

use super::{Cli, CliResult, print_json, table};
use crate::app::{App, release_notes};

/// Promotions and rollbacks, read back from the commits' trailers.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap history\n  dtap history --env production --limit 5\n  dtap history --package crm-core --json"
)]
pub struct HistoryArgs {
    #[arg(long = "env")]
    pub environment: Option<String>,
    #[arg(long)]
    pub package: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

pub async fn history(cli: &Cli, args: &HistoryArgs) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    let entries = app
        .history(args.environment.as_deref(), args.package.as_deref(), args.limit)
        .await?;
    if args.json {
        return print_json(&entries);
    }
    let drift = app.drift().await?;
    for d in drift.iter().filter(|d| !d.commits.is_empty()) {
        eprintln!(
            "warning: drift in {}: {} hand-made commit(s) not acknowledged",
            d.environment,
            d.commits.len()
        );
    }
    if entries.is_empty() {
        outln!("No promotions yet.");
        return Ok(());
    }
    let headers: Vec<String> = [
        "WHEN", "ACTION", "PACKAGE", "VERSION", "FROM", "TO", "BY", "RFCS", "REASON",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.time.replace('T', " ").trim_end_matches('Z').to_string(),
                if e.emergency.is_some() {
                    format!("{} (emergency)", e.action)
                } else {
                    e.action.clone()
                },
                e.packages
                    .iter()
                    .map(|p| p.package.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                e.packages
                    .iter()
                    .map(|p| p.version.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
                e.from.clone().unwrap_or_default(),
                e.to.clone(),
                e.by.clone(),
                e.rfcs.join(", "),
                e.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    super::emit(&table::render(&headers, &rows));
    Ok(())
}

/// What promoting environment A into B would change, per package: B's content
/// is the old side, A's the new one (as `git diff B A` on their folders).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap diff develop test                         (what promoting develop into test would change: develop's newer files show as added)\n  dtap diff acceptance production --stat\n  dtap diff test acceptance --package crm-core   (a unified diff of its text files, acceptance's side as -)\n  dtap diff production develop --package crm-core   (what differs in production: a hand-made change shows as +)\n\n--json prints per package {package, old_version, new_version, added, modified, removed}, old being B's, new A's."
)]
pub struct DiffArgs {
    /// A: the environment promoted from (the new side).
    #[arg(value_name = "A")]
    pub from: String,
    /// B: the environment promoted into (the old side).
    #[arg(value_name = "B")]
    pub to: String,
    #[arg(long)]
    pub package: Option<String>,
    /// Only counts of files per package.
    #[arg(long)]
    pub stat: bool,
    #[arg(long)]
    pub json: bool,
}

pub async fn diff(cli: &Cli, args: &DiffArgs) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    let diffs = app.diff(&args.from, &args.to, args.package.as_deref()).await?;
    if args.json {
        return print_json(&diffs);
    }
    for d in &diffs {
        let versions = format!(
            "{} {} → {} {}",
            args.to,
            d.old_version.as_deref().unwrap_or("(absent)"),
            args.from,
            d.new_version.as_deref().unwrap_or("(absent)")
        );
        if d.same {
            outln!("{}: {versions}, identical", d.package);
            continue;
        }
        outln!(
            "{}: {versions}, {} added, {} modified, {} removed",
            d.package,
            d.added.len(),
            d.modified.len(),
            d.removed.len()
        );
        if !args.stat {
            for (mark, list) in [("+", &d.added), ("~", &d.modified), ("-", &d.removed)] {
                for f in list {
                    outln!("  {mark} {f}");
                }
            }
        }
        if let Some(p) = &d.patch {
            super::emit(p);
        }
    }
    Ok(())
}

/// Release notes of the promotions into an environment.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap release-notes --env production\n  dtap release-notes --env production --since 2026-11-01 --format html > notes.html\n\nThe workspace may override the template in templates/release-notes.md or templates/release-notes.html."
)]
pub struct ReleaseNotesArgs {
    #[arg(long = "env")]
    pub environment: String,
    /// A date (YYYY-MM-DD) or a commit id: promotions after it.
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: NotesFormat,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NotesFormat {
    Md,
    Html,
}

pub async fn release_notes(cli: &Cli, args: &ReleaseNotesArgs) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    let notes = app.release_notes(&args.environment, args.since.as_deref()).await?;
    if args.json {
        return print_json(&notes);
    }
    let format = match args.format {
        NotesFormat::Md => release_notes::NotesFormat::Md,
        NotesFormat::Html => release_notes::NotesFormat::Html,
    };
    let text = release_notes::render(&app.workspace().dir, format, &notes)?;
    super::emit(&text);
    Ok(())
}
