//! The deletions gate (`confirm_deletions: true`): removing components from
//! a CRM environment is the change hardest to take back (Salesforce deletes
//! the field and its data), so there a promotion that removes files says so
//! and needs `--confirm-deletions`.

use super::{Facts, GateVerdict, fail, pass};

/// How many paths a refusal names before "and N more".
const NAMED: usize = 5;

/// `None` where the environment does not ask, or nothing is removed.
pub(super) fn gate(f: &Facts<'_>) -> Option<GateVerdict> {
    if !f.to.confirm_deletions || f.removed.is_empty() {
        return None;
    }
    let n = f.removed.len();
    let what = format!("removes {n} file(s) from {}", f.to.name);
    if f.deletions_confirmed {
        return Some(pass("deletions", format!("{what}; confirmed with --confirm-deletions")));
    }
    let mut named: Vec<&str> = f.removed.iter().take(NAMED).map(String::as_str).collect();
    let more = n.saturating_sub(NAMED);
    let list = if more > 0 {
        named.push("");
        format!("{}and {more} more", named.join(", "))
    } else {
        named.join(", ")
    };
    Some(fail(
        "deletions",
        format!("{what}: {list}"),
        format!(
            "{} asks for deletions to be confirmed: check the list (`--dry-run`), then promote again with --confirm-deletions",
            f.to.name
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Case, rebuild};

    /// The fixture with production asking for deletions to be confirmed.
    fn asking() -> Case {
        let mut c = Case::new();
        let mut envs = c.p.environments().to_vec();
        for e in envs.iter_mut().filter(|e| e.name == "production") {
            e.confirm_deletions = true;
        }
        c.p = rebuild(envs);
        c
    }

    #[test]
    fn no_gate_where_the_environment_does_not_ask_or_nothing_is_removed() {
        let removed = vec!["classes/Old.cls".to_string()];
        let c = Case::new();
        let f = super::Facts {
            removed: &removed,
            ..c.facts("production")
        };
        assert!(super::gate(&f).is_none(), "not asked");
        let c = asking();
        assert!(super::gate(&c.facts("production")).is_none(), "nothing removed");
    }

    #[test]
    fn removing_files_needs_confirming_and_names_them() {
        let c = asking();
        let removed: Vec<String> = (1..=7).map(|i| format!("classes/Old{i}.cls")).collect();
        let f = super::Facts {
            removed: &removed,
            ..c.facts("production")
        };
        let g = super::gate(&f).unwrap();
        assert!(!g.passed);
        assert_eq!(
            g.reason,
            "removes 7 file(s) from production: classes/Old1.cls, classes/Old2.cls, classes/Old3.cls, classes/Old4.cls, classes/Old5.cls, and 2 more"
        );
        assert!(g.remedy.unwrap().contains("--confirm-deletions"));
        let f = super::Facts {
            removed: &removed,
            deletions_confirmed: true,
            ..c.facts("production")
        };
        assert!(super::gate(&f).unwrap().passed);
        // Through `evaluate`: the only failing gate.
        let f = super::Facts {
            removed: &removed,
            ..c.facts("production")
        };
        let failed: Vec<_> = super::super::evaluate(&f)
            .into_iter()
            .filter(|g| !g.passed)
            .map(|g| g.gate)
            .collect();
        assert_eq!(failed, ["deletions"]);
    }
}
