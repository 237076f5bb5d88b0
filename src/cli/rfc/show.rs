//! `dtap rfc show`: one RFC with its answers, testers, test plan and timeline.

use super::rfc_id;
use crate::app::App;
use crate::app::rfcs::{Caller, RfcView};
use crate::cli::{Cli, CliResult, outln, print_json};
use crate::domain::origin::Origin;

pub(super) async fn show(app: &App, cli: &Cli, id: &str, json: bool) -> CliResult {
    let caller = Caller::new(cli.reader()?, Origin::Cli);
    let view = app.rfc_view(&caller, rfc_id(id)?).await?;
    if json {
        return print_json(&view);
    }
    print_view(app, &view);
    Ok(())
}

fn print_view(app: &App, v: &RfcView) {
    let r = &v.rfc;
    outln!("{}  {}", r.id, r.title);
    outln!("state:      {} ({})", r.state.label(), r.state);
    outln!("template:   {} ({})", v.template_title, r.template);
    outln!("requester:  {}", r.requester);
    if !r.department.is_empty() {
        outln!("department: {}", r.department);
    }
    if let Some(f) = r.follows {
        outln!("follows:    {f}");
    }
    let envs: Vec<&str> = app.workspace().pipeline.names().collect();
    for (i, p) in v.packages.iter().enumerate() {
        let cells: Vec<String> = envs
            .iter()
            .map(|env| format!("{env} {}", p.versions.get(*env).map(String::as_str).unwrap_or("-")))
            .collect();
        let head = if i == 0 { "packages:" } else { "" };
        outln!("{head:<12}{} ({})", p.name, cells.join(", "));
    }
    if v.packages.is_empty() {
        outln!(
            "packages:   none yet: name {} in a package's rfcs: (or `dtap rfc link {} --package NAME`)",
            r.id,
            r.id
        );
    }
    outln!();
    let template = app.workspace().template(&r.template);
    for (id, label, _) in crate::domain::rfc::fields::CORE {
        if let Some(t) = r.field_text(id) {
            outln!("{label}: {t}");
        }
    }
    if let Some(t) = template {
        for f in &t.fields {
            if let Some(value) = r.field_text(&f.id) {
                outln!("{}: {value}", f.label);
            }
        }
    }
    if !v.testers.is_empty() {
        outln!("\nTesters:");
        for t in &v.testers {
            outln!("  {:<12} {}", t.environment, t.email);
        }
    }
    if !v.test_cases.is_empty() {
        outln!("\nTest plan:");
        for c in &v.test_cases {
            outln!("  [{}] {} ({})", c.environment, c.title, c.kind);
        }
    }
    for w in &v.overlaps {
        outln!("warning:    {w}");
    }
    let current: Vec<_> = v.rounds.iter().filter(|r| r.current).collect();
    if !current.is_empty() {
        outln!("\nSign-off rounds:");
        for r in current {
            let set: Vec<String> = r.packages.iter().map(|(p, ver)| format!("{p} {ver}")).collect();
            outln!(
                "  {:<12} {} (since {})",
                r.environment,
                set.join(", "),
                r.started_at.second()
            );
        }
    }
    outln!("\nTimeline:");
    for e in &v.timeline {
        let states = match (&e.from_state, &e.to_state) {
            (Some(f), Some(t)) => format!(" {f} → {t}"),
            (None, Some(t)) => format!(" → {t}"),
            _ => String::new(),
        };
        let detail = if e.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", e.detail)
        };
        outln!("  {}  {:<22} {}{states}{detail}", e.at.second(), e.actor, e.kind);
    }
}
