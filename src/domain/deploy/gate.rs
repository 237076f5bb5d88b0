//! The deployment gate (DESIGN §14): one deployment at a time per
//! environment, none into an environment whose latest deployment did not
//! succeed, and a package moves on only from where its tree was deployed.

use serde::Serialize;

use crate::domain::promotion::GateVerdict;

/// A deployment as the gate sees it: id, package, state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployRef {
    pub id: i64,
    pub package: String,
    pub state: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployFacts {
    /// Queued or running deployments into the target.
    pub target_open: Vec<DeployRef>,
    /// Packages in the target whose latest deployment did not succeed.
    pub target_bad: Vec<DeployRef>,
    /// Where the source environment deploys: the package's latest deployment
    /// there, unless its tree is deployed (`None` also when nothing was ever
    /// deployed there: trees from before `deploy:` count as deployed).
    pub source_undeployed: Option<DeployRef>,
}

/// `None` when neither environment deploys and nothing ever did.
pub fn gate(f: &DeployFacts, from: &str, to: &str, package: &str) -> Option<GateVerdict> {
    let verdict = |passed: bool, reason: String, remedy: Option<String>| GateVerdict {
        gate: "deployment".into(),
        passed,
        reason,
        remedy,
    };
    if let Some(d) = f.target_open.first() {
        return Some(verdict(
            false,
            format!(
                "deployment {} of {} into {to} is {}: one deployment at a time",
                d.id, d.package, d.state
            ),
            Some(format!(
                "wait for it (`dtap deploy show {}`), or cancel it (`dtap deploy cancel {}`)",
                d.id, d.id
            )),
        ));
    }
    if let Some(d) = f.target_bad.first() {
        return Some(verdict(
            false,
            format!(
                "deployment {} of {} into {to} {}: {to} may not hold what its folder says",
                d.id, d.package, d.state
            ),
            Some(format!(
                "`dtap deploy log {}`, fix the cause and `dtap deploy retry {}`, or roll {} back in {to}",
                d.id, d.id, d.package
            )),
        ));
    }
    if let Some(d) = &f.source_undeployed {
        return Some(verdict(
            false,
            format!(
                "{package} was not deployed in {from}: its latest deployment there, {}, is {}",
                d.id, d.state
            ),
            Some(format!("deploy it in {from} first (`dtap deploy retry {}`)", d.id)),
        ));
    }
    Some(verdict(
        true,
        format!("{to} is deployed and free; {package} was deployed in {from}"),
        None,
    ))
}

/// A waiting promotion into an environment whose steps need secrets: each
/// must be there before the commit is made.
pub fn secrets_gate(missing: Option<&str>) -> GateVerdict {
    GateVerdict {
        gate: "secrets".into(),
        passed: missing.is_none(),
        reason: missing
            .map(str::to_string)
            .unwrap_or_else(|| "every secret the steps need is there".into()),
        remedy: missing.map(|_| "provide it, or promote with --no-wait and let the runner that has it deploy".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: i64, state: &str) -> DeployRef {
        DeployRef {
            id,
            package: "ebikes-apex".into(),
            state: state.into(),
        }
    }

    #[test]
    fn a_running_or_failed_deployment_or_an_undeployed_source_refuses() {
        assert!(gate(&DeployFacts::default(), "develop", "test", "p").unwrap().passed);
        let open = DeployFacts {
            target_open: vec![r(7, "running")],
            ..Default::default()
        };
        let g = gate(&open, "develop", "test", "p").unwrap();
        assert!(!g.passed && g.reason.contains("deployment 7") && g.remedy.unwrap().contains("dtap deploy cancel 7"));
        let bad = DeployFacts {
            target_bad: vec![r(8, "timed_out")],
            ..Default::default()
        };
        let g = gate(&bad, "develop", "test", "p").unwrap();
        assert!(!g.passed && g.remedy.unwrap().contains("dtap deploy retry 8"));
        let src = DeployFacts {
            source_undeployed: Some(r(9, "failed")),
            ..Default::default()
        };
        let g = gate(&src, "test", "acceptance", "ebikes-apex").unwrap();
        assert!(!g.passed && g.reason.contains("was not deployed in test"));
    }
}
