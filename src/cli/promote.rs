//! `dtap promote` and `dtap rollback`: the release manager's moves.

use super::outln;
use std::time::Duration;

use indicatif::ProgressBar;
use semver::Version;

use super::{Cli, CliError, CliResult, print_json};
use crate::app::App;
use crate::app::promote::{PendingRetirement, Plan, PromoteOutcome, PromoteRequest};
use crate::app::retire::RetireOutcome;
use crate::app::rfcs::Caller;
use crate::app::rollback::{RollbackOutcome, RollbackRequest};
use crate::domain::origin::Origin;

/// Promote a package from the previous environment into the next.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap promote crm-core --to test\n  dtap promote crm-core@2.3.0 --to acceptance --dry-run\n  dtap promote --all --to acceptance --reason \"Sprint 42\"\n  dtap promote crm-core --to production --emergency --reason \"Outage: invoices not sent\"\n  dtap promote crm-core --to production --overwrite-drift --reason \"INC-12 hotfix superseded by 2.4.0\"\n  dtap promote crm-core --to production --confirm-deletions   # where production has confirm_deletions: true\n\nEvery gate is checked; a refusal lists each failing gate with what would satisfy it and exits 3."
)]
pub struct PromoteArgs {
    /// PACKAGE or PACKAGE@VERSION.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub package: Option<String>,
    /// Every package whose content differs from the previous environment, in one commit.
    #[arg(long)]
    pub all: bool,
    /// The environment to promote into.
    #[arg(long)]
    pub to: String,
    #[arg(long)]
    pub reason: Option<String>,
    /// Show what would change and each gate's verdict; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Bypass freeze windows and minimum soak (needs permission emergency and --reason).
    #[arg(long)]
    pub emergency: bool,
    /// Replace hand-made changes in the target environment on purpose (needs --reason; see `dtap drift adopt`).
    #[arg(long)]
    pub overwrite_drift: bool,
    /// Promote although it removes files from an environment with
    /// `confirm_deletions: true` (look at the dry run's list first).
    #[arg(long)]
    pub confirm_deletions: bool,
    /// In a dry run, skip the environment's `validate:` steps.
    #[arg(long)]
    pub no_validate: bool,
    /// Return once the deployments are queued instead of running them and
    /// waiting (`dtap serve` or `dtap deploy run` runs them).
    #[arg(long)]
    pub no_wait: bool,
    #[arg(long)]
    pub json: bool,
}

