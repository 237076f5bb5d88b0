//! The pipeline: the ordered environments and the gates into each.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::Date;

use super::problem::Problems;
use super::{Located, OrderedMap, Problem, duration, names};

/// `environments/<name>.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    pub name: Located<String>,
    pub label: Located<String>,
    pub order: Located<i64>,
    #[serde(default)]
    pub path: Option<Located<String>>,
    #[serde(default)]
    pub platform_version: Option<Located<String>>,
    #[serde(default)]
    pub require_rfc: Option<bool>,
    #[serde(default)]
    pub gates: Vec<Located<OrderedMap<Located<String>, Located<String>>>>,
    #[serde(default)]
    pub freeze: Vec<Located<FreezeSpec>>,
    #[serde(default)]
    pub four_eyes: bool,
    #[serde(default)]
    pub notify: Vec<Located<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeSpec {
    pub from: Located<String>,
    pub to: Located<String>,
    #[serde(default)]
    pub reason: String,
}

/// A condition for promoting into an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gate {
    /// Every RFC approved by all its appointed testers in `environment`, on the promoted tree.
    Signoff { environment: String },
    /// The tree stayed at least this long in the previous environment.
    MinSoak {
        #[serde(serialize_with = "ser_duration")]
        duration: Duration,
    },
}

pub const GATE_KINDS: &[&str] = &["signoff", "min_soak"];

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&duration::format(*d))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreezeWindow {
    pub from: Date,
    /// Inclusive: the last frozen day.
    pub to: Date,
    pub reason: String,
}

impl FreezeWindow {
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    pub name: String,
    pub label: String,
    pub order: i64,
    /// Its folder in the config repo.
    pub path: String,
    pub platform_version: Option<String>,
    pub require_rfc: bool,
    pub gates: Vec<Gate>,
    pub freeze: Vec<FreezeWindow>,
    pub four_eyes: bool,
    pub notify: Vec<String>,
}

/// The environments in promotion order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pipeline {
    environments: Vec<Environment>,
}

impl Pipeline {
    pub fn environments(&self) -> &[Environment] {
        &self.environments
    }

