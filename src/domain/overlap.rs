//! Overlaps between packages (issue 15, DESIGN §13): in a CRM project a
//! package's paths are the org's components (`classes/OrderController.cls`),
//! so one path in two packages of one environment deploys one component
//! twice, and one path changed by the packages of two open RFCs means one
//! change will overwrite the other. Both are warnings: the release manager
//! decides.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// package → (path inside the package → content id).
pub type PackageFiles = BTreeMap<String, BTreeMap<String, String>>;

/// One path held by several packages of one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SamePath {
    pub environment: String,
    pub path: String,
    pub packages: Vec<String>,
}

/// One path changed (since the last environment) by packages of different RFCs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SameChange {
    pub path: String,
    /// (package, the RFCs its version in the first environment names).
    pub packages: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Overlaps {
    pub same_path: Vec<SamePath>,
    pub same_change: Vec<SameChange>,
}

impl Overlaps {
    pub fn is_empty(&self) -> bool {
        self.same_path.is_empty() && self.same_change.is_empty()
    }

    /// Only what concerns these packages or RFCs.
    pub fn concerning(&self, packages: &BTreeSet<String>, rfc: Option<&str>) -> Overlaps {
        Overlaps {
            same_path: self
                .same_path
                .iter()
                .filter(|o| o.packages.iter().any(|p| packages.contains(p)))
                .cloned()
                .collect(),
            same_change: self
                .same_change
                .iter()
                .filter(|o| {
                    o.packages
                        .iter()
                        .any(|(p, rfcs)| packages.contains(p) || rfc.is_some_and(|r| rfcs.iter().any(|x| x == r)))
                })
                .cloned()
                .collect(),
        }
    }

    /// One line per overlap, for humans.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .same_path
            .iter()
            .map(|o| {
                format!(
                    "{} is in {} packages in {}: {} (one component deployed twice; keep it in one package)",
                    o.path,
                    o.packages.len(),
                    o.environment,
                    o.packages.join(", ")
                )
            })
            .collect();
        out.extend(self.same_change.iter().map(|o| {
            let who: Vec<String> = o
                .packages
                .iter()
                .map(|(p, rfcs)| {
                    format!(
                        "{p} ({})",
                        if rfcs.is_empty() {
                            "no RFC".into()
                        } else {
                            rfcs.join(", ")
                        }
                    )
                })
                .collect();
            format!(
                "{} is changed by {}: one change will overwrite the other; test them together",
                o.path,
                who.join(" and ")
            )
        }));
        out
    }
}

/// Paths that more than one package of an environment holds.
pub fn same_path(environment: &str, files: &PackageFiles) -> Vec<SamePath> {
    let mut by_path: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (package, paths) in files {
        for path in paths.keys() {
            by_path.entry(path).or_default().push(package.clone());
        }
    }
    by_path
        .into_iter()
        .filter(|(_, p)| p.len() > 1)
        .map(|(path, packages)| SamePath {
            environment: environment.to_string(),
            path: path.to_string(),
            packages,
        })
        .collect()
}

/// Paths that packages naming different RFCs both change between the
/// first environment (`first`) and the last (`last`). A package version
/// that names two RFCs is one change, never an overlap with itself.
pub fn same_change(first: &PackageFiles, last: &PackageFiles, rfcs: &BTreeMap<String, Vec<String>>) -> Vec<SameChange> {
    let empty = BTreeMap::new();
    let mut by_path: BTreeMap<&str, Vec<(String, Vec<String>)>> = BTreeMap::new();
    for (package, files) in first {
        let named = rfcs.get(package).cloned().unwrap_or_default();
        if named.is_empty() {
            continue;
        }
        let before = last.get(package).unwrap_or(&empty);
        let changed = files
            .iter()
            .filter(|(path, id)| before.get(*path) != Some(*id))
            .map(|(path, _)| path.as_str())
            .chain(before.keys().filter(|p| !files.contains_key(*p)).map(String::as_str));
        for path in changed {
            by_path.entry(path).or_default().push((package.clone(), named.clone()));
        }
    }
    by_path
        .into_iter()
        .filter(|(_, p)| p.len() > 1)
        .map(|(path, packages)| SameChange {
            path: path.to_string(),
            packages,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(spec: &[(&str, &[(&str, &str)])]) -> PackageFiles {
        spec.iter()
            .map(|(p, fs)| {
                (
                    p.to_string(),
                    fs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn one_path_in_two_packages_of_an_environment_is_reported_once() {
        let test = files(&[
            (
                "ebikes-ui",
                &[("lwc/productCard/productCard.js", "a"), ("lwc/hero/hero.js", "b")],
            ),
            ("legacy-ui", &[("lwc/productCard/productCard.js", "c")]),
            ("ebikes-apex", &[("classes/OrderController.cls", "d")]),
        ]);
        let o = same_path("test", &test);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].path, "lwc/productCard/productCard.js");
        assert_eq!(o[0].packages, ["ebikes-ui", "legacy-ui"]);
        assert!(same_path("test", &files(&[("a", &[("x", "1")]), ("b", &[("y", "1")])])).is_empty());
    }

    #[test]
    fn only_changes_of_different_rfcs_to_one_path_overlap() {
        let production = files(&[
            ("ebikes-apex", &[("classes/OrderController.cls", "v1")]),
            ("ebikes-pricing", &[("classes/OrderController.cls", "v1")]),
        ]);
        let develop = files(&[
            ("ebikes-apex", &[("classes/OrderController.cls", "v2")]),
            ("ebikes-pricing", &[("classes/OrderController.cls", "v3")]),
            ("ebikes-ui", &[("lwc/x.js", "new")]),
        ]);
        let rfcs: BTreeMap<String, Vec<String>> = [
            ("ebikes-apex".to_string(), vec!["RFC-1".to_string()]),
            ("ebikes-pricing".to_string(), vec!["RFC-2".to_string()]),
            ("ebikes-ui".to_string(), vec!["RFC-1".to_string()]),
        ]
        .into();
        let o = same_change(&develop, &production, &rfcs);
        assert_eq!(o.len(), 1, "{o:?}");
        assert_eq!(o[0].path, "classes/OrderController.cls");
        let report = Overlaps {
            same_path: vec![],
            same_change: o,
        };
        assert!(report.lines()[0].contains("ebikes-apex (RFC-1) and ebikes-pricing (RFC-2)"));
        let only_ui = report.concerning(&["ebikes-ui".to_string()].into(), None);
        assert!(only_ui.is_empty());
        assert!(!report.concerning(&BTreeSet::new(), Some("RFC-2")).is_empty());
        // Unchanged in one of them: no overlap; a package without RFCs is nobody's change.
        let same = files(&[
            ("ebikes-apex", &[("classes/OrderController.cls", "v2")]),
            ("ebikes-pricing", &[("classes/OrderController.cls", "v1")]),
        ]);
        assert!(same_change(&same, &production, &rfcs).is_empty());
    }
}