pub async fn promote(cli: &Cli, args: &PromoteArgs) -> CliResult {
    let caller = Caller::new(cli.identity()?, Origin::Cli);
    let packages = match &args.package {
        Some(spec) => vec![parse_spec(spec)?],
        None => vec![],
    };
    let app = App::open(&cli.workspace).await?;
    let req = PromoteRequest {
        packages,
        to: args.to.clone(),
        reason: args.reason.clone(),
        emergency: args.emergency,
        dry_run: args.dry_run,
        overwrite_drift: args.overwrite_drift,
        no_wait: args.no_wait,
        no_validate: args.no_validate,
        confirm_deletions: args.confirm_deletions,
    };
    let bar = (!args.json).then(|| {
        let b = ProgressBar::new_spinner();
        b.set_message(format!("checking gates for {}", args.to));
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let outcome = app.promote(&caller, &req).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let outcome = outcome?;
    // Where the environment deploys: run the deployments here and wait, unless asked not to.
    let waited = match &outcome {
        PromoteOutcome::Promoted { deployments, .. } if !deployments.is_empty() && !args.no_wait => {
            Some(super::deploy::wait(&app, deployments, !args.json).await?)
        }
        _ => None,
    };
    let failed = waited.as_ref().is_some_and(|w| {
        w.iter()
            .any(|(_, _, s)| *s != crate::domain::deploy::state::DeployState::Succeeded)
    });
    // `--all` includes what the previous environment no longer holds: it is
    // retired here, once the promotion's deployments succeeded.
    let queued_only =
        args.no_wait && matches!(&outcome, PromoteOutcome::Promoted { deployments, .. } if !deployments.is_empty());
    let retirements = match &outcome {
        PromoteOutcome::Refused { .. } => Vec::new(),
        o if args.all && !failed && !queued_only && !o.plan().retirements.is_empty() => {
            let plan = o.plan();
            app.retire_pending(
                &caller,
                &plan.environment,
                &plan.retirements,
                args.reason.as_deref(),
                args.dry_run,
            )
            .await?
        }
        _ => Vec::new(),
    };
    let retirement_refused = retirements.iter().any(PendingRetirement::refused);
    if args.json {
        let mut v = serde_json::to_value(&outcome).unwrap_or_default();
        if let Some(w) = &waited {
            v["deployments"] = w
                .iter()
                .map(|(id, package, state)| serde_json::json!({ "id": id, "package": package, "state": state }))
                .collect();
        }
        if !retirements.is_empty() {
            v["retirements"] = serde_json::to_value(&retirements).unwrap_or_default();
            // The retirements' deployments, run here like the promotion's.
            let more = super::deploy::wait(&app, &super::deploy::queued_here(&app).await?, false).await?;
            let list = v["deployments"].as_array().cloned().unwrap_or_default();
            v["deployments"] =
                list.into_iter()
                    .chain(more.iter().map(
                        |(id, package, state)| serde_json::json!({ "id": id, "package": package, "state": state }),
                    ))
                    .collect();
        }
        print_json(&v)?;
        return match outcome {
            PromoteOutcome::Refused { .. } => Err(CliError::Silent(3)),
            _ if failed => Err(CliError::Silent(4)),
            _ if retirement_refused => Err(CliError::Silent(3)),
            _ => Ok(()),
        };
    }
    match &outcome {
        PromoteOutcome::AlreadyThere { plan } => {
            if plan.packages.is_empty() {
                outln!(
                    "Nothing to promote: every package in {} is already in {}.",
                    plan.from,
                    plan.environment
                );
            }
            for p in &plan.packages {
                outln!(
                    "{} {} is already in {}.",
                    p.package,
                    p.version.as_deref().unwrap_or(""),
                    plan.environment
                );
            }
        }
        PromoteOutcome::DryRun { plan } => {
            print_plan(plan);
            outln!("\nDry run: nothing was changed. Every gate passes.");
        }
        PromoteOutcome::Refused { plan } => {
            print_plan(plan);
            eprintln!("\nRefused: nothing was promoted.");
            return Err(CliError::Silent(3));
        }
        PromoteOutcome::Promoted {
            plan,
            commit,
            invitations,
            deployments,
        } => {
            for p in plan.packages.iter().filter(|p| !p.already) {
                outln!(
                    "Promoted {} {} → {} into {} (commit {}).",
                    p.package,
                    p.from_version.as_deref().unwrap_or("(new)"),
                    p.version.as_deref().unwrap_or("?"),
                    plan.environment,
                    &commit[..12]
                );
                if !p.rfcs.is_empty() {
                    outln!("  RFCs: {}", p.rfcs.join(", "));
                }
            }
            if *invitations > 0 {
                outln!("Invitations queued: {invitations} (delivered by `dtap serve` or `dtap mail flush`).");
            }
            match &waited {
                Some(done) => {
                    super::deploy::finish(done)?;
                    outln!("Deployed; the testers are invited (delivered by `dtap serve` or `dtap mail flush`).");
                }
                None if !deployments.is_empty() => {
                    let ids: Vec<String> = deployments.iter().map(|d| d.to_string()).collect();
                    outln!(
                        "Deployments queued: {} (run by `dtap serve` or `dtap deploy run`; the testers are invited when they succeed).",
                        ids.join(", ")
                    );
                }
                None => {}
            }
        }
    }
    if queued_only {
        print_retirements(outcome.plan());
    }
    let refused = super::retire::print_pending(&retirements);
    if !args.dry_run
        && retirements
            .iter()
            .any(|r| matches!(r.outcome, Some(RetireOutcome::Retired { .. })))
    {
        super::deploy::run_queued_here(&app).await?;
    }
    if refused {
        return Err(CliError::Silent(3));
    }
    Ok(())
}

fn parse_spec(spec: &str) -> Result<(String, Option<Version>), CliError> {
    match spec.split_once('@') {
        Some((name, v)) => {
            let v =
                Version::parse(v).map_err(|e| CliError::Usage(format!("`{v}` is not a version such as 1.4.0: {e}")))?;
            Ok((name.to_string(), Some(v)))
        }
        None => Ok((spec.to_string(), None)),
    }
}

fn print_plan(plan: &Plan) {
    for w in &plan.warnings {
        outln!("warning: {w}");
    }
    for p in &plan.packages {
        outln!(
            "{} {} → {} into {} (from {})",
            p.package,
            p.from_version.as_deref().unwrap_or("(absent)"),
            p.version.as_deref().unwrap_or("?"),
            plan.environment,
            plan.from
        );
        if p.already {
            outln!("  already there");
            continue;
        }
        let f = &p.files;
        if !f.removed.is_empty() {
            // Said before the list: a deletion reaches the CRM too, with the data it held.
            outln!(
                "  REMOVES {} file(s) from {}: they are deleted from the CRM when this is deployed",
                f.removed.len(),
                plan.environment
            );
        }
        outln!(
            "  files: {} added, {} changed, {} removed",
            f.added.len(),
            f.changed.len(),
            f.removed.len()
        );
        for (mark, list) in [("+", &f.added), ("~", &f.changed), ("-", &f.removed)] {
            for path in list.iter().take(20) {
                outln!("    {mark} {path}");
            }
            if list.len() > 20 {
                outln!("    {mark} … and {} more", list.len() - 20);
            }
        }
        outln!(
            "  RFCs: {}",
            if p.rfcs.is_empty() {
                "none".to_string()
            } else {
                p.rfcs.join(", ")
            }
        );
        print_gates(&p.gates);
    }
}

/// With `--no-wait` the retirements wait for the promotion's deployments.
fn print_retirements(plan: &Plan) {
    for r in &plan.retirements {
        outln!(
            "still to retire: {r} is in {} but no longer in {}: once the deployments succeeded, run `dtap promote --all --to {}` again (or `dtap retire {r} --env {}`)",
            plan.environment,
            plan.from,
            plan.environment,
            plan.environment
        );
    }
}

/// Each gate's verdict, and for a failed one what would satisfy it.
pub(super) fn print_gates(gates: &[crate::domain::promotion::GateVerdict]) {
    for g in gates {
        outln!(
            "  {} {:<18} {}",
            if g.passed { "ok  " } else { "FAIL" },
            g.gate,
            g.reason
        );
        if let Some(r) = &g.remedy {
            outln!("       {:<18} → {r}", "");
        }
    }
}

/// Restore a package in an environment as it was before its last promotion.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap rollback crm-core --env production --reason \"Invoices fail since 2.3.0\"\n  dtap rollback crm-core --env acceptance --to-version 2.1.0 --reason \"Back to the tested version\"\n\nA rollback is a new commit; history is never rewritten. RFCs the restored version does not carry go back to their earlier state."
)]
pub struct RollbackArgs {
    pub package: String,
    #[arg(long = "env")]
    pub environment: String,
    #[arg(long)]
    pub reason: String,
    /// Restore this version from the environment's history instead.
    #[arg(long)]
    pub to_version: Option<Version>,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

pub async fn rollback(cli: &Cli, args: &RollbackArgs) -> CliResult {
    let caller = Caller::new(cli.identity()?, Origin::Cli);
    let app = App::open(&cli.workspace).await?;
    let outcome = app
        .rollback(
            &caller,
            &RollbackRequest {
                package: args.package.clone(),
                environment: args.environment.clone(),
                reason: args.reason.clone(),
                to_version: args.to_version.clone(),
                dry_run: args.dry_run,
            },
        )
        .await?;
    if args.json {
        return print_json(&outcome);
    }
    let (plan, commit) = match &outcome {
        RollbackOutcome::DryRun { plan } => (plan, None),
        RollbackOutcome::RolledBack { plan, commit } => (plan, Some(commit)),
    };
    let restored = plan
        .restored_version
        .as_deref()
        .unwrap_or("nothing (the package is removed)");
    match commit {
        Some(c) => outln!(
            "Rolled back {} in {}: {} → {} (commit {}).",
            plan.package,
            plan.environment,
            plan.withdrawn_version.as_deref().unwrap_or("?"),
            restored,
            &c[..12]
        ),
        None => outln!(
            "Dry run: would roll back {} in {}: {} → {}.",
            plan.package,
            plan.environment,
            plan.withdrawn_version.as_deref().unwrap_or("?"),
            restored
        ),
    }
    let f = &plan.files;
    outln!(
        "  files: {} added, {} changed, {} removed",
        f.added.len(),
        f.changed.len(),
        f.removed.len()
    );
    for r in &plan.rfcs {
        outln!("  {} goes back from {} to {}", r.rfc, r.from, r.to);
    }
    if commit.is_some() {
        super::deploy::run_queued_here(&app).await?;
    }
    Ok(())
}
