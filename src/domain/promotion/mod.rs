//! Gates: may this package version go into that environment now? Pure: the
//! caller gathers the facts (repo, database, clock), this decides.
//!
//! The order the gates are judged in is here, as one rule set (DESIGN §4);
//! each gate's own rule is in `gates.rs`, the tests in `tests.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use semver::Version;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::manifest::{Manifest, compare_platform};
use super::pipeline::{Environment, Gate, Pipeline};
use super::rfc::State;

mod deletions;
mod gates;
mod overwrite;
use gates::signoff_problems;
use gates::{dependency_gate, platform_gate, rfc_gate, signoff_gate, soak_gate, version_gate};
pub use overwrite::{GATE as OVERWRITE_GATE, overwrite_gate};

/// What an environment means for RFC states, by its place in the pipeline:
/// the last is production, the one before it acceptance, the second test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Develop,
    Test,
    Acceptance,
    Production,
    Other,
}

pub fn role(pipeline: &Pipeline, env: &str) -> Role {
    let envs = pipeline.environments();
    let Some(i) = envs.iter().position(|e| e.name == env) else {
        return Role::Other;
    };
    let n = envs.len();
    match i {
        0 => Role::Develop,
        _ if i + 1 == n => Role::Production,
        _ if i + 2 == n => Role::Acceptance,
        1 => Role::Test,
        _ => Role::Other,
    }
}

/// Where an RFC goes when a package carrying it leaves an environment of
/// `role` (a rollback or retirement): back to `before` (its state before
/// that package arrived, when known), but only backwards, and not at all in
/// test while another of its packages is still there (DESIGN §13: an RFC is
/// in test once any of its packages is; it is further only when all are).
pub fn state_after_withdrawal(role: Role, current: State, before: Option<State>, remaining: bool) -> Option<State> {
    let fallback = match role {
        Role::Acceptance => matches!(current, State::InAcceptance | State::Accepted).then_some(State::InTest),
        Role::Production => (current == State::Released).then_some(State::Accepted),
        _ => None,
    };
    if role == Role::Test && remaining {
        return None;
    }
    let to = before.or(fallback)?;
    match (to.rank(), current.rank()) {
        (Some(to_rank), Some(now)) if to_rank < now => Some(to),
        _ => None,
    }
}

/// The least advanced state an RFC must be in for its package to enter an
/// environment of this role ("approved or later" into test, ...).
pub fn min_state(role: Role) -> Option<State> {
    match role {
        Role::Develop => None,
        Role::Test => Some(State::Approved),
        Role::Other => Some(State::InTest),
        Role::Acceptance => Some(State::InTest),
        Role::Production => Some(State::Accepted),
    }
}

/// Sign-off facts of one RFC in one environment, for the promoted tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignoffFacts {
    pub testers: Vec<String>,
    /// Testers whose latest verdict on this tree is approve.
    pub approved: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfcFacts {
    pub id: String,
    /// `None`: no such RFC.
    pub state: Option<State>,
    /// environment → sign-offs there on the promoted tree.
    pub signoffs: BTreeMap<String, SignoffFacts>,
}

/// Everything the gates look at.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub package: &'a str,
    pub pipeline: &'a Pipeline,
    pub from: &'a Environment,
    pub to: &'a Environment,
    pub source: &'a Manifest,
    pub source_tree: &'a str,
    /// What the target holds now: version (if readable) and tree.
    pub target: Option<(Option<&'a Version>, &'a str)>,
    pub rfcs: Vec<RfcFacts>,
    /// Versions in the target environment after this promotion (batch included).
    pub target_versions: BTreeMap<String, Version>,
    /// When this tree arrived in the previous environment.
    pub arrived: Option<OffsetDateTime>,
    /// Who brought it into the previous environment (promoter, or author of a hand commit).
    pub previous_promoter: Option<String>,
    pub promoter: &'a str,
    pub may_promote: bool,
    pub may_emergency: bool,
    pub emergency: Option<&'a str>,
    pub now: OffsetDateTime,
    /// Unacknowledged hand-made commits in the target folder.
    pub drift: Vec<String>,
    /// ... and in the source folder (empty for the first environment, which is edited by hand).
    pub source_drift: Vec<String>,
    /// Deployments into the target and of the package in the source.
    pub deployments: crate::domain::deploy::gate::DeployFacts,
    /// Paths (relative to the package) the promotion removes from the target.
    pub removed: &'a [String],
    /// The promoter confirmed them (`--confirm-deletions`).
    pub deletions_confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateVerdict {
    pub gate: String,
    pub passed: bool,
    pub reason: String,
    /// What would satisfy the gate, when it failed.
    pub remedy: Option<String>,
}

fn pass(gate: &str, reason: impl Into<String>) -> GateVerdict {
    GateVerdict {
        gate: gate.into(),
        passed: true,
        reason: reason.into(),
        remedy: None,
    }
}

fn fail(gate: &str, reason: impl Into<String>, remedy: impl Into<String>) -> GateVerdict {
    GateVerdict {
        gate: gate.into(),
        passed: false,
        reason: reason.into(),
        remedy: Some(remedy.into()),
    }
}

/// Is the package already exactly there?
pub fn already_there(f: &Facts<'_>) -> bool {
    f.target.is_some_and(|(_, tree)| tree == f.source_tree)
}

