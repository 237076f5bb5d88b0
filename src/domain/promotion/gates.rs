//! Each gate of a promotion on its own: what it checks in the facts, and
//! what would satisfy it when it fails. `evaluate` (in `mod.rs`) decides
//! which apply and in what order.

use super::*;

pub(super) fn version_gate(f: &Facts<'_>) -> GateVerdict {
    let new = &f.source.version;
    match f.target {
        None => pass("version", format!("{new} is the first version in {}", f.to.name)),
        Some((None, _)) => pass(
            "version",
            format!("{new} replaces a package whose manifest cannot be read"),
        ),
        Some((Some(old), _)) if new > old => pass("version", format!("{old} → {new}")),
        Some((Some(old), _)) if new == old => fail(
            "version",
            format!("{} holds {old} with other content than {} has", f.to.name, f.from.name),
            format!(
                "bump the version in {}/{}/package.yaml (e.g. to {}) and promote it through the pipeline",
                f.pipeline.first().map(|e| e.path.as_str()).unwrap_or("develop"),
                f.package,
                bump(old)
            ),
        ),
        Some((Some(old), _)) => fail(
            "version",
            format!(
                "{new} is older than {old} in {}: a version never goes backwards",
                f.to.name
            ),
            format!(
                "use `dtap rollback {} --env {} --reason TEXT` to go back on purpose",
                f.package, f.to.name
            ),
        ),
    }
}

pub(super) fn bump(v: &Version) -> Version {
    Version::new(v.major, v.minor, v.patch + 1)
}

pub(super) fn rfc_gate(f: &Facts<'_>, role: Role) -> GateVerdict {
    let to = &f.to.name;
    if f.rfcs.is_empty() {
        return if f.to.require_rfc {
            fail(
                "rfcs",
                format!(
                    "{} {} lists no RFC, and every change into {to} must trace to a request",
                    f.package, f.source.version
                ),
                format!("link an approved RFC: `dtap rfc link RFC-n --package {}`", f.package),
            )
        } else {
            pass("rfcs", format!("{to} accepts packages without RFCs"))
        };
    }
    // A released or closed RFC takes no new version, whatever the environment.
    let done: Vec<&RfcFacts> = f
        .rfcs
        .iter()
        .filter(|r| matches!(r.state, Some(State::Released | State::Closed)))
        .collect();
    if let Some(r) = done.first() {
        let listed: Vec<String> = done
            .iter()
            .map(|r| {
                format!(
                    "{} is {}",
                    r.id,
                    r.state.map(|s| s.label().to_lowercase()).unwrap_or_default()
                )
            })
            .collect();
        return fail(
            "rfcs",
            format!(
                "{}: a released or closed RFC takes no new version ({} {} names it)",
                listed.join("; "),
                f.package,
                f.source.version
            ),
            format!(
                "file a follow-up with `dtap rfc new --follows {}` and name that in rfcs:, or reopen it with `dtap rfc move {} reopen`",
                r.id, r.id
            ),
        );
    }
    let Some(min) = min_state(role) else {
        return pass("rfcs", format!("{to} accepts RFCs in any state"));
    };
    let mut problems = Vec::new();
    for r in &f.rfcs {
        match r.state {
            None => problems.push(format!("{} does not exist", r.id)),
            Some(s) if s.rank().is_some_and(|rank| Some(rank) >= min.rank()) => {}
            Some(s) => problems.push(format!("{} is {}", r.id, s.label().to_lowercase())),
        }
    }
    if problems.is_empty() {
        let ids: Vec<&str> = f.rfcs.iter().map(|r| r.id.as_str()).collect();
        pass("rfcs", format!("{} may enter {to}", ids.join(", ")))
    } else {
        fail(
            "rfcs",
            format!(
                "{}; {to} takes RFCs that are {} or further",
                problems.join("; "),
                min.label().to_lowercase()
            ),
            "fix the RFCs' states first, or remove them from the manifest's rfcs",
        )
    }
}

