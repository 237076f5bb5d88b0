//! Live drift (DESIGN §14, §15): the CRM's own configuration, as an
//! environment's `export:` steps wrote it, compared with the environment's
//! folder in git; the `live_drift:` setting of an environment and the gate
//! it puts on promotions into it. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Located;
use super::problem::Problems;
use super::promotion::GateVerdict;

/// The manifest is dtap's, never a CRM component: the comparison ignores it.
pub const MANIFEST: &str = "package.yaml";

/// The gate's name in a promotion plan.
pub const GATE: &str = "live_drift";

/// How one package in the CRM differs from its folder in git. Paths are
/// relative to the package folder, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDiff {
    pub package: String,
    /// In both, with other content.
    pub changed: Vec<String>,
    /// In the CRM, not in git.
    pub added: Vec<String>,
    /// In git, not in the CRM.
    pub missing: Vec<String>,
    /// The CRM's content id at each `changed` path (not part of the report).
    #[serde(skip)]
    pub live: BTreeMap<String, String>,
}

impl PackageDiff {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.missing.is_empty()
    }

    /// Every path that differs, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .changed
            .iter()
            .chain(&self.added)
            .chain(&self.missing)
            .cloned()
            .collect();
        all.sort();
        all
    }
}

/// Compares a package's files in git with the CRM's, each given as path →
/// content id (the same kind of id on both sides, e.g. git blob ids).
/// `package.yaml` at the package's root is ignored on both sides.
pub fn compare(package: &str, git: &BTreeMap<String, String>, live: &BTreeMap<String, String>) -> PackageDiff {
    let counts = |p: &String| p != MANIFEST;
    let mut d = PackageDiff {
        package: package.to_string(),
        ..Default::default()
    };
    for (path, id) in git.iter().filter(|(p, _)| counts(p)) {
        match live.get(path) {
            Some(l) if l != id => {
                d.changed.push(path.clone());
                d.live.insert(path.clone(), l.clone());
            }
            Some(_) => {}
            None => d.missing.push(path.clone()),
        }
    }
    d.added = live
        .keys()
        .filter(|p| counts(p) && !git.contains_key(*p))
        .cloned()
        .collect();
    d
}

/// One finding's identity: the same differences with the same content give
/// the same fingerprint, so a finding is acknowledged, and mailed, once.
/// Empty when there is no difference.
pub fn fingerprint(d: &PackageDiff, git: &BTreeMap<String, String>, live: &BTreeMap<String, String>) -> String {
    if d.is_empty() {
        return String::new();
    }
    let mut h = Sha256::new();
    h.update(d.package.as_bytes());
    for path in d.files() {
        let side = |m: &BTreeMap<String, String>| m.get(&path).cloned().unwrap_or_else(|| "-".into());
        h.update(format!("\n{path}\t{}\t{}", side(git), side(live)).as_bytes());
    }
    hex::encode(h.finalize())[..16].to_string()
}

/// The paths of a live finding that deploying `promoted` (path → content id
/// of the promoted version) would undo: a file changed in the CRM that the
/// promoted version has with other content, or a file deleted in the CRM
/// that it brings back. Components added in the CRM are left alone by a
/// deployment, so they are never undone.
pub fn undone(d: &PackageDiff, promoted: &BTreeMap<String, String>) -> Vec<String> {
    let mut out: Vec<String> = d
        .changed
        .iter()
        .filter(|p| promoted.get(*p) != d.live.get(*p))
        .chain(d.missing.iter().filter(|p| promoted.contains_key(*p)))
        .cloned()
        .collect();
    out.sort();
    out
}

/// The gate a promotion over live drift passes only with `--overwrite-drift`
/// (an acknowledgement lifts `live_drift: block`, never this); `None` when
/// it undoes nothing.
pub fn overwrite_gate(env: &str, package: &str, undone: &[String], overwrite: bool) -> Option<GateVerdict> {
    if undone.is_empty() {
        return None;
    }
    let files = undone.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    let more = undone.len().saturating_sub(5);
    let files = if more > 0 {
        format!("{files} and {more} more")
    } else {
        files
    };
    Some(if overwrite {
        GateVerdict {
            gate: "live overwrite".into(),
            passed: true,
            reason: format!("overwrites what was changed by hand in {env}'s CRM: {files} (--overwrite-drift)"),
            remedy: None,
        }
    } else {
        GateVerdict {
            gate: "live overwrite".into(),
            passed: false,
            reason: format!("would undo what was changed by hand in {env}'s CRM in {package}: {files}"),
            remedy: Some(format!(
                "take the change into develop (`dtap drift adopt --live {env} {package}`) and promote that,                  or overwrite it on purpose with --overwrite-drift --reason TEXT"
            )),
        }
    })
}