    pub fn get(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn first(&self) -> Option<&Environment> {
        self.environments.first()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.environments.iter().position(|e| e.name == name)
    }

    /// The environment packages are promoted from into `name`.
    pub fn previous(&self, name: &str) -> Option<&Environment> {
        let i = self.index(name)?;
        i.checked_sub(1).map(|p| &self.environments[p])
    }

    pub fn next(&self, name: &str) -> Option<&Environment> {
        let i = self.index(name)?;
        self.environments.get(i + 1)
    }

    /// For tests that need an environment's settings changed after building.
    #[cfg(test)]
    pub fn replace_environments(&mut self, environments: Vec<Environment>) {
        self.environments = environments;
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.environments.iter().map(|e| e.name.as_str())
    }

    /// Builds the pipeline from the environment files, `(file, spec)` each, and
    /// reports every rule they break. Environments with problems that make
    /// them unusable are left out; the rest still form a pipeline.
    pub fn build(specs: Vec<(String, EnvironmentSpec)>) -> (Pipeline, Vec<Problem>) {
        let mut problems = Vec::new();
        if specs.is_empty() {
            problems.push(Problem::file(
                "environments/",
                "no environments defined: add at least one file such as environments/develop.yaml",
            ));
            return (Pipeline::default(), problems);
        }
        let known: Vec<String> = specs.iter().map(|(_, s)| s.name.value.clone()).collect();
        let mut orders: HashMap<i64, String> = HashMap::new();
        let mut seen_names: HashMap<String, String> = HashMap::new();
        let mut seen_paths: HashMap<String, String> = HashMap::new();
        let mut built: Vec<Environment> = Vec::new();
        // Sorting first makes "earlier environment" checks independent of file order.
        let mut specs = specs;
        specs.sort_by_key(|(_, s)| s.order.value);

        for (file, spec) in &specs {
            let mut p = Problems::new(file);
            let name = spec.name.value.clone();
            if !names::is_environment_name(&name) {
                p.add(
                    spec.name.pos,
                    format!("environment name `{name}` is invalid: use lower-case letters, digits and `-`, starting with a letter"),
                );
            }
            let stem = file
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml")))
                .unwrap_or_default();
            if stem != name {
                p.add(
                    spec.name.pos,
                    format!("environment `{name}` is defined in a file named `{stem}`: rename the file to `{name}.yaml` or fix the name"),
                );
            }
            if let Some(other) = seen_names.insert(name.clone(), file.clone()) {
                p.add(
                    spec.name.pos,
                    format!("duplicate environment name `{name}`: also defined in {other}"),
                );
            }
            if let Some(other) = orders.insert(spec.order.value, name.clone()) {
                p.add(
                    spec.order.pos,
                    format!(
                        "duplicate environment order {}: `{other}` has the same order; every environment needs its own",
                        spec.order.value
                    ),
                );
            }
            if spec.label.value.trim().is_empty() {
                p.add(
                    spec.label.pos,
                    "label is empty: give the environment a human name such as \"Acceptatie\"",
                );
            }
            let path = spec
                .path
                .as_ref()
                .map(|l| l.value.clone())
                .unwrap_or_else(|| name.clone());
            if let Some(lp) = &spec.path
                && !names::is_environment_name(&lp.value)
            {
                p.add(
                    lp.pos,
                    format!(
                        "path `{}` is invalid: one folder name of lower-case letters, digits and `-`",
                        lp.value
                    ),
                );
            }
            if let Some(other) = seen_paths.insert(path.clone(), name.clone()) {
                let pos = spec.path.as_ref().map(|l| l.pos).unwrap_or(spec.name.pos);
                p.add(
                    pos,
                    format!("path `{path}` is already the folder of environment `{other}`"),
                );
            }
            if let Some(pv) = &spec.platform_version
                && pv.value.trim().is_empty()
            {
                p.add(
                    pv.pos,
                    "platform_version is empty: write the CRM platform release, e.g. \"2026.2\", or leave the key out",
                );
            }

            let mut gates = Vec::new();
            for item in &spec.gates {
                if item.value.len() != 1 {
                    p.add(item.pos, "a gate is one `kind: value` pair, e.g. `- signoff: test`");
                    continue;
                }
                let (kind, arg) = item.value.iter().next().expect("one entry");
                match kind.value.as_str() {
                    "signoff" => {
                        let target = arg.value.clone();
                        let earlier = built.iter().any(|e| e.name == target);
                        if !known.contains(&target) {
                            p.add(
                                arg.pos,
                                format!(
                                    "signoff gate names unknown environment `{target}`; known: {}",
                                    known.join(", ")
                                ),
                            );
                        } else if !earlier {
                            p.add(arg.pos, format!("signoff gate names `{target}`, which does not come before `{name}`: sign-off must happen in an earlier environment"));
                        } else {
                            gates.push(Gate::Signoff { environment: target });
                        }
                    }
                    "min_soak" => match duration::parse(&arg.value) {
                        Ok(d) => gates.push(Gate::MinSoak { duration: d }),
                        Err(e) => p.add(arg.pos, format!("min_soak: {e}")),
                    },
                    other => p.add(
                        kind.pos,
                        format!("unknown gate kind `{other}`: expected one of {}", GATE_KINDS.join(", ")),
                    ),
                }
            }

            let mut freeze = Vec::new();
            for w in &spec.freeze {
                let from = parse_date(&w.value.from, "from", &mut p);
                let to = parse_date(&w.value.to, "to", &mut p);
                if let (Some(from), Some(to)) = (from, to) {
                    if to < from {
                        p.add(
                            w.value.to.pos,
                            format!("freeze window ends ({to}) before it starts ({from}): swap `from` and `to`"),
                        );
                    } else {
                        freeze.push(FreezeWindow {
                            from,
                            to,
                            reason: w.value.reason.clone(),
                        });
                    }
                }
            }

            let mut notify = Vec::new();
            for n in &spec.notify {
                if names::is_email(&n.value) {
                    notify.push(names::normalise_email(&n.value));
                } else {
                    p.add(n.pos, format!("notify entry `{}` is not an e-mail address", n.value));
                }
            }

            problems.extend(p.list);
            built.push(Environment {
                name,
                label: spec.label.value.clone(),
                order: spec.order.value,
                path,
                platform_version: spec.platform_version.as_ref().map(|v| v.value.clone()),
                require_rfc: spec.require_rfc.unwrap_or(true),
                gates,
                freeze,
                four_eyes: spec.four_eyes,
                notify,
            });
        }
        // Keep only the first of duplicate names so lookups stay unambiguous.
        let mut unique: Vec<Environment> = Vec::new();
        for e in built {
            if !unique.iter().any(|u| u.name == e.name) {
                unique.push(e);
            }
        }
        (Pipeline { environments: unique }, problems)
    }
}

fn parse_date(v: &Located<String>, key: &str, p: &mut Problems<'_>) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match Date::parse(v.value.trim(), &fmt) {
        Ok(d) => Some(d),
        Err(_) => {
            p.add(
                v.pos,
                format!("freeze `{key}` is `{}`, not a date: write it as YYYY-MM-DD", v.value),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Pos;

    fn at<T>(v: T, line: u32) -> Located<T> {
        Located::new(v, Pos::new(line, 1))
    }

    pub(crate) fn spec(name: &str, order: i64) -> EnvironmentSpec {
        EnvironmentSpec {
            name: at(name.to_string(), 1),
            label: at(name.to_uppercase(), 2),
            order: at(order, 3),
            path: None,
            platform_version: None,
            require_rfc: None,
            gates: vec![],
            freeze: vec![],
            four_eyes: false,
            notify: vec![],
        }
    }

    fn gate(kind: &str, arg: &str, line: u32) -> Located<OrderedMap<Located<String>, Located<String>>> {
        at(
            OrderedMap(vec![(at(kind.to_string(), line), at(arg.to_string(), line))]),
            line,
        )
    }

    fn file(name: &str) -> String {
        format!("environments/{name}.yaml")
    }

    fn default_specs() -> Vec<(String, EnvironmentSpec)> {
        ["develop", "test", "acceptance", "production"]
            .iter()
            .enumerate()
            .map(|(i, n)| (file(n), spec(n, i as i64 + 1)))
            .collect()
    }

    #[test]
    fn orders_environments_and_finds_neighbours() {
        let mut specs = default_specs();
        specs.reverse();
        let (p, problems) = Pipeline::build(specs);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            p.names().collect::<Vec<_>>(),
            ["develop", "test", "acceptance", "production"]
        );
        assert_eq!(p.previous("acceptance").unwrap().name, "test");
        assert!(p.previous("develop").is_none());
        assert_eq!(p.next("acceptance").unwrap().name, "production");
        assert!(p.next("production").is_none());
        assert!(p.previous("nowhere").is_none());
        assert_eq!(p.get("test").unwrap().path, "test");
        assert!(p.get("test").unwrap().require_rfc, "require_rfc defaults to true");
    }

    #[test]
    fn empty_pipeline_is_a_problem() {
        let (_, problems) = Pipeline::build(vec![]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("no environments"));
    }

    #[test]
    fn duplicate_order_is_reported_at_the_order() {
        let mut specs = default_specs();
        specs[3].1.order = at(3, 7);
        let (_, problems) = Pipeline::build(specs);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("duplicate environment order 3"));
        assert_eq!(problems[0].line, Some(7));
    }

    #[test]
    fn duplicate_name_is_reported() {
        let mut specs = default_specs();
        specs.push(("environments/test.yml".into(), spec("test", 9)));
        let (p, problems) = Pipeline::build(specs);
        assert!(
            problems
                .iter()
                .any(|x| x.message.contains("duplicate environment name `test`")),
            "{problems:?}"
        );
        assert_eq!(p.environments().len(), 4);
    }

    #[test]
    fn file_name_must_match() {
        let mut specs = default_specs();
        specs[1].0 = "environments/tst.yaml".into();
        let (_, problems) = Pipeline::build(specs);
        assert!(problems[0].message.contains("file named `tst`"), "{problems:?}");
    }

    #[test]
    fn invalid_names_and_paths() {
        let mut specs = vec![(file("Dev"), spec("Dev", 1))];
        specs[0].1.label = at("  ".into(), 2);
        let mut second = spec("test", 2);
        second.path = Some(at("Dev/../x".into(), 4));
        specs.push((file("test"), second));
        let (_, problems) = Pipeline::build(specs);
        let text = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
        assert!(text.contains("environment name `Dev` is invalid"), "{text}");
        assert!(text.contains("label is empty"), "{text}");
        assert!(text.contains("path `Dev/../x` is invalid"), "{text}");
    }

    #[test]
    fn gates_are_parsed_and_checked() {
        let mut specs = default_specs();
        specs[2].1.gates = vec![gate("signoff", "test", 10), gate("min_soak", "1d", 11)];
        let (p, problems) = Pipeline::build(specs);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            p.get("acceptance").unwrap().gates,
            vec![
                Gate::Signoff {
                    environment: "test".into()
                },
                Gate::MinSoak {
                    duration: Duration::from_secs(86_400)
                }
            ]
        );
    }

