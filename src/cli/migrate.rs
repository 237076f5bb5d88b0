use super::outln;
use super::{Cli, CliResult};

/// Apply pending database migrations (serve and every command do this too).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  dtap migrate\n  DTAP_DATABASE_URL=sqlite:///srv/dtap/dtap.db dtap migrate")]
pub struct Args {}

pub async fn run(cli: &Cli, _args: &Args) -> CliResult {
    let m = crate::app::migrate::migrate(&cli.workspace).await?;
    if m.applied.is_empty() {
        outln!("database {} is up to date", m.database);
    } else {
        outln!("applied migrations {:?} to {}", m.applied, m.database);
    }
    Ok(())
}
