//! `dtap drift check|adopt --live`: the CRM against its folder (DESIGN §14).

use super::{CliError, CliResult, outln, print_json};
use crate::app::App;
use crate::app::deploy::ExportFailed;
use crate::app::drift::live::{LiveAdoptOutcome, LiveCheck};
use crate::app::rfcs::Caller;

/// Exit 0 when the CRM matches, 3 when it differs, 4 when the export failed.
pub async fn check(app: &App, live: bool, env: &str, package: Option<&str>, json: bool) -> CliResult {
    if !live {
        return Err(CliError::Usage(format!(
            "drift check compares the CRM itself: `dtap drift check --live {env}`; hand-made commits show in `dtap drift list`"
        )));
    }
    no_export_is_usage(app, env)?;
    let report = match app.check_live_drift(env, package).await? {
        LiveCheck::Compared(r) => r,
        LiveCheck::ExportFailed(f) => return export_failed(env, &f),
    };
    if json {
        print_json(&report)?;
    } else {
        for p in &report.packages {
            let rows = [("changed", &p.changed), ("added", &p.added), ("missing", &p.missing)];
            for (kind, files) in rows {
                for f in files {
                    outln!("{}  {kind:<8} {f}", p.package);
                }
            }
        }
        if report.differs() {
            outln!(
                "\nThe CRM of {env} differs from its folder. Take its change into develop: dtap drift adopt --live {env} PACKAGE; \
                 or review it and: dtap drift ack --live {env} --reason TEXT"
            );
        } else {
            outln!("No live drift: the CRM of {env} matches its folder.");
        }
    }
    if report.differs() {
        return Err(CliError::Silent(3));
    }
    Ok(())
}

pub async fn adopt(
    app: &App,
    caller: &Caller,
    env: &str,
    package: &str,
    reason: Option<&str>,
    json: bool,
) -> CliResult {
    no_export_is_usage(app, env)?;
    let o: LiveAdoptOutcome = match app.adopt_live_drift(caller, env, package, reason).await? {
        Ok(o) => o,
        Err(f) => return export_failed(env, &f),
    };
    if json {
        return print_json(&o);
    }
    for f in &o.adopted.changed {
        outln!("{package}  changed  {f}");
    }
    for f in &o.adopted.added {
        outln!("{package}  added    {f}");
    }
    for f in &o.adopted.missing {
        outln!("{package}  removed  {f}");
    }
    outln!(
        "\nAdopted the CRM's version from {env} into {} as {package} {} → {} (commit {}).",
        o.into,
        o.from_version,
        o.version,
        &o.commit[..o.commit.len().min(12)]
    );
    outln!(
        "Promote it onward as usual: dtap promote {package} --to {}",
        o.next.as_deref().unwrap_or("<next environment>")
    );
    Ok(())
}

/// An environment without `export:` steps is a usage error (exit 2).
fn no_export_is_usage(app: &App, env: &str) -> CliResult {
    if let Some(e) = app.workspace().pipeline.get(env)
        && e.deploy.as_ref().is_none_or(|d| d.export.is_empty())
    {
        return Err(CliError::Usage(format!(
            "{env} has no `export:` steps, so dtap cannot read its CRM: add `export:` under `deploy:` in \
             environments/{env}.yaml (steps writing one folder per package into {{out_dir}}), then run this again"
        )));
    }
    Ok(())
}

fn export_failed(env: &str, f: &ExportFailed) -> CliResult {
    let tail: Vec<&str> = f.output.lines().rev().take(20).collect();
    eprintln!("export step `{}` for {env} {}:", f.step, f.state);
    for l in tail.into_iter().rev() {
        eprintln!("  {l}");
    }
    Err(CliError::Silent(4))
}