pub(super) fn dependency_gate(f: &Facts<'_>) -> GateVerdict {
    let mut missing = Vec::new();
    for (dep, req) in &f.source.depends_on {
        match f.target_versions.get(dep) {
            Some(v) if req.matches(v) => {}
            Some(v) => missing.push(format!("{dep} {req} (has {v})")),
            None => missing.push(format!("{dep} {req} (absent)")),
        }
    }
    if missing.is_empty() {
        pass(
            "dependencies",
            if f.source.depends_on.is_empty() {
                "no dependencies".to_string()
            } else {
                "every dependency is there".to_string()
            },
        )
    } else {
        fail(
            "dependencies",
            format!("{} needs in {}: {}", f.package, f.to.name, missing.join(", ")),
            "promote those packages into this environment first, or promote them together with --all",
        )
    }
}

pub(super) fn platform_gate(f: &Facts<'_>) -> Option<GateVerdict> {
    let need = f.source.requires_platform.as_deref()?;
    let have = f.to.platform_version.as_deref()?;
    Some(match compare_platform(need, have) {
        Some(std::cmp::Ordering::Greater) => fail(
            "platform",
            format!("{} needs CRM platform {need}, {} runs {have}", f.package, f.to.name),
            format!(
                "upgrade {} to platform {need} first (and set platform_version in its environment file)",
                f.to.name
            ),
        ),
        _ => pass("platform", format!("needs {need}, {} runs {have}", f.to.name)),
    })
}

/// What keeps the RFCs' current rounds in `env` from counting as approved.
pub(crate) fn signoff_problems(rfcs: &[RfcFacts], env: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for r in rfcs {
        let facts = r.signoffs.get(env).cloned().unwrap_or_default();
        if facts.testers.is_empty() {
            problems.push(format!("{} has no tester appointed in {env}", r.id));
            continue;
        }
        let waiting: Vec<&str> = facts
            .testers
            .iter()
            .filter(|t| !facts.approved.contains(t))
            .map(String::as_str)
            .collect();
        if !waiting.is_empty() {
            problems.push(format!("{} awaits approval in {env} by {}", r.id, waiting.join(", ")));
        }
    }
    problems
}

pub(super) fn signoff_gate(f: &Facts<'_>, env: &str) -> GateVerdict {
    let gate = format!("signoff:{env}");
    let problems = signoff_problems(&f.rfcs, env);
    if f.rfcs.is_empty() {
        return pass(&gate, "no RFCs to sign off");
    }
    if problems.is_empty() {
        pass(
            &gate,
            format!(
                "every appointed tester approved in {env}, on tree {}",
                &f.source_tree[..f.source_tree.len().min(10)]
            ),
        )
    } else {
        fail(
            &gate,
            problems.join("; "),
            format!(
                "appoint testers with `dtap rfc testers RFC-n --env {env} --add EMAIL` and wait for their approval of this exact version"
            ),
        )
    }
}

pub(super) fn soak_gate(f: &Facts<'_>, min: Duration, bypass: bool) -> GateVerdict {
    let need = crate::domain::duration::format(min);
    let Some(arrived) = f.arrived else {
        return fail(
            "min_soak",
            format!("cannot tell when this version reached {}", f.from.name),
            "promote it through dtap",
        );
    };
    let stayed = f.now - arrived;
    let stayed_std = Duration::from_secs(stayed.whole_seconds().max(0) as u64);
    if stayed_std >= min {
        pass(
            "min_soak",
            format!(
                "stayed {} in {} (needs {need})",
                crate::domain::duration::format(stayed_std),
                f.from.name
            ),
        )
    } else if bypass {
        pass(
            "min_soak",
            format!(
                "stayed {} of {need} in {}, bypassed as an emergency",
                crate::domain::duration::format(stayed_std),
                f.from.name
            ),
        )
    } else {
        let ready = arrived + time::Duration::seconds(min.as_secs() as i64);
        fail(
            "min_soak",
            format!(
                "stayed only {} in {} (needs {need})",
                crate::domain::duration::format(stayed_std),
                f.from.name
            ),
            format!(
                "wait until {} UTC, or use --emergency with a reason",
                ready
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            ),
        )
    }
}
