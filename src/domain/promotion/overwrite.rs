//! The `drift_overwrite` gate: a promotion that would remove a hand-made
//! change in the target environment needs `--overwrite-drift` with a reason
//! (DESIGN §4). Acknowledging drift never licenses overwriting it. Kept
//! beside the other gates so a dry run and a refusal show it the same way.

use super::{GateVerdict, fail, pass};
use crate::domain::drift::Undone;

pub const GATE: &str = "drift_overwrite";

/// `overwrite`: `Some(reason)` when `--overwrite-drift` was given (the
/// reason may be empty). `None` when the promotion undoes no hand-made change.
pub fn overwrite_gate(to: &str, package: &str, undone: &[Undone], overwrite: Option<&str>) -> Option<GateVerdict> {
    if undone.is_empty() {
        return None;
    }
    let what = undone.iter().map(Undone::describe).collect::<Vec<_>>().join("; ");
    let commits = if undone.len() == 1 { "commit" } else { "commits" };
    Some(match overwrite.map(str::trim) {
        Some(reason) if !reason.is_empty() => pass(
            GATE,
            format!("overwrites the hand-made change in {to}, {commits} {what}, on purpose: {reason}"),
        ),
        Some(_) => fail(
            GATE,
            format!("this removes the hand-made change in {to}, {commits} {what}"),
            "--overwrite-drift needs --reason TEXT saying why the hand-made change may go",
        ),
        None => fail(
            GATE,
            format!("this removes the hand-made change in {to}, {commits} {what}"),
            format!(
                "carry it into develop first with `dtap drift adopt {to} {package}` and promote that version, \
                 or overwrite it on purpose with --overwrite-drift --reason TEXT"
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hotfix() -> Vec<Undone> {
        vec![Undone {
            commit: "0123456789abcdef".into(),
            summary: "Hotfix INC-7".into(),
            files: vec!["classes/OrderController.cls".into()],
        }]
    }

    #[test]
    fn nothing_undone_means_no_gate() {
        assert_eq!(overwrite_gate("production", "ebikes", &[], None), None);
        assert_eq!(overwrite_gate("production", "ebikes", &[], Some("why")), None);
    }

    #[test]
    fn undoing_a_hand_change_fails_naming_commit_and_files_and_both_ways_out() {
        let g = overwrite_gate("production", "ebikes", &hotfix(), None).unwrap();
        assert!(!g.passed);
        assert_eq!(g.gate, "drift_overwrite");
        assert_eq!(
            g.reason,
            "this removes the hand-made change in production, commit 0123456789 (\"Hotfix INC-7\"): classes/OrderController.cls"
        );
        let remedy = g.remedy.unwrap();
        assert!(remedy.contains("dtap drift adopt production ebikes"), "{remedy}");
        assert!(remedy.contains("--overwrite-drift --reason TEXT"), "{remedy}");
    }

    #[test]
    fn overwriting_needs_a_reason() {
        let g = overwrite_gate("production", "ebikes", &hotfix(), Some("  ")).unwrap();
        assert!(!g.passed);
        assert!(g.remedy.unwrap().contains("needs --reason"));
        let g = overwrite_gate("production", "ebikes", &hotfix(), Some("INC-7 fixed properly in 1.2.0")).unwrap();
        assert!(g.passed, "{g:?}");
        assert!(
            g.reason.contains("on purpose: INC-7 fixed properly in 1.2.0"),
            "{}",
            g.reason
        );
        assert!(g.reason.contains("0123456789"), "{}", g.reason);
    }
}
