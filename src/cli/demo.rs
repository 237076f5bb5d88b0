use super::outln;
use super::{Cli, CliResult, print_json};
use crate::app::App;

/// Fill an empty workspace with sample RFCs and packages, to look around.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap init /tmp/crm && dtap -w /tmp/crm demo && dtap -w /tmp/crm serve\n\nRefuses when the workspace already has RFCs or packages."
)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let app = App::open_for_write(&cli.workspace).await?;
    let report = app.demo().await?;
    if args.json {
        return print_json(&report);
    }
    outln!("Filed {} RFCs:", report.rfcs.len());
    for (id, state, title) in &report.rfcs {
        outln!("  {id:<7} {state:<15} {title}");
    }
    outln!(
        "Committed packages {} to every environment ({}).",
        report.packages.join(", "),
        &report.commit[..12]
    );
    outln!("\nNext: `dtap status`, `dtap rfc list`, or `dtap serve` and open the dashboard.");
    Ok(())
}
