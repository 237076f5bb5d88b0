use super::outln;
use super::{Cli, CliResult};
use crate::store::Store;
use crate::workspace::Workspace;

/// Apply pending database migrations (serve and every command do this too).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  dtap migrate\n  DTAP_DATABASE_URL=sqlite:///srv/dtap/dtap.db dtap migrate")]
pub struct Args {}

pub async fn run(cli: &Cli, _args: &Args) -> CliResult {
    let ws = Workspace::load(&cli.workspace).map_err(|e| super::CliError::App(e.into()))?;
    let store = Store::open(&ws.config, &ws.dir, true)
        .await
        .map_err(|e| super::CliError::App(e.into()))?;
    let applied = store.migrate().await.map_err(|e| super::CliError::App(e.into()))?;
    store
        .ensure_server_secret()
        .await
        .map_err(|e| super::CliError::App(e.into()))?;
    if applied.is_empty() {
        outln!("database {} is up to date", ws.config.database.url.redacted());
    } else {
        outln!(
            "applied migrations {applied:?} to {}",
            ws.config.database.url.redacted()
        );
    }
    Ok(())
}
