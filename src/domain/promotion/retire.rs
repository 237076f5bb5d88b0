//! The gates of a retirement (DESIGN §13, §15): a package leaves an
//! environment on purpose, in order (an environment retires only what the
//! previous one no longer holds), by someone who may promote there, for the
//! named RFCs signed off where their promotions would need it, never while
//! the environment has unreviewed hand-made changes or is frozen, and never
//! from under a package that depends on it.

use time::OffsetDateTime;

use super::{GateVerdict, RfcFacts, fail, min_state, pass, role, signoff_problems};
use crate::domain::pipeline::{Environment, Pipeline};
use crate::domain::rfc::State;

/// Everything the retirement gates look at.
#[derive(Debug, Clone)]
pub struct RetireFacts<'a> {
    pub package: &'a str,
    pub pipeline: &'a Pipeline,
    pub to: &'a Environment,
    /// The previous environment, and whether it still holds the package.
    pub previous: Option<(&'a Environment, bool)>,
    /// The RFCs named with `--rfc`.
    pub rfcs: Vec<RfcFacts>,
    /// Environments whose sign-off a promotion into `to` needs.
    pub signoff_envs: Vec<String>,
    /// Packages in `to` whose manifest depends on this one.
    pub dependents: Vec<String>,
    pub retirer: &'a str,
    pub may_promote: bool,
    pub reason: &'a str,
    pub drift: Vec<String>,
    pub now: OffsetDateTime,
}

pub fn evaluate_retirement(f: &RetireFacts<'_>) -> Vec<GateVerdict> {
    let to = &f.to.name;
    let mut v = Vec::new();
    v.push(if f.may_promote {
        pass("permission", format!("{} may retire from {to}", f.retirer))
    } else {
        fail(
            "permission",
            format!("{} lacks permission promote.{to}", f.retirer),
            format!("ask a change manager to give you a role with promote.{to} in access.yaml"),
        )
    });
    v.push(match f.previous {
        None => fail(
            "order",
            format!("nothing comes before {to}: it is edited by hand"),
            format!(
                "delete the folder with a commit in the config repo; then retire it from the environments after {to}"
            ),
        ),
        Some((p, true)) => fail(
            "order",
            format!(
                "{} still holds {}: environments retire a package in order",
                p.name, f.package
            ),
            format!(
                "retire it from {} first (`dtap retire {} --env {}`)",
                p.name, f.package, p.name
            ),
        ),
        Some((p, false)) => pass("order", format!("{} no longer holds {}", p.name, f.package)),
    });
    v.push(if f.reason.trim().is_empty() {
        fail(
            "reason",
            "a retirement needs a reason",
            "pass --reason TEXT saying why the package goes",
        )
    } else {
        pass("reason", f.reason.trim().to_string())
    });
    v.push(rfc_gate(f));
    for env in &f.signoff_envs {
        let gate = format!("signoff:{env}");
        let problems = signoff_problems(&f.rfcs, env);
        v.push(if f.rfcs.is_empty() || problems.is_empty() {
            pass(&gate, format!("every appointed tester approved the change in {env}"))
        } else {
            fail(
                &gate,
                problems.join("; "),
                format!("the testers in {env} approve what is left there after the package went; wait for them"),
            )
        });
    }
    v.push(if f.dependents.is_empty() {
        pass("dependencies", format!("nothing in {to} depends on {}", f.package))
    } else {
        fail(
            "dependencies",
            format!("{} in {to} depend(s) on {}", f.dependents.join(", "), f.package),
            "promote versions of them without that dependency first, or retire them too",
        )
    });
    v.push(if f.drift.is_empty() {
        pass("drift", format!("no hand-made changes in {to}"))
    } else {
        fail(
            "drift",
            format!("{to} was changed by hand in {} commit(s) outside dtap", f.drift.len()),
            format!("review them, then `dtap drift ack {to} --reason TEXT` (permission drift.ack)"),
        )
    });
    let today = f.now.date();
    if let Some(w) = f.to.freeze.iter().find(|w| w.covers(today)) {
        v.push(fail(
            "freeze",
            format!("{to} is frozen from {} to {}", w.from, w.to),
            format!("wait until the freeze ends ({})", w.to),
        ));
    }
    v
}

fn rfc_gate(f: &RetireFacts<'_>) -> GateVerdict {
    let to = &f.to.name;
    if f.rfcs.is_empty() {
        return if f.to.require_rfc {
            fail(
                "rfcs",
                format!("every change to {to} must trace to a request, a retirement too"),
                format!(
                    "name the RFC that retires it: `--rfc RFC-n` (for example the one whose packages replace {})",
                    f.package
                ),
            )
        } else {
            pass("rfcs", format!("{to} accepts changes without RFCs"))
        };
    }
    let min = min_state(role(f.pipeline, to));
    let mut problems = Vec::new();
    for r in &f.rfcs {
        match r.state {
            None => problems.push(format!("{} does not exist", r.id)),
            // A retirement never moves a released or closed RFC, so it may not name one.
            Some(s @ (State::Released | State::Closed)) => problems.push(format!(
                "{} is {}: name an open RFC (a follow-up: `dtap rfc new --follows {}`)",
                r.id,
                s.label().to_lowercase(),
                r.id
            )),
            Some(s) if min.is_some_and(|m| s.rank().is_none_or(|rank| Some(rank) < m.rank())) => {
                problems.push(format!("{} is {}", r.id, s.label().to_lowercase()))
            }
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        let ids: Vec<&str> = f.rfcs.iter().map(|r| r.id.as_str()).collect();
        pass("rfcs", format!("{} retire(s) it", ids.join(", ")))
    } else {
        let need = min.map(|m| format!("; {to} takes RFCs that are {} or further", m.label().to_lowercase()));
        fail(
            "rfcs",
            format!("{}{}", problems.join("; "), need.unwrap_or_default()),
            "name another RFC with --rfc",
        )
    }
}
