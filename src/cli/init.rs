use super::outln;
use std::path::PathBuf;

use super::{Cli, CliResult};
use crate::app::init::init_workspace;

/// Create a new workspace with the default pipeline, templates and access matrix.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap init crm-config        create ./crm-config with its database and config repo\n  dtap init                   turn the current (empty) folder into a workspace"
)]
pub struct Args {
    /// Folder to create the workspace in (default: the --workspace folder).
    pub dir: Option<PathBuf>,
    /// Print what was created as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let dir = args.dir.clone().unwrap_or_else(|| cli.workspace.clone());
    // The first commit names who made it; without a known identity it says so.
    let by = cli
        .identity()
        .map(String::from)
        .unwrap_or_else(|_| "unknown@localhost.invalid".into());
    let report = init_workspace(&dir, &by).await?;
    if args.json {
        return super::print_json(&report);
    }
    outln!("Created workspace {}", dir.display());
    for f in &report.files {
        outln!("  {f}");
    }
    for c in &report.created {
        outln!("Created {c}");
    }
    outln!(
        "\nNext: `dtap -w {} check`, then `dtap -w {} serve`.",
        dir.display(),
        dir.display()
    );
    Ok(())
}
