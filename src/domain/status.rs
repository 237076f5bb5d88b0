//! The status matrix: which version of each package is in which environment.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::pipeline::Pipeline;

/// What the config repo holds for one package in one environment folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageState {
    pub name: String,
    /// `None` when the manifest is missing or invalid.
    pub version: Option<String>,
    /// The git tree id of the package folder: its content identity.
    pub tree: String,
    pub rfcs: Vec<String>,
    pub last_commit: Option<CommitRef>,
    /// Why the manifest could not be read, if it could not.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitRef {
    pub id: String,
    pub time: String,
    pub author: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvironmentHeader {
    pub name: String,
    pub label: String,
    pub order: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub version: Option<String>,
    pub tree: String,
    /// True when the previous environment holds this package with another tree:
    /// something is waiting to be promoted here.
    pub differs_from_previous: bool,
    pub last_commit: Option<CommitRef>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    pub name: String,
    /// One entry per environment, in pipeline order.
    pub cells: Vec<(String, Option<Cell>)>,
}

impl Serialize for PackageRow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Cells<'a>(&'a [(String, Option<Cell>)]);
        impl Serialize for Cells<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (env, cell) in self.0 {
                    m.serialize_entry(env, cell)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("cells", &Cells(&self.cells))?;
        m.end()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemNote {
    pub environment: String,
    pub package: String,
    pub message: String,
}

/// Hand-made commits in an environment folder that nobody acknowledged yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftNote {
    pub environment: String,
    pub commits: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusMatrix {
    pub environments: Vec<EnvironmentHeader>,
    pub packages: Vec<PackageRow>,
    pub problems: Vec<ProblemNote>,
    pub drift: Vec<DriftNote>,
}

/// Builds the matrix from the packages found per environment (keyed by environment name).
pub fn matrix(pipeline: &Pipeline, found: &BTreeMap<String, Vec<PackageState>>) -> StatusMatrix {
    let environments: Vec<EnvironmentHeader> = pipeline
        .environments()
        .iter()
        .map(|e| EnvironmentHeader {
            name: e.name.clone(),
            label: e.label.clone(),
            order: e.order,
        })
        .collect();
    let mut names: Vec<&str> = found.values().flatten().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let lookup = |env: &str, name: &str| found.get(env).and_then(|ps| ps.iter().find(|p| p.name == name));
    let mut problems = Vec::new();
    let packages = names
        .into_iter()
        .map(|name| {
            let mut previous_tree: Option<&str> = None;
            let cells = pipeline
                .environments()
                .iter()
                .map(|env| {
                    let state = lookup(&env.name, name);
                    let cell = state.map(|s| {
                        if let Some(msg) = &s.problem {
                            problems.push(ProblemNote {
                                environment: env.name.clone(),
                                package: name.into(),
                                message: msg.clone(),
                            });
                        }
                        Cell {
                            version: s.version.clone(),
                            tree: s.tree.clone(),
                            differs_from_previous: previous_tree.is_some_and(|t| t != s.tree),
                            last_commit: s.last_commit.clone(),
                            problem: s.problem.clone(),
                        }
                    });
                    previous_tree = state.map(|s| s.tree.as_str());
                    (env.name.clone(), cell)
                })
                .collect();
            PackageRow {
                name: name.to_string(),
                cells,
            }
        })
        .collect();
    StatusMatrix {
        environments,
        packages,
        problems,
        drift: Vec::new(),
    }
}

impl StatusMatrix {
    /// True when the environment before `env` holds `package` and `env` does not:
    /// the package is waiting for its first promotion there.
    pub fn waiting(&self, row: &PackageRow, env_index: usize) -> bool {
        env_index > 0 && row.cells[env_index].1.is_none() && row.cells[env_index - 1].1.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::tests_support::default_pipeline;

    fn state(name: &str, version: &str, tree: &str) -> PackageState {
        PackageState {
            name: name.into(),
            version: Some(version.into()),
            tree: tree.into(),
            rfcs: vec![],
            last_commit: None,
            problem: None,
        }
    }

    #[test]
    fn marks_cells_that_differ_from_the_previous_environment() {
        let p = default_pipeline();
        let mut found = BTreeMap::new();
        found.insert(
            "develop".to_string(),
            vec![state("crm-core", "1.3.0", "t3"), state("sales", "0.2.0", "s2")],
        );
        found.insert(
            "test".to_string(),
            vec![state("crm-core", "1.2.0", "t2"), state("sales", "0.2.0", "s2")],
        );
        found.insert("acceptance".to_string(), vec![state("crm-core", "1.2.0", "t2")]);
        let m = matrix(&p, &found);
        assert_eq!(
            m.environments.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["develop", "test", "acceptance", "production"]
        );
        assert_eq!(m.packages.len(), 2);
        let core = &m.packages[0];
        assert_eq!(core.name, "crm-core");
        let cell = |row: &PackageRow, i: usize| row.cells[i].1.clone();
        assert!(!cell(core, 0).unwrap().differs_from_previous);
        assert!(
            cell(core, 1).unwrap().differs_from_previous,
            "test has 1.2.0, develop 1.3.0"
        );
        assert!(!cell(core, 2).unwrap().differs_from_previous);
        assert!(cell(core, 3).is_none());
        assert!(!m.waiting(core, 2));
        assert!(m.waiting(core, 3));
        let sales = &m.packages[1];
        assert!(!cell(sales, 1).unwrap().differs_from_previous);
        assert!(m.waiting(sales, 2));
        assert!(!m.waiting(sales, 3));
    }

    #[test]
    fn json_shape_has_null_for_absent_packages() {
        let p = default_pipeline();
        let mut found = BTreeMap::new();
        found.insert("develop".to_string(), vec![state("crm-core", "1.0.0", "abc")]);
        let v = serde_json::to_value(matrix(&p, &found)).unwrap();
        assert_eq!(v["environments"][0]["name"], "develop");
        assert_eq!(v["environments"][3]["order"], 4);
        assert_eq!(v["packages"][0]["name"], "crm-core");
        assert_eq!(v["packages"][0]["cells"]["develop"]["version"], "1.0.0");
        assert_eq!(v["packages"][0]["cells"]["develop"]["tree"], "abc");
        assert!(v["packages"][0]["cells"]["test"].is_null());
    }

    #[test]
    fn invalid_manifests_are_listed_not_fatal() {
        let p = default_pipeline();
        let mut broken = state("broken", "", "t");
        broken.version = None;
        broken.problem = Some("version: `x` is not a semantic version".into());
        let mut found = BTreeMap::new();
        found.insert("test".to_string(), vec![broken, state("ok", "1.0.0", "u")]);
        let m = matrix(&p, &found);
        assert_eq!(m.packages.len(), 2);
        assert_eq!(m.problems.len(), 1);
        assert_eq!(m.problems[0].package, "broken");
        assert_eq!(m.problems[0].environment, "test");
    }
}
