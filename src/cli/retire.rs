//! `dtap retire`: a package leaves an environment on purpose.

use super::promote::print_gates;
use super::{Cli, CliError, CliResult, outln, print_json};
use crate::app::App;
use crate::app::promote::PendingRetirement;
use crate::app::retire::{RetireOutcome, RetirePlan, RetireRequest};
use crate::app::rfcs::Caller;
use crate::domain::origin::Origin;

/// Remove a package from an environment, in order, through gates like a promotion's.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap retire legacy-buttons --env test --reason \"Replaced by ebikes-ui\" --rfc RFC-14\n  dtap retire legacy-buttons --env production --reason \"Replaced by ebikes-ui\" --rfc RFC-14 --dry-run\n\nDelete the folder from develop with a commit first; then retire it from test, acceptance and production, in that order. One commit per retirement (Dtap-Action: retire); history is never rewritten. A refusal lists each failing gate with what would satisfy it and exits 3."
)]
pub struct RetireArgs {
    pub package: String,
    #[arg(long = "env")]
    pub environment: String,
    /// Why the package goes (kept in the commit and the audit trail).
    #[arg(long)]
    pub reason: String,
    /// The RFC that retires it (repeatable); required where the environment requires RFCs.
    #[arg(long = "rfc", value_name = "RFC-n")]
    pub rfcs: Vec<String>,
    /// Show the gates and the files that would go; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

pub async fn retire(cli: &Cli, args: &RetireArgs) -> CliResult {
    let caller = Caller::new(cli.identity()?, Origin::Cli);
    let app = App::open(&cli.workspace).await?;
    let outcome = app
        .retire(
            &caller,
            &RetireRequest {
                package: args.package.clone(),
                environment: args.environment.clone(),
                reason: args.reason.clone(),
                rfcs: args.rfcs.clone(),
                dry_run: args.dry_run,
            },
        )
        .await?;
    let refused = matches!(outcome, RetireOutcome::Refused { .. });
    if args.json {
        print_json(&outcome)?;
        return if refused { Err(CliError::Silent(3)) } else { Ok(()) };
    }
    match &outcome {
        RetireOutcome::DryRun { plan } => {
            print_plan(plan);
            outln!("\nDry run: nothing was changed. Every gate passes.");
        }
        RetireOutcome::Refused { plan } => {
            print_plan(plan);
            eprintln!("\nRefused: nothing was retired.");
            return Err(CliError::Silent(3));
        }
        RetireOutcome::Retired { plan, commit } => {
            outln!(
                "Retired {} {} from {} (commit {}).",
                plan.package,
                plan.version.as_deref().unwrap_or("?"),
                plan.environment,
                &commit[..12]
            );
            for r in &plan.returns {
                outln!("  {}: {} → {}", r.rfc, r.from, r.to);
            }
            super::deploy::run_queued_here(&app).await?;
        }
    }
    Ok(())
}

/// `promote --all`'s pending retirements: each retired (or, in a dry run,
/// judged) and told; true when one was refused.
pub(super) fn print_pending(done: &[PendingRetirement]) -> bool {
    let mut refused = false;
    for p in done {
        match (&p.outcome, &p.error) {
            (_, Some(e)) => {
                eprintln!("{} was not retired: {e}", p.package);
                refused = true;
            }
            (Some(RetireOutcome::DryRun { plan }), _) => print_plan(plan),
            (Some(RetireOutcome::Refused { plan }), _) => {
                print_plan(plan);
                eprintln!(
                    "{} was not retired: a gate refused it. Retire it yourself once the gates allow: `dtap retire {} --env {} --reason TEXT --rfc RFC-n`",
                    plan.package, plan.package, plan.environment
                );
                refused = true;
            }
            (Some(RetireOutcome::Retired { plan, commit }), _) => {
                outln!(
                    "Retired {} {} from {} (commit {}), as it was retired from the environment before.",
                    plan.package,
                    plan.version.as_deref().unwrap_or("?"),
                    plan.environment,
                    &commit[..12]
                );
                for r in &plan.returns {
                    outln!("  {}: {} → {}", r.rfc, r.from, r.to);
                }
            }
            (None, None) => {}
        }
    }
    refused
}

fn print_plan(plan: &RetirePlan) {
    outln!(
        "{} {} leaves {}: {} file(s) removed",
        plan.package,
        plan.version.as_deref().unwrap_or("?"),
        plan.environment,
        plan.files.removed.len()
    );
    for path in plan.files.removed.iter().take(20) {
        outln!("    - {path}");
    }
    if plan.files.removed.len() > 20 {
        outln!("    - … and {} more", plan.files.removed.len() - 20);
    }
    for r in &plan.returns {
        outln!("  {} goes back: {} → {}", r.rfc, r.from, r.to);
    }
    print_gates(&plan.gates);
}
