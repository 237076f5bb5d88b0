use super::outln;
use std::path::PathBuf;

use super::{Cli, CliResult};
use crate::app::init::{ExistingRepo, init_workspace};

/// Create a new workspace with the default pipeline, templates and access matrix.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap init crm-config        create ./crm-config with its database and config repo\n  dtap init                   turn the current (empty) folder into a workspace\n  DTAP_REPO_URL=ssh://git@git.example.org/crm/config.git DTAP_REPO_ALLOWED_HOSTS=git.example.org dtap init crm\n                              on a config repo on a git server; the DTAP_REPO_* settings go into dtap.toml\n  DTAP_REPO_URL=... dtap init --adopt crm2\n                              a second workspace on a config repo that already has history\n\nAll or nothing: the workspace is built in a temporary folder and moved into place at the end, so a failure \
(an unreachable remote, an unknown host key) leaves the folder as it was and `dtap init` can simply be run again."
)]
pub struct Args {
    /// Folder to create the workspace in (default: the --workspace folder).
    pub dir: Option<PathBuf>,
    /// Join a config repo that already has history (refused without): its commits count as known, not as drift.
    #[arg(long)]
    pub adopt: bool,
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
    let existing = if args.adopt {
        ExistingRepo::Adopt
    } else {
        ExistingRepo::Refuse
    };
    let report = init_workspace(&dir, &by, existing).await?;
    if args.json {
        return super::print_json(&report);
    }
    outln!("Created workspace {}", dir.display());
    for f in &report.files {
        outln!("  {f}");
    }
    for s in &report.written_from_env {
        outln!("Wrote {s} into dtap.toml");
    }
    for c in &report.created {
        outln!("Created {c}");
    }
    if let Some(a) = &report.adopted {
        outln!("{a}");
    }
    outln!(
        "\nNext: `dtap -w {} check`, then `dtap -w {} serve`.",
        dir.display(),
        dir.display()
    );
    Ok(())
}