/// `live_drift:` of an environment: what unacknowledged live drift means
/// for promotions into it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveDriftMode {
    /// A dry run warns; promotions go ahead.
    #[default]
    Warn,
    /// Promotions are refused until the drift is adopted or acknowledged.
    Block,
}

/// Checks `live_drift:` as written; `has_export`: the environment has
/// `export:` steps, without which live drift is never found.
pub fn mode(spec: Option<&Located<String>>, has_export: bool, p: &mut Problems<'_>) -> LiveDriftMode {
    let Some(v) = spec else {
        return LiveDriftMode::Warn;
    };
    let mode = match v.value.trim() {
        "warn" => LiveDriftMode::Warn,
        "block" => LiveDriftMode::Block,
        other => {
            p.add(
                v.pos,
                format!("live_drift is `{other}`; write `warn` (the default) or `block`"),
            );
            return LiveDriftMode::Warn;
        }
    };
    if mode == LiveDriftMode::Block && !has_export {
        p.add(
            v.pos,
            "live_drift: block needs `export:` steps under `deploy:` that write the CRM's configuration into {out_dir}",
        );
    }
    mode
}

/// The gate on promotions into `env` in block mode: refused while any
/// package there has unacknowledged live drift (`unacknowledged`, package
/// names). `None` in warn mode: a dry run warns instead ([`warning`]).
pub fn gate(env: &str, mode: LiveDriftMode, unacknowledged: &[String]) -> Option<GateVerdict> {
    if mode != LiveDriftMode::Block {
        return None;
    }
    Some(match unacknowledged {
        [] => GateVerdict {
            gate: GATE.into(),
            passed: true,
            reason: format!("no unacknowledged live drift in {env}"),
            remedy: None,
        },
        packages => GateVerdict {
            gate: GATE.into(),
            passed: false,
            reason: format!(
                "the CRM of {env} differs from its folder (live drift, unacknowledged) in {}; {env} has live_drift: block",
                packages.join(", ")
            ),
            remedy: Some(format!(
                "carry the CRM's change into develop (`dtap drift adopt --live {env} {}`), or review it and \
                 `dtap drift ack --live {env} --reason TEXT`; `dtap drift check --live {env}` shows the files",
                packages[0]
            )),
        },
    })
}

