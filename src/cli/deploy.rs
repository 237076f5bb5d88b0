//! `dtap deploy`: the deployments into the CRM, and waiting for them.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use super::{Cli, CliError, CliResult, outln, print_json};
use crate::app::App;
use crate::app::deploy::Progress;
use crate::app::rfcs::Caller;
use crate::domain::deploy::state::DeployState;
use crate::domain::origin::Origin;

/// Deployments into the CRM: list, inspect, retry, cancel, run.
#[derive(Debug, clap::Subcommand)]
#[command(
    after_help = "Examples:\n  dtap deploy list --env test\n  dtap deploy show 12\n  dtap deploy log 12\n  dtap deploy retry 12\n  dtap deploy run            # run what is queued (hosts without dtap serve)\n  dtap deploy validate ebikes-apex --env acceptance\n\nA refusal exits 3; a deployment that did not succeed exits 4."
)]
pub enum DeployCommand {
    /// The newest deployments first.
    List {
        #[arg(long = "env")]
        environment: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// One deployment with its steps.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// The output of each step (the last 64 KiB, secrets as ***).
    Log { id: i64 },
    /// Deploy the same commit again (while it is still the package's latest there); waits like promote.
    Retry {
        id: i64,
        #[arg(long)]
        no_wait: bool,
    },
    /// Cancel a queued deployment, or stop a running one (its step is killed).
    Cancel { id: i64 },
    /// Run the queued deployments, then exit.
    Run,
    /// Run the environment's check-only `validate:` steps against what promoting PKG would bring.
    Validate {
        package: String,
        #[arg(long = "env")]
        environment: String,
    },
}

pub async fn run(cli: &Cli, cmd: &DeployCommand) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    match cmd {
        DeployCommand::List {
            environment,
            limit,
            json,
        } => {
            let list = app.deployments(environment.as_deref(), *limit).await?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                outln!("No deployments yet.");
            }
            for d in &list {
                outln!(
                    "{:>5}  {:<12} {:<22} {:<10} {:<11} {}",
                    d.id,
                    d.environment,
                    d.package,
                    d.version.as_deref().unwrap_or("(retired)"),
                    d.state,
                    d.created_at.second()
                );
            }
            Ok(())
        }
        DeployCommand::Show { id, json } => {
            let v = app.deployment_view(*id).await?;
            if *json {
                return print_json(&v);
            }
            let d = &v.deployment;
            outln!(
                "deployment {}: {} {} into {}: {}",
                d.id,
                d.package,
                d.version.as_deref().unwrap_or("(retired)"),
                d.environment,
                d.state
            );
            outln!(
                "commit {} ({}), by {}",
                &d.commit[..12.min(d.commit.len())],
                d.action,
                d.requested_by
            );
            if let Some(e) = &d.error {
                outln!("error: {e}");
            }
            for s in &v.steps {
                outln!(
                    "  {:<11} {:<40} exit {:<4} {} ms",
                    s.state,
                    s.name,
                    s.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                    s.duration_ms.unwrap_or(0)
                );
            }
            Ok(())
        }
        DeployCommand::Log { id } => {
            let v = app.deployment_view(*id).await?;
            for s in &v.steps {
                outln!("== {} ({})", s.name, s.state);
                outln!("{}", s.output_tail);
            }
            Ok(())
        }
        DeployCommand::Retry { id, no_wait } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let new = app.retry_deployment(&caller, *id).await?;
            outln!("deployment {} queued (a retry of {id})", new[0]);
            if new.len() > 1 {
                let rest: Vec<String> = new[1..].iter().map(i64::to_string).collect();
                outln!(
                    "deployments {} queued after it: the rest of the commit its failure had cancelled",
                    rest.join(", ")
                );
            }
            if *no_wait {
                return Ok(());
            }
            finish(&wait(&app, &new, true).await?)
        }
        DeployCommand::Cancel { id } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            if app.cancel_deployment(&caller, *id).await? {
                outln!("deployment {id}: cancelled (a running step is stopped within seconds)");
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "deployment {id} already ended: nothing to cancel"
                )))
            }
        }
        DeployCommand::Validate { package, environment } => {
            let v = app.validate_promotion(package, environment).await?;
            super::promote::print_gates(std::slice::from_ref(&v));
            if v.passed { Ok(()) } else { Err(CliError::Silent(3)) }
        }
        DeployCommand::Run => {
            let done = app.run_queued_deployments(&|_: &Progress| {}).await?;
            for (id, state) in &done {
                outln!("deployment {id}: {state}");
            }
            if done.is_empty() {
                outln!("Nothing queued.");
            }
            Ok(())
        }
    }
}

/// After a rollback or retirement: runs what it queued (where the
/// environment deploys) and reports like a promotion (exit 4 on failure).
pub(super) async fn run_queued_here(app: &App) -> CliResult {
    let queued = queued_here(app).await?;
    if queued.is_empty() {
        return Ok(());
    }
    finish(&wait(app, &queued, true).await?)
}

/// Queued deployments, oldest first.
pub(super) async fn queued_here(app: &App) -> Result<Vec<i64>, CliError> {
    Ok(app
        .deployments(None, 1000)
        .await?
        .into_iter()
        .filter(|d| d.state() == DeployState::Queued)
        .map(|d| d.id)
        .rev()
        .collect())
}

/// One line per deployment; exit 4 when one did not succeed.
pub(super) fn finish(done: &[(i64, String, DeployState)]) -> CliResult {
    let mut bad = false;
    for (id, package, state) in done {
        outln!("deployment {id} ({package}): {state}");
        if *state != DeployState::Succeeded {
            bad = true;
            outln!("  see `dtap deploy log {id}`; then `dtap deploy retry {id}` or roll back");
        }
    }
    if bad { Err(CliError::Silent(4)) } else { Ok(()) }
}

/// Runs the deployments here (or waits for whichever runner has them), with
/// a progress line: deployment, step, elapsed time.
pub(super) async fn wait(app: &App, ids: &[i64], show: bool) -> Result<Vec<(i64, String, DeployState)>, CliError> {
    let bar = show.then(|| {
        let b = ProgressBar::new_spinner();
        b.enable_steady_tick(Duration::from_millis(200));
        b
    });
    let started = Instant::now();
    let progress = |p: &Progress| {
        if let Some(b) = &bar {
            b.set_message(format!(
                "deployment {} ({}): {} [{}s]",
                p.deployment,
                p.package,
                p.step,
                started.elapsed().as_secs()
            ));
        }
    };
    // Ctrl-C stops the running step (its whole process group) and leaves the
    // deployment `interrupted`; the command then reports it like a failure.
    let on_ctrl_c = {
        let (app, ids) = (app.clone(), ids.to_vec());
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupting: the running step is stopped within seconds");
                if let Err(e) = app.interrupt_deployments(&ids).await {
                    eprintln!("could not interrupt: {e}");
                }
            }
        })
    };
    let mut out = Vec::new();
    for id in ids {
        let state = match app.run_deployment(*id, &progress).await? {
            Some(s) => s,
            None => loop {
                // Another runner has it, or another deployment into the environment runs first.
                app.interrupt_stale_deployments().await?;
                let v = app.deployment_view(*id).await?;
                let s = v.deployment.state();
                if !s.is_open() {
                    break s;
                }
                if s == crate::domain::deploy::state::DeployState::Queued
                    && let Some(s) = app.run_deployment(*id, &progress).await?
                {
                    break s;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            },
        };
        let package = app.deployment_view(*id).await?.deployment.package;
        out.push((*id, package, state));
    }
    on_ctrl_c.abort();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(out)
}
