//! The pipeline: the ordered environments and the gates into each.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::Date;

use super::deploy::config::{self as deploy_config, DeployConfig, DeploySpec};
use super::problem::Problems;
use super::{Located, OrderedMap, Problem, duration, names};

/// `environments/<name>.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    pub name: Located<String>,
    pub label: Located<crate::domain::text::Text>,
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
    /// How the CRM environment is made to match the folder (DESIGN §14).
    #[serde(default)]
    pub deploy: Option<Located<DeploySpec>>,
    #[serde(default)]
    pub validate_before_promote: bool,
    /// A promotion that removes files from this environment needs `--confirm-deletions`.
    #[serde(default)]
    pub confirm_deletions: bool,
    /// `{var.NAME}` in deploy arguments; `DTAP_VAR_NAME` in a step's environment.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Names of the secrets the steps get (values never in git).
    #[serde(default)]
    pub secrets: Vec<Located<String>>,
    /// `warn` (default) or `block`: promotions while the CRM differs (live drift).
    #[serde(default)]
    pub live_drift: Option<Located<String>>,
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
    /// The label in Dutch, when the author gave it (`label: {en: …, nl: …}`).
    #[serde(skip)]
    pub label_nl: Option<String>,
    pub order: i64,
    /// Its folder in the config repo.
    pub path: String,
    pub platform_version: Option<String>,
    pub require_rfc: bool,
    pub gates: Vec<Gate>,
    pub freeze: Vec<FreezeWindow>,
    pub four_eyes: bool,
    pub notify: Vec<String>,
    /// `None`: the environment deploys by committing.
    pub deploy: Option<DeployConfig>,
    pub validate_before_promote: bool,
    pub confirm_deletions: bool,
    pub variables: BTreeMap<String, String>,
    pub secrets: Vec<String>,
    pub live_drift: super::live::LiveDriftMode,
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
            if spec.label.value.is_blank() {
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

            let (deploy, secrets) = deploy_config::of_environment(spec, &name, built.is_empty(), &mut p);
            let has_export = deploy.as_ref().is_some_and(|d| !d.export.is_empty());
            let live_drift = super::live::mode(spec.live_drift.as_ref(), has_export, &mut p);
            problems.extend(p.list);
            built.push(Environment {
                name,
                label: spec.label.value.en.clone(),
                label_nl: spec.label.value.translation().map(|(_, nl)| nl),
                order: spec.order.value,
                path,
                platform_version: spec.platform_version.as_ref().map(|v| v.value.clone()),
                require_rfc: spec.require_rfc.unwrap_or(true),
                gates,
                freeze,
                four_eyes: spec.four_eyes,
                notify,
                deploy,
                validate_before_promote: spec.validate_before_promote,
                confirm_deletions: spec.confirm_deletions,
                variables: spec.variables.clone(),
                secrets,
                live_drift,
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
mod tests;

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
                        label: Located::new(crate::domain::text::Text::plain(*n), Pos::new(1, 1)),
                        order: Located::new(i as i64 + 1, Pos::new(1, 1)),
                        path: None,
                        platform_version: None,
                        require_rfc: None,
                        gates: vec![],
                        freeze: vec![],
                        four_eyes: false,
                        notify: vec![],
                        deploy: None,
                        validate_before_promote: false,
                        confirm_deletions: false,
                        variables: Default::default(),
                        secrets: vec![],
                        live_drift: None,
                    },
                )
            })
            .collect();
        Pipeline::build(specs).0
    }
}
