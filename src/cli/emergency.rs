//! `dtap emergency`: retro-approval of emergency changes.

use super::outln;
use clap::Subcommand;

use super::{Cli, CliResult, print_json, table};
use crate::app::App;
use crate::app::rfcs::Caller;
use crate::domain::origin::Origin;

/// Emergency changes waiting for someone else's approval afterwards.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap emergency list\n  dtap emergency approve 3 --comment \"Checked the fix with the service desk\""
)]
pub enum EmergencyCommand {
    /// Emergency changes; by default only those not yet approved.
    List {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Approve one afterwards (permission rfc.assess; never your own).
    Approve {
        id: i64,
        #[arg(long, default_value = "")]
        comment: String,
    },
}

pub async fn run(cli: &Cli, cmd: &EmergencyCommand) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    match cmd {
        EmergencyCommand::List { all, json } => {
            let items = app.emergency_reviews(!*all).await?;
            if *json {
                return print_json(&items);
            }
            if items.is_empty() {
                outln!("No emergency changes waiting for approval.");
                return Ok(());
            }
            let headers: Vec<String> = ["ID", "WHEN", "ENV", "BY", "REASON", "DUE", "APPROVED BY"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.created_at.minute(),
                        r.environment.clone(),
                        r.promoted_by.clone(),
                        r.reason.chars().take(50).collect(),
                        r.due_at.minute(),
                        r.approved_by.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            super::emit(&table::render(&headers, &rows));
        }
        EmergencyCommand::Approve { id, comment } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            app.approve_emergency(&caller, *id, comment).await?;
            outln!("Emergency change {id} approved by {}.", caller.email);
        }
    }
    Ok(())
}
