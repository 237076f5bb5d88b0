//! `dtap drift`: hand-made changes to environment folders; acknowledging
//! them, and adopting them into develop.

use clap::Subcommand;

use super::{Cli, CliError, CliResult, outln, print_json};
use crate::app::App;
use crate::app::drift::{AdoptOutcome, AdoptRequest};
use crate::app::rfcs::Caller;
use crate::domain::origin::Origin;

/// Hand-made changes to environment folders: list, acknowledge, adopt.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap drift list                          (exit 3 while there is unacknowledged drift)\n  dtap drift ack production --reason \"Hotfix INC-123 made by hand, reviewed\"\n  dtap drift adopt production crm-core --reason \"Keep hotfix INC-123\"\n  dtap drift adopt production crm-core --dry-run\n  dtap drift check --live production [--package crm-core] [--json]   (exit 3 when the CRM differs)\n  dtap drift ack --live production --reason \"Field added by hand in INC-9, reviewed\"\n  dtap drift adopt --live production crm-core\n\nAcknowledging never licenses overwriting: a promotion that would undo a hand-made change is refused\nuntil the change is adopted into develop, or the promotion says --overwrite-drift --reason TEXT."
)]
pub enum DriftCommand {
    /// Show unacknowledged hand-made commits per environment (exit 3 when there are any).
    List {
        #[arg(long)]
        json: bool,
    },
    /// With --live ENV: export the CRM's configuration and compare it with ENV's folder: files changed,
    /// added or missing in the CRM (exit 3 when they differ, 4 when an export step failed).
    Check {
        /// Compare the CRM itself (runs ENV's `export:` steps).
        #[arg(long)]
        live: bool,
        #[arg(value_name = "ENV")]
        environment: String,
        /// Only this package.
        #[arg(long)]
        package: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record the current head as reviewed for an environment (permission drift.ack); with --live, the
    /// CRM's current differences (lifts `live_drift: block`, never licenses overwriting).
    Ack {
        /// Acknowledge live drift (found by `drift check --live`) instead of hand-made commits.
        #[arg(long)]
        live: bool,
        environment: String,
        /// With --live: only this package.
        #[arg(long, requires = "live")]
        package: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Carry the hand-made change(s) in ENV's folder of PACKAGE into develop as a new patch version
    /// (three-way merge; refused on a conflict). Permission drift.ack.
    Adopt {
        /// Take the CRM's version (a fresh export) of PACKAGE instead of hand-made commits.
        #[arg(long)]
        live: bool,
        #[arg(value_name = "ENV")]
        environment: String,
        package: String,
        #[arg(long)]
        reason: Option<String>,
        /// Show what would be adopted; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn drift(cli: &Cli, cmd: &DriftCommand) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    match cmd {
        DriftCommand::List { json } => {
            let d = app.drift().await?;
            let any = d.iter().any(|r| !r.commits.is_empty());
            if *json {
                print_json(&d)?;
            } else {
                for r in &d {
                    for c in &r.commits {
                        outln!(
                            "{}  {}  {}  {}  {}",
                            r.environment,
                            &c.commit[..12],
                            c.time,
                            c.author,
                            c.summary
                        );
                    }
                }
                if !any {
                    outln!("No drift: every environment folder changed only through dtap.");
                }
            }
            if any {
                return Err(CliError::Silent(3));
            }
        }
        DriftCommand::Check {
            live,
            environment,
            package,
            json,
        } => return super::drift_live::check(&app, *live, environment, package.as_deref(), *json).await,
        DriftCommand::Ack {
            live: true,
            environment,
            package,
            reason,
        } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let done = app
                .ack_live_drift(&caller, environment, package.as_deref(), reason)
                .await?;
            outln!(
                "Live drift in {environment} acknowledged: {}. A promotion that would overwrite it still needs --overwrite-drift.",
                done.join(", ")
            );
        }
        DriftCommand::Ack {
            environment, reason, ..
        } => {
            app.reconcile().await?;
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let head = app.ack_drift(&caller, environment, reason).await?;
            outln!("Drift in {environment} acknowledged up to {}.", &head[..12]);
        }
        DriftCommand::Adopt {
            live: true,
            environment,
            package,
            reason,
            dry_run,
            json,
        } => {
            if *dry_run {
                return Err(CliError::Usage(
                    "adopt --live has no --dry-run: `dtap drift check --live ENV --package PKG` shows what it would take".into(),
                ));
            }
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            return super::drift_live::adopt(&app, &caller, environment, package, reason.as_deref(), *json).await;
        }
        DriftCommand::Adopt {
            environment,
            package,
            reason,
            dry_run,
            json,
            ..
        } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            if !dry_run {
                app.reconcile().await?;
            }
            let req = AdoptRequest {
                environment: environment.clone(),
                package: package.clone(),
                reason: reason.clone(),
                dry_run: *dry_run,
            };
            let outcome = app.adopt_drift(&caller, &req).await?;
            if *json {
                return print_json(&outcome);
            }
            print_adoption(&outcome);
        }
    }
    Ok(())
}

fn print_adoption(o: &AdoptOutcome) {
    let develop = &o.into;
    for c in &o.adopted {
        outln!(
            "{} {}  {}: {}",
            o.environment,
            &c.commit[..c.commit.len().min(12)],
            c.summary,
            c.files.join(", ")
        );
    }
    match (&o.commit, o.already_in_develop, o.dry_run) {
        (_, _, true) if o.already_in_develop => {
            outln!("\nDry run: {develop} holds these changes already; adopting would only acknowledge them.")
        }
        (_, _, true) => outln!(
            "\nDry run: would adopt into {develop} as {} {} (from {}); nothing was changed.",
            o.package,
            o.version,
            o.from_version
        ),
        (_, true, false) => outln!(
            "\n{develop} holds these changes already ({} {}): nothing to commit.",
            o.package,
            o.version
        ),
        (Some(c), false, false) => {
            outln!(
                "\nAdopted into {develop} as {} {} → {} (commit {}).",
                o.package,
                o.from_version,
                o.version,
                &c[..c.len().min(12)]
            );
            outln!(
                "Promote it onward as usual: dtap promote {} --to {}",
                o.package,
                o.next.as_deref().unwrap_or("<next environment>")
            );
        }
        (None, false, false) => {}
    }
    if o.acknowledged {
        outln!("Drift in {} acknowledged.", o.environment);
    }
    if !o.still_unacknowledged.is_empty() {
        let short: Vec<&str> = o.still_unacknowledged.iter().map(|c| &c[..c.len().min(10)]).collect();
        eprintln!(
            "warning: drift in {} stays unacknowledged: commit(s) {} changed other packages too; review them, then `dtap drift ack {} --reason TEXT`",
            o.environment,
            short.join(", "),
            o.environment
        );
    }
}
