//! `package.yaml`: what a package version is and which RFCs it carries.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

use super::names;

/// `package.yaml` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestSpec {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub rfcs: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub requires_platform: Option<String>,
    #[serde(default)]
    pub depends_on: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub name: String,
    pub version: Version,
    pub rfcs: Vec<String>,
    pub description: Option<String>,
    pub requires_platform: Option<String>,
    #[serde(serialize_with = "ser_reqs")]
    pub depends_on: BTreeMap<String, VersionReq>,
}

fn ser_reqs<S: serde::Serializer>(m: &BTreeMap<String, VersionReq>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k, &v.to_string())?;
    }
    map.end()
}

impl Manifest {
    /// Validates a manifest found in folder `folder`. Every problem is returned,
    /// each a sentence naming the field.
    pub fn from_spec(folder: &str, spec: ManifestSpec) -> Result<Manifest, Vec<String>> {
        let mut errors = Vec::new();
        if spec.name != folder {
            errors.push(format!(
                "name: `{}` differs from its folder `{folder}`; they must be equal",
                spec.name
            ));
        }
        if !names::is_package_name(&spec.name) {
            errors.push(format!(
                "name: `{}` is invalid: use [a-z0-9][a-z0-9._-]{{0,63}}",
                spec.name
            ));
        }
        let version = match Version::parse(spec.version.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(format!(
                    "version: `{}` is not a semantic version such as 1.4.0 ({e})",
                    spec.version
                ));
                None
            }
        };
        let mut rfcs = Vec::new();
        for r in &spec.rfcs {
            if names::is_rfc_id(r) {
                if !rfcs.contains(r) {
                    rfcs.push(r.clone());
                }
            } else {
                errors.push(format!("rfcs: `{r}` is not an RFC id such as RFC-12"));
            }
        }
        if let Some(p) = &spec.requires_platform
            && parse_platform(p).is_none()
        {
            errors.push(format!(
                "requires_platform: `{p}` is not a platform release such as 2026.2"
            ));
        }
        let mut depends_on = BTreeMap::new();
        for (name, req) in spec.depends_on {
            if !names::is_package_name(&name) {
                errors.push(format!("depends_on: `{name}` is not a package name"));
                continue;
            }
            if name == spec.name {
                errors.push(format!("depends_on: `{name}` depends on itself"));
                continue;
            }
            match VersionReq::parse(&req) {
                Ok(r) => {
                    depends_on.insert(name, r);
                }
                Err(e) => errors.push(format!(
                    "depends_on: `{name}: {req}` is not a version requirement such as \">=1.2\" ({e})"
                )),
            }
        }
        match (version, errors.is_empty()) {
            (Some(version), true) => Ok(Manifest {
                name: spec.name,
                version,
                rfcs,
                description: spec.description,
                requires_platform: spec.requires_platform,
                depends_on,
            }),
            _ => Err(errors),
        }
    }
}

