//! `deploy:` in an environment file (DESIGN §14): the steps that make the
//! CRM environment match its folder, as written and as checked. A `run`
//! step is an argument vector, never a shell line; placeholders are a
//! closed set, so a typo is found by `dtap check`, not at three in the
//! morning.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::domain::problem::Problems;
use crate::domain::{Located, duration};

/// The whole deployment's limit when the file sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// `deploy:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    #[serde(default)]
    pub timeout: Option<Located<String>>,
    #[serde(default)]
    pub steps: Vec<Located<StepSpec>>,
    #[serde(default)]
    pub validate: Vec<Located<StepSpec>>,
    #[serde(default)]
    pub export: Vec<Located<StepSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub run: Option<Located<RunValue>>,
    #[serde(default)]
    pub http: Option<Located<HttpSpec>>,
    #[serde(default)]
    pub timeout: Option<Located<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSpec {
    pub url: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub expect: Vec<u16>,
}

/// `run:` as written: an argument vector, or (refused) a shell line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunValue {
    Vector(Vec<String>),
    Line(String),
}

impl<'de> Deserialize<'de> for RunValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RunValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an argument vector such as [sf, project, deploy, start]")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RunValue, E> {
                Ok(RunValue::Line(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RunValue, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<ArgString>()? {
                    out.push(s.0);
                }
                Ok(RunValue::Vector(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One argument: YAML may write `--wait` or `30` or `true`; all are text to a program.
struct ArgString(String);

impl<'de> Deserialize<'de> for ArgString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ArgString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("one argument (text)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ArgString, E> {
                Ok(ArgString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ArgString, E> {
                Ok(ArgString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ArgString, E> {
                Ok(ArgString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ArgString, E> {
                Ok(ArgString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ArgString, E> {
                Ok(ArgString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A program and its arguments, placeholders not yet filled in.
    Run(Vec<String>),
    /// A JSON POST (or `method`) to `url`; success is one of `expect`.
    Http {
        url: String,
        method: String,
        expect: Vec<u16>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: String,
    pub action: Action,
    pub timeout: Option<Duration>,
}

/// An environment's deployment, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployConfig {
    pub timeout: Duration,
    pub steps: Vec<Step>,
    pub validate: Vec<Step>,
    pub export: Vec<Step>,
}

/// Placeholders an argument may hold; `{var.NAME}` names a variable.
pub const PLACEHOLDERS: &[&str] = &[
    "package_dir",
    "previous_dir",
    "changes",
    "settings",
    "out_dir",
    "env",
    "package",
    "version",
];

/// The placeholders in `arg`, or what is wrong with its braces.
pub fn placeholders(arg: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = arg;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err(format!("`{arg}` opens a {{ placeholder that is never closed"));
        };
        out.push(&after[..j]);
        rest = &after[j + 1..];
    }
    if rest.contains('}') {
        return Err(format!("`{arg}` closes a }} placeholder that was never opened"));
    }
    Ok(out)
}

/// Fills in every placeholder; `lookup` answers for each name (with `var.`).
pub fn expand(arg: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let j = after
            .find('}')
            .ok_or_else(|| format!("`{arg}` opens a {{ placeholder that is never closed"))?;
        let name = &after[..j];
        out.push_str(&lookup(name).ok_or_else(|| format!("`{{{name}}}` has no value here"))?);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn build_steps(
    kind: &str,
    specs: &[Located<StepSpec>],
    variables: &BTreeMap<String, String>,
    p: &mut Problems<'_>,
) -> Vec<Step> {
    let mut out = Vec::new();
    for s in specs {
        let spec = &s.value;
        let timeout = spec.timeout.as_ref().and_then(|t| match duration::parse(&t.value) {
            Ok(d) => Some(d),
            Err(e) => {
                p.add(t.pos, format!("{kind} step timeout: {e}"));
                None
            }
        });
        let action = match (&spec.run, &spec.http) {
            (Some(_), Some(_)) | (None, None) => {
                p.add(
                    s.pos,
                    format!("a {kind} step is either `run: [program, args...]` or `http: {{url: ...}}`, exactly one"),
                );
                continue;
            }
            (Some(run), None) => match &run.value {
                RunValue::Line(line) => {
                    p.add(
                        run.pos,
                        format!(
                            "run is a shell line (`{line}`); write an argument vector such as [{}]: dtap never runs a shell",
                            line.split_whitespace().collect::<Vec<_>>().join(", ")
                        ),
                    );
                    continue;
                }
                RunValue::Vector(args) if args.is_empty() => {
                    p.add(
                        run.pos,
                        "run is empty: name the program first, e.g. [sf, project, deploy, start]",
                    );
                    continue;
                }
                RunValue::Vector(args) => {
                    for a in args {
                        match placeholders(a) {
                            Err(e) => p.add(run.pos, e),
                            Ok(names) => {
                                for n in names {
                                    check_placeholder(n, kind, variables, run.pos, p);
                                }
                            }
                        }
                    }
                    Action::Run(args.clone())
                }
            },
            (None, Some(http)) => {
                let h = &http.value;
                let method = h.method.clone().unwrap_or_else(|| "POST".into()).to_uppercase();
                if !["POST", "PUT", "GET"].contains(&method.as_str()) {
                    p.add(http.pos, format!("http method `{method}` is not one of POST, PUT, GET"));
                }
                if !(h.url.starts_with("https://") || h.url.starts_with("http://")) {
                    p.add(
                        http.pos,
                        format!("http url `{}` must start with https:// (or http://)", h.url),
                    );
                }
                Action::Http {
                    url: h.url.clone(),
                    method,
                    expect: if h.expect.is_empty() {
                        vec![200, 201, 202, 204]
                    } else {
                        h.expect.clone()
                    },
                }
            }
        };
        let name = spec.name.clone().unwrap_or_else(|| match &action {
            Action::Run(args) => args.iter().take(4).cloned().collect::<Vec<_>>().join(" "),
            Action::Http { url, .. } => format!("http {url}"),
        });
        out.push(Step { name, action, timeout });
    }
    out
}

fn check_placeholder(
    name: &str,
    kind: &str,
    variables: &BTreeMap<String, String>,
    pos: crate::domain::Pos,
    p: &mut Problems<'_>,
) {
    if let Some(var) = name.strip_prefix("var.") {
        if !variables.contains_key(var) {
            let known: Vec<&str> = variables.keys().map(String::as_str).collect();
            p.add(
                pos,
                format!(
                    "{{var.{var}}} names no variable of this environment; known: {}",
                    if known.is_empty() {
                        "none (add `variables:`)".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
    } else if !PLACEHOLDERS.contains(&name) {
        p.add(
            pos,
            format!(
                "unknown placeholder {{{name}}} in a {kind} step; known: {}, {{var.NAME}}",
                PLACEHOLDERS
                    .iter()
                    .map(|n| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    } else if name == "out_dir" && kind != "export" {
        p.add(pos, "{out_dir} is for export steps only");
    }
}

/// Checks `deploy:`; `None` when it has no usable step list.
pub fn build(
    spec: &Located<DeploySpec>,
    variables: &BTreeMap<String, String>,
    p: &mut Problems<'_>,
) -> Option<DeployConfig> {
    let timeout = match &spec.value.timeout {
        None => DEFAULT_TIMEOUT,
        Some(t) => match duration::parse(&t.value) {
            Ok(d) => d,
            Err(e) => {
                p.add(t.pos, format!("deploy timeout: {e}"));
                DEFAULT_TIMEOUT
            }
        },
    };
    let steps = build_steps("deploy", &spec.value.steps, variables, p);
    if spec.value.steps.is_empty() {
        p.add(
            spec.pos,
            "deploy has no steps: add `steps:` with at least one `run:` or `http:` step",
        );
        return None;
    }
    Some(DeployConfig {
        timeout,
        steps,
        validate: build_steps("validate", &spec.value.validate, variables, p),
        export: build_steps("export", &spec.value.export, variables, p),
    })
}

/// The deployment part of an environment file, checked: `deploy:` (never on
/// the `first` environment, which changes by hand commits), the variable and
/// secret names, and `validate_before_promote` having something to run.
pub fn of_environment(
    spec: &crate::domain::pipeline::EnvironmentSpec,
    name: &str,
    first: bool,
    p: &mut Problems<'_>,
) -> (Option<DeployConfig>, Vec<String>) {
    let deploy = spec.deploy.as_ref().and_then(|d| {
        if first {
            p.add(
                d.pos,
                format!("`{name}` is the first environment, changed by commits by hand: it has nothing to deploy from; move `deploy:` to the environments after it"),
            );
            return None;
        }
        build(d, &spec.variables, p)
    });
    for v in spec.variables.keys() {
        if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            p.add(
                spec.name.pos,
                format!("variable name `{v}` may hold letters, digits and _ only"),
            );
        }
    }
    let mut secrets = Vec::new();
    for s in &spec.secrets {
        let upper = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
        if s.value.is_empty() || !s.value.chars().all(upper) {
            p.add(
                s.pos,
                format!(
                    "secret name `{}` must be upper-case letters, digits and _, like CRM_TOKEN",
                    s.value
                ),
            );
        } else {
            secrets.push(s.value.clone());
        }
    }
    if spec.validate_before_promote && deploy.as_ref().is_none_or(|d| d.validate.is_empty()) {
        p.add(
            spec.name.pos,
            "validate_before_promote needs `validate:` steps under `deploy:`",
        );
    }
    (deploy, secrets)
}

#[cfg(test)]
mod tests;
