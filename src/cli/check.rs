use super::outln;
use super::{Cli, CliError, CliResult};

/// Validate the whole workspace and print every problem as file:line:column: message.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap check                  check the workspace in the current folder\n  dtap -w crm-config check --json\n\nExit code 0 when the workspace is valid, 1 when it has problems."
)]
pub struct Args {
    /// Print the problems as a JSON array.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let report = crate::app::check::check(&cli.workspace).await?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        super::print_json(&report.problems)?;
    } else if report.problems.is_empty() {
        outln!(
            "ok: {} files, {} environments, {} RFC templates, {} roles, {} users",
            report.files,
            report.environments,
            report.templates,
            report.roles,
            report.users
        );
    } else {
        for p in &report.problems {
            outln!("{p}");
        }
        eprintln!("{} problem(s) found", report.problems.len());
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Silent(1))
    }
}