/// A dry run's warning in warn mode; `None` when there is nothing to say.
pub fn warning(env: &str, mode: LiveDriftMode, unacknowledged: &[String]) -> Option<String> {
    (mode == LiveDriftMode::Warn && !unacknowledged.is_empty()).then(|| {
        format!(
            "live drift in {env}: the CRM differs from its folder in {} (`dtap drift check --live {env}`); \
             this promotion's deployment may overwrite changes made in the CRM by hand",
            unacknowledged.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Pos;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(p, i)| (p.to_string(), i.to_string())).collect()
    }

    #[test]
    fn a_promotion_undoes_a_changed_file_it_carries_otherwise_and_a_deleted_file_it_brings_back() {
        let git = files(&[
            ("classes/A.cls", "a1"),
            ("classes/B.cls", "b1"),
            ("classes/C.cls", "c1"),
        ]);
        let live = files(&[
            ("classes/A.cls", "a-by-hand"),
            ("classes/B.cls", "b1"),
            ("classes/Extra.cls", "x"),
        ]);
        let d = compare("apex", &git, &live);
        assert_eq!(d.live, files(&[("classes/A.cls", "a-by-hand")]));
        // The same version again: A is overwritten, C (deleted in the CRM) comes back.
        assert_eq!(undone(&d, &git), ["classes/A.cls", "classes/C.cls"]);
        // A version that took the CRM's change in (adopted) and drops C undoes nothing;
        // Extra, added in the CRM, is never touched by a deployment.
        let adopted = files(&[("classes/A.cls", "a-by-hand"), ("classes/B.cls", "b2")]);
        assert!(undone(&d, &adopted).is_empty());
        assert!(overwrite_gate("test", "apex", &[], false).is_none());
        let g = overwrite_gate("test", "apex", &undone(&d, &git), false).unwrap();
        assert!(!g.passed && g.remedy.unwrap().contains("dtap drift adopt --live test apex"));
        assert!(overwrite_gate("test", "apex", &undone(&d, &git), true).unwrap().passed);
    }

    #[test]
    fn changed_added_and_missing_files_are_found_and_the_manifest_ignored() {
        let git = files(&[
            ("package.yaml", "m1"),
            ("classes/A.cls", "a1"),
            ("classes/B.cls", "b1"),
            ("classes/C.cls", "c1"),
        ]);
        let live = files(&[
            ("package.yaml", "other"),
            ("classes/A.cls", "a1"),
            ("classes/B.cls", "b2"),
            ("classes/D.cls", "d1"),
        ]);
        let d = compare("p", &git, &live);
        assert_eq!(d.changed, ["classes/B.cls"]);
        assert_eq!(d.added, ["classes/D.cls"]);
        assert_eq!(d.missing, ["classes/C.cls"]);
        assert_eq!(d.files(), ["classes/B.cls", "classes/C.cls", "classes/D.cls"]);
        let same = compare("p", &git, &git);
        assert!(same.is_empty());
        assert_eq!(fingerprint(&same, &git, &git), "");
        // Without a manifest in the CRM nothing is missing either.
        let no_manifest = files(&[
            ("classes/A.cls", "a1"),
            ("classes/B.cls", "b1"),
            ("classes/C.cls", "c1"),
        ]);
        assert!(compare("p", &git, &no_manifest).is_empty());
    }

    #[test]
    fn the_fingerprint_follows_the_content_of_the_differences() {
        let git = files(&[("classes/A.cls", "a1"), ("classes/B.cls", "b1")]);
        let once = files(&[("classes/A.cls", "a2"), ("classes/B.cls", "b1")]);
        let again = files(&[("classes/A.cls", "a3"), ("classes/B.cls", "b1")]);
        let f1 = fingerprint(&compare("p", &git, &once), &git, &once);
        assert_eq!(f1, fingerprint(&compare("p", &git, &once), &git, &once));
        assert_ne!(f1, fingerprint(&compare("p", &git, &again), &git, &again));
        assert_ne!(f1, fingerprint(&compare("q", &git, &once), &git, &once));
        assert_eq!(f1.len(), 16);
    }

    #[test]
    fn block_refuses_naming_the_packages_and_the_ways_out_and_warn_only_warns() {
        assert_eq!(gate("test", LiveDriftMode::Warn, &["p".into()]), None);
        assert!(gate("test", LiveDriftMode::Block, &[]).unwrap().passed);
        let g = gate("test", LiveDriftMode::Block, &["ebikes-apex".into()]).unwrap();
        assert!(!g.passed && g.reason.contains("ebikes-apex"));
        let remedy = g.remedy.unwrap();
        assert!(remedy.contains("dtap drift adopt --live test ebikes-apex"), "{remedy}");
        assert!(remedy.contains("dtap drift ack --live test"), "{remedy}");
        assert!(
            warning("test", LiveDriftMode::Warn, &["p".into()])
                .unwrap()
                .contains("live drift in test")
        );
        assert_eq!(warning("test", LiveDriftMode::Block, &["p".into()]), None);
        assert_eq!(warning("test", LiveDriftMode::Warn, &[]), None);
    }

    #[test]
    fn the_setting_is_warn_or_block_and_block_needs_export_steps() {
        let at = |v: &str| Located::new(v.to_string(), Pos::new(7, 13));
        let mut p = Problems::new("environments/test.yaml");
        assert_eq!(mode(None, false, &mut p), LiveDriftMode::Warn);
        assert_eq!(mode(Some(&at("block")), true, &mut p), LiveDriftMode::Block);
        assert!(p.list.is_empty());
        assert_eq!(mode(Some(&at("stop")), true, &mut p), LiveDriftMode::Warn);
        mode(Some(&at("block")), false, &mut p);
        let shown: Vec<String> = p.list.iter().map(|x| x.to_string()).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].contains("environments/test.yaml:7") && shown[0].contains("`warn`"),
            "{shown:?}"
        );
        assert!(shown[1].contains("export:"), "{shown:?}");
    }
}