/// Rewrites the top-level `version:` line of a manifest's text, keeping every
/// other line as written; adds one when there is none.
pub fn set_version(text: &str, version: &semver::Version) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut done = false;
    for l in text.lines() {
        if !done && l.starts_with("version:") {
            out.push(format!("version: {version}"));
            done = true;
        } else {
            out.push(l.to_string());
        }
    }
    if !done {
        out.push(format!("version: {version}"));
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

/// Rewrites the top-level `rfcs:` entry of a manifest's text to `rfcs`,
/// keeping every other line as written (comments included).
pub fn set_rfcs(text: &str, rfcs: &[String]) -> String {
    let new_line = format!("rfcs: [{}]", rfcs.join(", "));
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("rfcs:")) else {
        let mut out = text.trim_end_matches('\n').to_string();
        out.push('\n');
        out.push_str(&new_line);
        out.push('\n');
        return out;
    };
    let inline = lines[start]["rfcs:".len()..]
        .split('#')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let mut end = start + 1;
    if inline.is_empty() {
        // A block sequence: the indented `- ...` lines (and blank lines between them).
        while end < lines.len() {
            let l = lines[end];
            let t = l.trim_start();
            let item = l.starts_with([' ', '\t', '-']) && (t.starts_with('-') || t.starts_with('#'));
            // A blank line belongs to the list only when more items follow it.
            let gap = t.is_empty()
                && lines[end + 1..]
                    .iter()
                    .find(|x| !x.trim().is_empty())
                    .is_some_and(|x| x.trim_start().starts_with('-') && x.starts_with([' ', '-']));
            if item || gap {
                end += 1;
            } else {
                break;
            }
        }
    }
    let mut out: Vec<String> = lines[..start].iter().map(|s| s.to_string()).collect();
    out.push(new_line);
    out.extend(lines[end..].iter().map(|s| s.to_string()));
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

fn parse_platform(s: &str) -> Option<Vec<u64>> {
    let parts: Option<Vec<u64>> = s.trim().split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

/// Compares CRM platform releases such as `2026.2` and `2026.10` numerically.
/// `None` when either is not a release number.
pub fn compare_platform(a: &str, b: &str) -> Option<Ordering> {
    let (mut a, mut b) = (parse_platform(a)?, parse_platform(b)?);
    let n = a.len().max(b.len());
    a.resize(n, 0);
    b.resize(n, 0);
    Some(a.cmp(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ManifestSpec {
        ManifestSpec {
            name: "crm-core".into(),
            version: "1.4.0".into(),
            rfcs: vec!["RFC-12".into(), "RFC-12".into(), "RFC-3".into()],
            description: Some("Core fields".into()),
            requires_platform: Some("2026.2".into()),
            depends_on: [("crm-base".to_string(), ">=1.2".to_string())].into(),
        }
    }

    #[test]
    fn valid_manifest() {
        let m = Manifest::from_spec("crm-core", spec()).unwrap();
        assert_eq!(m.version, Version::new(1, 4, 0));
        assert_eq!(m.rfcs, ["RFC-12", "RFC-3"], "duplicates dropped, order kept");
        assert!(m.depends_on["crm-base"].matches(&Version::new(1, 3, 0)));
    }

    #[test]
    fn every_problem_is_named() {
        let mut s = spec();
        s.name = "Crm".into();
        s.version = "1.4".into();
        s.rfcs = vec!["12".into()];
        s.requires_platform = Some("spring".into());
        s.depends_on = [
            ("crm-base".to_string(), "about 1".to_string()),
            ("Bad Name".to_string(), "1".to_string()),
        ]
        .into();
        let errors = Manifest::from_spec("crm-core", s).unwrap_err();
        let text = errors.join("\n");
        for needle in [
            "name: `Crm` differs",
            "name: `Crm` is invalid",
            "version: `1.4`",
            "rfcs: `12`",
            "requires_platform: `spring`",
            "depends_on: `crm-base: about 1`",
            "depends_on: `Bad Name` is not a package name",
        ] {
            assert!(text.contains(needle), "missing {needle} in {text}");
        }
    }

    #[test]
    fn a_package_cannot_depend_on_itself() {
        let mut s = spec();
        s.depends_on = [("crm-core".to_string(), ">=1".to_string())].into();
        let errors = Manifest::from_spec("crm-core", s).unwrap_err();
        assert_eq!(errors, ["depends_on: `crm-core` depends on itself"]);
    }

    #[test]
    fn set_version_replaces_only_the_top_level_line() {
        let v = semver::Version::new(1, 2, 4);
        let text = "name: crm-core\nversion: 1.2.3 # bumped by hand\nrfcs: [RFC-1]\nextra:\n  version: 9\n";
        assert_eq!(
            set_version(text, &v),
            "name: crm-core\nversion: 1.2.4\nrfcs: [RFC-1]\nextra:\n  version: 9\n"
        );
        assert_eq!(set_version("name: a", &v), "name: a\nversion: 1.2.4\n");
    }

    #[test]
    fn set_rfcs_keeps_the_rest() {
        let flow = "# core\nname: crm-core\nversion: 1.0.0\nrfcs: [RFC-1] # linked\ndescription: x\n";
        assert_eq!(
            set_rfcs(flow, &["RFC-1".into(), "RFC-2".into()]),
            "# core\nname: crm-core\nversion: 1.0.0\nrfcs: [RFC-1, RFC-2]\ndescription: x\n"
        );
        let block = "name: a\nrfcs:\n  - RFC-1\n  - RFC-3\nversion: 1.0.0\n";
        assert_eq!(
            set_rfcs(block, &["RFC-9".into()]),
            "name: a\nrfcs: [RFC-9]\nversion: 1.0.0\n"
        );
        let block_no_indent = "name: a\nrfcs:\n- RFC-1\nversion: 1.0.0\n";
        assert_eq!(set_rfcs(block_no_indent, &[]), "name: a\nrfcs: []\nversion: 1.0.0\n");
        let none = "name: a\nversion: 1.0.0";
        assert_eq!(
            set_rfcs(none, &["RFC-4".into()]),
            "name: a\nversion: 1.0.0\nrfcs: [RFC-4]\n"
        );
    }

    #[test]
    fn platform_releases_compare_numerically() {
        assert_eq!(compare_platform("2026.2", "2026.10"), Some(Ordering::Less));
        assert_eq!(compare_platform("2026.2", "2026.2.0"), Some(Ordering::Equal));
        assert_eq!(compare_platform("2027.1", "2026.2"), Some(Ordering::Greater));
        assert_eq!(compare_platform("x", "2026.2"), None);
    }
}
