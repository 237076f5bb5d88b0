//! `dtap config`: read or change one setting of dtap.toml.

use clap::Subcommand;

use super::outln;
use super::{Cli, CliError, CliResult, print_json};
use crate::app::settings::{get_setting, set_setting};

/// Read or change one setting of dtap.toml (comments and layout are kept).
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap config set web.dev_user fa@example.org   every web request acts as fa@example.org (loopback only)\n  dtap config set web.bind 127.0.0.1:9000\n  dtap config get web.base_url\n  dtap config get signoff.link_ttl --json\n\nKEY is SECTION.KEY as in dtap.toml's [SECTION]; a value is checked like every \
command reads it before the file is written. DTAP_<SECTION>_<KEY> overrides the file."
)]
pub enum ConfigCommand {
    /// Print the value dtap uses: dtap.toml, its DTAP_* override, or the default.
    Get {
        /// SECTION.KEY, e.g. web.base_url.
        key: String,
        /// Print {"key", "value", "source"}.
        #[arg(long)]
        json: bool,
    },
    /// Write a value into dtap.toml, keeping its comments and layout.
    Set {
        /// SECTION.KEY, e.g. web.dev_user.
        key: String,
        /// The value, as text (durations like 2d, addresses like 127.0.0.1:8080).
        value: String,
        /// Print what was written as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cli: &Cli, cmd: &ConfigCommand) -> CliResult {
    match cmd {
        ConfigCommand::Get { key, json } => {
            let s = get_setting(&cli.workspace, key).await?;
            if *json {
                return print_json(&s);
            }
            match &s.value {
                serde_json::Value::Null => {
                    eprintln!("{key} is not set");
                    Err(CliError::Silent(1))
                }
                serde_json::Value::String(text) => {
                    outln!("{text}");
                    Ok(())
                }
                other => {
                    outln!("{other}");
                    Ok(())
                }
            }
        }
        ConfigCommand::Set { key, value, json } => {
            let change = set_setting(&cli.workspace, key, value).await?;
            if *json {
                print_json(&change)?;
            } else {
                outln!("{key} = {value:?} in {}", change.file.display());
            }
            if let Some(var) = &change.overridden_by {
                eprintln!("note: {var} is set in this shell and overrides {key} for commands run here");
            }
            Ok(())
        }
    }
}