/// Evaluates every gate; the promotion may go ahead when all passed.
pub fn evaluate(f: &Facts<'_>) -> Vec<GateVerdict> {
    let mut v = Vec::new();
    let to = &f.to.name;
    let role = role(f.pipeline, to);

    // Always enforced.
    v.push(if f.may_promote {
        pass("permission", format!("{} may promote into {to}", f.promoter))
    } else {
        fail(
            "permission",
            format!("{} lacks permission promote.{to}", f.promoter),
            format!("ask a change manager to give you a role with promote.{to} in access.yaml"),
        )
    });
    v.push(match f.pipeline.previous(to) {
        Some(p) if p.name == f.from.name => pass("order", format!("{} comes directly before {to}", f.from.name)),
        Some(p) => fail(
            "order",
            format!("{to} takes packages from {} only, not from {}", p.name, f.from.name),
            format!("promote into {} first", p.name),
        ),
        None => fail(
            "order",
            format!("nothing comes before {to}"),
            "commit changes to this environment's folder in the config repo instead",
        ),
    });
    v.push(version_gate(f));
    if f.to.deploy.is_some() || f.from.deploy.is_some() || f.deployments != Default::default() {
        v.extend(crate::domain::deploy::gate::gate(
            &f.deployments,
            &f.from.name,
            to,
            f.package,
        ));
    }
    v.push(rfc_gate(f, role));
    v.extend(deletions::gate(f));
    v.push(dependency_gate(f));
    if let Some(g) = platform_gate(f) {
        v.push(g);
    }
    v.push(if f.drift.is_empty() {
        pass("drift", format!("no hand-made changes in {to}"))
    } else {
        fail(
            "drift",
            format!(
                "{to} was changed by hand in {} commit(s) outside dtap ({})",
                f.drift.len(),
                short(&f.drift)
            ),
            format!("review them, then `dtap drift ack {to} --reason TEXT` (permission drift.ack)"),
        )
    });

    if !f.source_drift.is_empty() {
        v.push(fail(
            "drift",
            format!(
                "{} was changed by hand in {} commit(s) outside dtap ({}): what would move on is not what was promoted and tested there",
                f.from.name,
                f.source_drift.len(),
                short(&f.source_drift)
            ),
            format!("review them, then `dtap drift ack {} --reason TEXT` (permission drift.ack)", f.from.name),
        ));
    }

    // Sign-off: the environment's own gates, and production always needs acceptance's.
    let mut signoff_envs: Vec<String> =
        f.to.gates
            .iter()
            .filter_map(|g| match g {
                Gate::Signoff { environment } => Some(environment.clone()),
                _ => None,
            })
            .collect();
    if role == Role::Production
        && let Some(acc) = f.pipeline.previous(to)
        && !signoff_envs.contains(&acc.name)
        && role_of_prev_is_acceptance(f)
    {
        signoff_envs.push(acc.name.clone());
    }
    for env in &signoff_envs {
        v.push(signoff_gate(f, env));
    }

    // Configurable, and bypassed by a recorded emergency.
    let too_long = f
        .emergency
        .is_some_and(|r| r.chars().count() > crate::domain::limits::REASON);
    let emergency = f.emergency.filter(|r| !r.trim().is_empty() && !too_long);
    if f.emergency.is_some() {
        v.push(match (emergency, f.may_emergency) {
            (Some(r), true) => pass("emergency", format!("emergency change: {r}")),
            (None, _) => fail(
                "emergency",
                if too_long {
                    "the --reason is longer than 2000 characters"
                } else {
                    "--emergency needs a reason"
                },
                "pass --reason TEXT saying why this cannot wait",
            ),
            (Some(_), false) => fail(
                "emergency",
                format!("{} lacks permission emergency", f.promoter),
                "ask a release manager with the emergency permission",
            ),
        });
    }
    let bypass = emergency.is_some() && f.may_emergency;
    for g in &f.to.gates {
        if let Gate::MinSoak { duration } = g {
            v.push(soak_gate(f, *duration, bypass));
        }
    }
    let today = f.now.date();
    match f.to.freeze.iter().find(|w| w.covers(today)) {
        Some(w) if bypass => v.push(pass(
            "freeze",
            format!("{to} is frozen until {} ({}), bypassed as an emergency", w.to, w.reason),
        )),
        Some(w) => v.push(fail(
            "freeze",
            format!(
                "{to} is frozen from {} to {}{}",
                w.from,
                w.to,
                if w.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", w.reason)
                }
            ),
            format!(
                "wait until {}, or use --emergency with a reason (permission emergency)",
                next_day(w.to)
            ),
        )),
        None if !f.to.freeze.is_empty() => v.push(pass("freeze", format!("{to} is not frozen today"))),
        None => {}
    }
    if f.to.four_eyes {
        v.push(match &f.previous_promoter {
            Some(p) if p.eq_ignore_ascii_case(f.promoter) => fail(
                "four_eyes",
                format!(
                    "{} brought this version into {}, so another person must promote it into {to}",
                    p, f.from.name
                ),
                "ask another release manager to promote",
            ),
            _ => pass(
                "four_eyes",
                "the promoter differs from whoever brought it into the previous environment",
            ),
        });
    }
    v
}

fn role_of_prev_is_acceptance(f: &Facts<'_>) -> bool {
    f.pipeline
        .previous(&f.to.name)
        .is_some_and(|p| role(f.pipeline, &p.name) == Role::Acceptance)
}

fn next_day(d: Date) -> Date {
    d.next_day().unwrap_or(d)
}

fn short(ids: &[String]) -> String {
    ids.iter()
        .map(|c| c.chars().take(10).collect::<String>())
        .collect::<Vec<_>>()
        .join(", ")
}

mod retire;
#[cfg(test)]
mod tests;

pub use retire::{RetireFacts, evaluate_retirement};
