//! Sign-off rounds (DESIGN §13): the tester tests the change, not a folder.
//! A round is per RFC × environment and covers every package version that
//! carries the RFC there; when that set changes the round ends and, unless
//! nothing is left, a new one starts. Only the current round's approvals
//! count.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// One package version that carries an RFC in an environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Carrier {
    pub package: String,
    pub version: String,
    pub tree: String,
}

/// package → tree: what a round covers.
pub type Trees = BTreeMap<String, String>;

pub fn trees_of(carriers: &[Carrier]) -> Trees {
    carriers.iter().map(|c| (c.package.clone(), c.tree.clone())).collect()
}

pub fn versions_of(carriers: &[Carrier]) -> BTreeMap<String, String> {
    carriers
        .iter()
        .map(|c| (c.package.clone(), c.version.clone()))
        .collect()
}

/// The stored form: compact JSON with sorted keys, so equal sets are equal text.
pub fn to_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

/// Reads the stored form; `None` when it is not an object of strings.
pub fn from_json(text: &str) -> Option<BTreeMap<String, String>> {
    serde_json::from_str(text).ok()
}

/// What happens to a round when the set of carrying packages is looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundChange {
    /// The set is what the round covers (or there is neither): nothing happens.
    Keep,
    /// The first package of the RFC arrived: a round starts.
    Start,
    /// A further package arrived: the round ends, a new one covers all.
    Grew,
    /// A package's version was replaced (or packages came and went).
    Changed,
    /// A package left, others remain: a new round over those.
    Shrank,
    /// No package carries the RFC here any more: the round ends, none starts.
    Withdrawn,
}

impl RoundChange {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundChange::Keep => "keep",
            RoundChange::Start => "start",
            RoundChange::Grew => "grew",
            RoundChange::Changed => "changed",
            RoundChange::Shrank => "shrank",
            RoundChange::Withdrawn => "withdrawn",
        }
    }

    /// Does a new round start (with links for every appointed tester)?
    pub fn starts(self) -> bool {
        matches!(
            self,
            RoundChange::Start | RoundChange::Grew | RoundChange::Changed | RoundChange::Shrank
        )
    }
}

/// How the round covering `current` must change now that `now` carries the RFC.
pub fn change(current: Option<&Trees>, now: &Trees) -> RoundChange {
    let Some(current) = current else {
        return if now.is_empty() {
            RoundChange::Keep
        } else {
            RoundChange::Start
        };
    };
    if current == now {
        return RoundChange::Keep;
    }
    if now.is_empty() {
        return RoundChange::Withdrawn;
    }
    let same_trees = |k: &String| current.get(k) == now.get(k);
    let added = now.keys().any(|k| !current.contains_key(k));
    let removed = current.keys().any(|k| !now.contains_key(k));
    let replaced = now.keys().filter(|k| current.contains_key(*k)).any(|k| !same_trees(k));
    match (added, removed, replaced) {
        (true, false, false) => RoundChange::Grew,
        (false, true, false) => RoundChange::Shrank,
        _ => RoundChange::Changed,
    }
}

/// Does the round cover `package` at exactly `tree`?
pub fn covers(trees: &Trees, package: &str, tree: &str) -> bool {
    trees.get(package).is_some_and(|t| t == tree)
}

/// Is the round approved: every appointed tester's latest verdict in it approves?
/// Nobody appointed is never approved.
pub fn approved(testers: &[String], approvals: &[String]) -> bool {
    !testers.is_empty() && testers.iter().all(|t| approvals.contains(t))
}

/// Has every package that carries the RFC (in develop) arrived, i.e. does the
/// environment's set hold them all? An RFC moves on only then.
pub fn all_arrived(carrying: &BTreeSet<String>, here: &Trees) -> bool {
    carrying.iter().all(|p| here.contains_key(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Trees {
        pairs.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
    }

    #[test]
    fn a_round_starts_grows_changes_shrinks_and_ends_as_the_set_does() {
        let empty = t(&[]);
        let a = t(&[("apex", "t1")]);
        let ab = t(&[("apex", "t1"), ("ui", "u1")]);
        let ab2 = t(&[("apex", "t2"), ("ui", "u1")]);
        let b = t(&[("ui", "u1")]);
        let ac = t(&[("apex", "t1"), ("objects", "o1")]);
        assert_eq!(change(None, &empty), RoundChange::Keep);
        assert_eq!(change(None, &a), RoundChange::Start);
        assert_eq!(change(Some(&a), &a), RoundChange::Keep);
        assert_eq!(change(Some(&a), &ab), RoundChange::Grew);
        assert_eq!(change(Some(&ab), &ab2), RoundChange::Changed);
        assert_eq!(change(Some(&ab), &b), RoundChange::Shrank);
        assert_eq!(change(Some(&ab), &ac), RoundChange::Changed);
        assert_eq!(change(Some(&ab), &empty), RoundChange::Withdrawn);
        assert!(RoundChange::Grew.starts() && RoundChange::Shrank.starts() && RoundChange::Start.starts());
        assert!(!RoundChange::Withdrawn.starts() && !RoundChange::Keep.starts());
    }

    #[test]
    fn approval_needs_every_appointed_tester_and_someone_appointed() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(!approved(&s(&[]), &s(&[])));
        assert!(!approved(&s(&["a", "b"]), &s(&["a"])));
        assert!(approved(&s(&["a", "b"]), &s(&["b", "a", "c"])));
    }

    #[test]
    fn coverage_is_of_the_exact_tree() {
        let ab = t(&[("apex", "t1"), ("ui", "u1")]);
        assert!(covers(&ab, "apex", "t1"));
        assert!(!covers(&ab, "apex", "t2"));
        assert!(!covers(&ab, "objects", "t1"));
        let carrying: BTreeSet<String> = ["apex".to_string(), "ui".to_string()].into();
        assert!(all_arrived(&carrying, &ab));
        assert!(!all_arrived(&carrying, &t(&[("apex", "t1")])));
        assert!(all_arrived(&BTreeSet::new(), &t(&[])));
    }

    #[test]
    fn the_stored_form_is_canonical() {
        let ab = t(&[("ui", "u1"), ("apex", "t1")]);
        assert_eq!(to_json(&ab), r#"{"apex":"t1","ui":"u1"}"#);
        assert_eq!(from_json(&to_json(&ab)), Some(ab));
        assert_eq!(from_json("[1]"), None);
    }
}
