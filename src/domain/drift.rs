//! Hand-made changes in an environment folder (drift), and what a promotion
//! or an adoption does to them (DESIGN §4, §15 "Diff and drift"). Pure.

use semver::Version;
use serde::Serialize;

use super::changes::FileChanges;

/// One hand-made commit to a package folder in an environment, made after
/// dtap last wrote that folder there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandChange {
    pub commit: String,
    pub summary: String,
    /// Paths relative to the package folder that the commit added, changed or removed.
    pub files: Vec<String>,
    /// The develop version `dtap drift adopt` carried this change into, if it did.
    pub adopted_in: Option<Version>,
}

/// A hand-made change that a promotion would remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undone {
    pub commit: String,
    pub summary: String,
    /// The files of the change that the promotion would replace, relative to the package.
    pub files: Vec<String>,
}

impl Undone {
    /// `abc1234567 ("Hotfix INC-12"): classes/A.cls, classes/B.cls`
    pub fn describe(&self) -> String {
        let short: String = self.commit.chars().take(10).collect();
        let summary = if self.summary.trim().is_empty() {
            String::new()
        } else {
            format!(" (\"{}\")", self.summary.trim())
        };
        format!("{short}{summary}: {}", self.files.join(", "))
    }
}

/// The hand-made changes a promotion would undo. A promotion undoes a
/// change when a file that change touched differs between the promoted tree
/// and the target's tree (`differing`: the promotion's change set, from the
/// target's tree to the promoted one). A change adopted into develop as
/// version V travels with V: a promoted version at or above V carries it,
/// whatever its files look like after the merge.
pub fn undone(changes: &[HandChange], differing: &FileChanges, promoted: Option<&Version>) -> Vec<Undone> {
    let differs =
        |f: &String| differing.added.contains(f) || differing.changed.contains(f) || differing.removed.contains(f);
    changes
        .iter()
        .filter(|c| !matches!((&c.adopted_in, promoted), (Some(at), Some(v)) if v >= at))
        .filter_map(|c| {
            let files: Vec<String> = c.files.iter().filter(|f| differs(f)).cloned().collect();
            (!files.is_empty()).then(|| Undone {
                commit: c.commit.clone(),
                summary: c.summary.clone(),
                files,
            })
        })
        .collect()
}

/// The version an adoption gives the package in develop: a patch above both
/// develop's version and the one in the environment the change came from,
/// so it travels forward and replaces that one.
pub fn adopted_version(develop: &Version, environment: Option<&Version>) -> Version {
    let base = match environment {
        Some(e) if e > develop => e,
        _ => develop,
    };
    Version::new(base.major, base.minor, base.patch + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(commit: &str, files: &[&str], adopted_in: Option<&str>) -> HandChange {
        HandChange {
            commit: commit.into(),
            summary: "Hotfix".into(),
            files: files.iter().map(|f| f.to_string()).collect(),
            adopted_in: adopted_in.map(|v| Version::parse(v).unwrap()),
        }
    }

    fn changed(added: &[&str], changed: &[&str], removed: &[&str]) -> FileChanges {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        FileChanges {
            added: v(added),
            changed: v(changed),
            removed: v(removed),
        }
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn a_touched_file_that_differs_is_undone_and_named() {
        let c = [change("aaaaaaaaaaaa1", &["classes/A.cls", "classes/B.cls"], None)];
        let u = undone(
            &c,
            &changed(&[], &["classes/A.cls", "package.yaml"], &[]),
            Some(&v("1.1.0")),
        );
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].files, ["classes/A.cls"]);
        assert_eq!(u[0].describe(), "aaaaaaaaaa (\"Hotfix\"): classes/A.cls");
    }

    #[test]
    fn untouched_or_equal_files_undo_nothing() {
        let c = [change("a1", &["classes/A.cls"], None)];
        assert!(undone(&c, &changed(&["classes/C.cls"], &["package.yaml"], &[]), None).is_empty());
        assert!(undone(&c, &FileChanges::default(), None).is_empty());
        assert!(undone(&[], &changed(&[], &["classes/A.cls"], &[]), None).is_empty());
    }

    #[test]
    fn a_file_the_change_added_and_the_promotion_removes_is_undone() {
        // The hand commit added a file the promoted tree lacks: promoting removes it.
        let c = [change("a1", &["classes/Fix.cls"], None)];
        let u = undone(&c, &changed(&[], &[], &["classes/Fix.cls"]), None);
        assert_eq!(u[0].files, ["classes/Fix.cls"]);
        // ... and a file it deleted that the promotion brings back.
        let c = [change("a2", &["classes/Old.cls"], None)];
        assert_eq!(
            undone(&c, &changed(&["classes/Old.cls"], &[], &[]), None)[0].files,
            ["classes/Old.cls"]
        );
    }

    #[test]
    fn each_change_is_judged_on_its_own() {
        let c = [
            change("a1", &["classes/A.cls"], None),
            change("b2", &["classes/B.cls"], None),
        ];
        let u = undone(&c, &changed(&[], &["classes/B.cls"], &[]), None);
        assert_eq!(u.iter().map(|u| u.commit.as_str()).collect::<Vec<_>>(), ["b2"]);
    }

    #[test]
    fn an_adopted_change_travels_with_its_version_and_later_ones() {
        let c = [change("a1", &["classes/A.cls"], Some("1.1.1"))];
        let d = changed(&[], &["classes/A.cls"], &[]);
        assert!(undone(&c, &d, Some(&v("1.1.1"))).is_empty());
        assert!(undone(&c, &d, Some(&v("1.2.0"))).is_empty());
        // An older version than the adoption does not carry it.
        assert_eq!(undone(&c, &d, Some(&v("1.1.0"))).len(), 1);
        // Nor does a version nobody can read.
        assert_eq!(undone(&c, &d, None).len(), 1);
    }

    #[test]
    fn adoption_bumps_the_patch_above_both_sides() {
        assert_eq!(adopted_version(&v("1.1.0"), Some(&v("1.0.0"))), v("1.1.1"));
        assert_eq!(adopted_version(&v("1.0.0"), Some(&v("1.0.0"))), v("1.0.1"));
        assert_eq!(adopted_version(&v("1.0.0"), Some(&v("1.0.3"))), v("1.0.4"));
        assert_eq!(adopted_version(&v("2.0.0-rc.1"), None), v("2.0.1"));
    }
}
