//! `dtap doctor`: do the database and the config repo agree?

use std::time::Duration;

use super::{Cli, CliError, CliResult, print_json, table};
use crate::app::App;
use crate::app::doctor::{DoctorOptions, Status};

/// Check that the database and the config repo agree, and repair what is safe.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Checks: pending migrations; stale lock files in the config repo; dtap commits on the branch \
that the database never recorded; promotions and rollbacks a crashed process left unfinished, and finished \
ones that disagree with the branch; the repo index against a rebuild from git; mail a stopped worker left \
in `sending`; the audit chain.\n\n\
Without --repair nothing is written (safe beside a running server). --repair makes only the repairs dtap \
would make itself (apply migrations, settle dead intents as the next write would, rebuild the index from \
git, queue held mail again, record a commit that names a known intent, remove lock files older than \
--stale-lock) and says what it did. It never rewrites git history or the audit trail.\n\n\
Exit code 0 when everything agrees (or was repaired), 3 when a problem remains, 1 when doctor cannot run.\n\n\
Examples:\n  dtap doctor\n  dtap doctor --repair\n  dtap doctor --json | jq '.findings[] | select(.status == \"problem\")'"
)]
pub struct Args {
    /// Make the safe repairs and report each.
    #[arg(long)]
    pub repair: bool,
    /// Print {"repair": bool, "findings": [{"check", "status": ok|info|problem|repaired, "message", "remedy"?}]}.
    #[arg(long)]
    pub json: bool,
    /// Seconds after which a lock file in the config repo counts as left by a crash.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub stale_lock: u64,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let opts = DoctorOptions {
        repair: args.repair,
        stale_lock: Duration::from_secs(args.stale_lock),
    };
    let report = App::doctor(&cli.workspace, &opts).await?;
    let problems = report.count(Status::Problem);
    if args.json {
        print_json(&report)?;
    } else {
        let headers: Vec<String> = ["CHECK", "STATUS", "FINDING"].iter().map(|s| s.to_string()).collect();
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .map(|f| {
                let status = match f.status {
                    Status::Ok => "ok",
                    Status::Info => "info",
                    Status::Problem => "PROBLEM",
                    Status::Repaired => "repaired",
                };
                let message = match &f.remedy {
                    Some(r) => format!("{} (fix: {r})", f.message),
                    None => f.message.clone(),
                };
                vec![f.check.to_string(), status.to_string(), message]
            })
            .collect();
        super::emit(&table::render(&headers, &rows));
        let repaired = report.count(Status::Repaired);
        super::emit(&match (problems, repaired) {
            (0, 0) => "The database and the config repo agree.\n".to_string(),
            (0, n) => format!("The database and the config repo agree after {n} repair(s).\n"),
            (p, _) => format!("{p} problem(s) remain.\n"),
        });
    }
    if problems > 0 { Err(CliError::Silent(3)) } else { Ok(()) }
}