    #[test]
    fn unknown_gate_kind() {
        let mut specs = default_specs();
        specs[2].1.gates = vec![gate("sign_off", "test", 12)];
        let (_, problems) = Pipeline::build(specs);
        assert_eq!(problems[0].line, Some(12));
        assert!(problems[0].message.contains("unknown gate kind `sign_off`"));
        assert!(problems[0].message.contains("signoff, min_soak"));
    }

    #[test]
    fn signoff_must_name_an_earlier_known_environment() {
        let mut specs = default_specs();
        specs[1].1.gates = vec![gate("signoff", "production", 5), gate("signoff", "staging", 6)];
        let (_, problems) = Pipeline::build(specs);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("does not come before"));
        assert!(problems[1].message.contains("unknown environment `staging`"));
    }

    #[test]
    fn bad_soak_duration_and_multi_key_gate() {
        let mut specs = default_specs();
        let two = OrderedMap(vec![
            (at("signoff".into(), 3), at("test".into(), 3)),
            (at("min_soak".into(), 3), at("1d".into(), 3)),
        ]);
        specs[2].1.gates = vec![gate("min_soak", "a day", 4), at(two, 5)];
        let (_, problems) = Pipeline::build(specs);
        assert!(problems[0].message.contains("min_soak: invalid duration"));
        assert!(problems[1].message.contains("one `kind: value` pair"));
    }

    #[test]
    fn freeze_windows() {
        let mut specs = default_specs();
        let w = |from: &str, to: &str, line| {
            at(
                FreezeSpec {
                    from: at(from.into(), line),
                    to: at(to.into(), line),
                    reason: "closing".into(),
                },
                line,
            )
        };
        specs[3].1.freeze = vec![
            w("2026-12-18", "2027-01-04", 20),
            w("2027-02-10", "2027-02-01", 21),
            w("18-12-2026", "2027-01-01", 22),
        ];
        let (p, problems) = Pipeline::build(specs);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("ends (2027-02-01) before it starts (2027-02-10)")
        );
        assert_eq!(problems[0].line, Some(21));
        assert!(problems[1].message.contains("not a date"));
        let prod = p.get("production").unwrap();
        assert_eq!(prod.freeze.len(), 1);
        assert!(prod.freeze[0].covers(time::macros::date!(2026 - 12 - 31)));
        assert!(prod.freeze[0].covers(time::macros::date!(2027 - 01 - 04)));
        assert!(!prod.freeze[0].covers(time::macros::date!(2027 - 01 - 05)));
    }

    #[test]
    fn notify_must_be_emails() {
        let mut specs = default_specs();
        specs[3].1.notify = vec![at("CRM-Team@Example.org".into(), 30), at("crm team".into(), 31)];
        let (p, problems) = Pipeline::build(specs);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(31));
        assert_eq!(p.get("production").unwrap().notify, vec!["crm-team@example.org"]);
    }

    #[test]
    fn empty_platform_version() {
        let mut specs = default_specs();
        specs[0].1.platform_version = Some(at(" ".into(), 8));
        let (_, problems) = Pipeline::build(specs);
        assert!(problems[0].message.contains("platform_version is empty"));
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::domain::Pos;

    /// develop → test → acceptance → production, no gates.
    pub fn default_pipeline() -> Pipeline {
        let specs = ["develop", "test", "acceptance", "production"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let at = |v: String| Located::new(v, Pos::new(1, 1));
                (
                    format!("environments/{n}.yaml"),
                    EnvironmentSpec {
                        name: at(n.to_string()),
                        label: at(n.to_string()),
                        order: Located::new(i as i64 + 1, Pos::new(1, 1)),
                        path: None,
                        platform_version: None,
                        require_rfc: None,
                        gates: vec![],
                        freeze: vec![],
                        four_eyes: false,
                        notify: vec![],
                    },
                )
            })
            .collect();
        Pipeline::build(specs).0
    }
}
