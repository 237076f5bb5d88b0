//! `dtap drift adopt --live ENV PKG`: the CRM's version of a package (from
//! a fresh export) carried into develop as a commit, so the change travels
//! forward like any change: the files that differ in the CRM replace
//! develop's (package.yaml stays, its patch version bumped). Refused when
//! develop's package differs from ENV's in those files: the CRM's change
//! would then undo develop's own.

use crate::msg;
use serde::Serialize;
use serde_json::json;

use crate::app::deploy::ExportFailed;
use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::drift::adopted_version;
use crate::domain::live::{MANIFEST, PackageDiff};
use crate::domain::manifest::{Manifest, ManifestSpec, set_version};
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::gitrepo::{ConfigRepo, Identity};
use crate::store::NewAuditEvent;

const ATTEMPTS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct LiveAdoptOutcome {
    pub environment: String,
    pub package: String,
    /// The first environment (develop), which the change is carried into.
    pub into: String,
    /// Where the new version goes next.
    pub next: Option<String>,
    /// What the CRM had that the folder did not.
    pub adopted: PackageDiff,
    pub from_version: String,
    pub version: String,
    pub commit: String,
}

/// The commit prepared at one head: its changes and versions.
struct Prepared {
    head: String,
    changes: Vec<(String, Entry)>,
    from_version: String,
    version: String,
}

impl App {
    pub async fn adopt_live_drift(
        &self,
        caller: &Caller,
        env: &str,
        package: &str,
        reason: Option<&str>,
    ) -> Result<std::result::Result<LiveAdoptOutcome, ExportFailed>> {
        let environment = self.live_env(env)?;
        let develop = self
            .workspace
            .pipeline
            .first()
            .cloned()
            .ok_or_else(|| AppError::Internal("no environments".into()))?;
        if !self.workspace.access.can(&caller.email, "drift.ack") {
            return Err(AppError::refused(msg!(
                "{who} lacks permission drift.ack, which adopting live drift needs: ask a release manager",
                who = &caller.email
            )));
        }
        let compared = match self.compare_live(env, Some(package)).await? {
            Ok(c) => c,
            Err(failed) => return Ok(Err(failed)),
        };
        self.store.record_live_drift(env, &compared.packages, false).await?;
        let Some((diff, _)) = compared.packages.first().cloned() else {
            return Err(AppError::Internal(format!("{package} was not compared")));
        };
        if diff.is_empty() {
            return Err(AppError::refused(msg!(
                "the CRM of {env} holds {package} as its folder does: no live drift to adopt",
                env,
                package
            )));
        }
        let env_files = compared.git.get(package).cloned().unwrap_or_default();
        let live_dir = compared.export.out_dir.join(package);
        for _ in 0..ATTEMPTS {
            let repo = self.repo.clone();
            let (d, ef, dir) = (diff.clone(), env_files.clone(), live_dir.clone());
            let (dev_path, env_path, names) = (
                format!("{}/{package}", develop.path),
                format!("{}/{package}", environment.path),
                (develop.name.clone(), env.to_string(), package.to_string()),
            );
            let prepared =
                tokio::task::spawn_blocking(move || prepare(&repo, &d, &ef, &dir, &dev_path, &env_path, &names))
                    .await??;
            let message = write::message(
                &format!(
                    "Adopt the live change in {env}'s CRM into {}: {package} {}",
                    develop.name, prepared.version
                ),
                Some(&format!(
                    "changed: {}\nadded: {}\nmissing in the CRM: {}",
                    diff.changed.join(", "),
                    diff.added.join(", "),
                    diff.missing.join(", ")
                )),
                &[
                    ("Dtap-Action", "adopt".into()),
                    ("Dtap-Package", package.to_string()),
                    ("Dtap-Version", prepared.version.clone()),
                    ("Dtap-From", env.to_string()),
                    ("Dtap-Live", "yes".into()),
                    ("Dtap-By", caller.email.to_string()),
                ],
            );
            let repo = self.repo.clone();
            let (head, changes, msg, author) = (
                prepared.head.clone(),
                prepared.changes,
                message.clone(),
                Identity::from_email(&caller.email),
            );
            let anchor = self.store.audit_head().await?;
            let made =
                tokio::task::spawn_blocking(move || repo.commit_replacing(&head, &changes, &msg, &author, &anchor))
                    .await??;
            let repo = self.repo.clone();
            let commit = match self
                .publish_commit(&repo, &prepared.head, &made, &message, "adopt", None)
                .await?
            {
                CasOutcome::Committed(c) => c.to_string(),
                CasOutcome::Moved => continue,
            };
            let reason = reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("adopted into {} as {package} {}", develop.name, prepared.version));
            self.store
                .record(&NewAuditEvent {
                    actor: caller.email.to_string(),
                    action: "drift.adopt_live".into(),
                    object: format!("{env}/{package}"),
                    outcome: "ok".into(),
                    origin: caller.origin,
                    detail: json!({ "commit": commit, "version": prepared.version, "files": diff.files(), "reason": reason }),
                })
                .await?;
            // The CRM's change now travels with the new version: this finding needs no one's review.
            self.store
                .ack_live_drift(env, &[package.to_string()], &caller.email, &reason, caller.origin)
                .await?;
            self.refresh_index().await?;
            return Ok(Ok(LiveAdoptOutcome {
                environment: env.to_string(),
                package: package.to_string(),
                into: develop.name.clone(),
                next: self.workspace.pipeline.environments().get(1).map(|e| e.name.clone()),
                adopted: diff,
                from_version: prepared.from_version,
                version: prepared.version,
                commit,
            }));
        }
        Err(AppError::Conflict(msg!(
            "the config repo kept changing while adopting {env}/{package} into {develop}; nothing was adopted. Try again",
            env,
            package,
            develop = &develop.name
        )))
    }
}

/// Blocking: at the branch head, develop's package must hold ENV's version
/// of every file concerned; then the CRM's files replace them and the
/// manifest's patch version goes up.
fn prepare(
    repo: &ConfigRepo,
    diff: &PackageDiff,
    env_files: &std::collections::BTreeMap<String, String>,
    live_dir: &std::path::Path,
    dev_path: &str,
    env_path: &str,
    (develop, env, package): &(String, String, String),
) -> Result<Prepared> {
    let head = repo.head_id()?;
    let Some(dev_tree) = repo.package_tree_at(&head, dev_path)? else {
        return Err(AppError::refused(msg!(
            "{develop} has no package {package} ({dev_path} is missing): commit it there first, then adopt",
            develop,
            package,
            dev_path
        )));
    };
    let dev_root = dev_path
        .rsplit_once('/')
        .map(|(r, _)| r.to_string())
        .unwrap_or_default();
    let dev_files = repo
        .package_files(std::slice::from_ref(&dev_root))?
        .remove(&dev_root)
        .and_then(|mut p| p.remove(package.as_str()))
        .unwrap_or_default();
    let clashes: Vec<String> = diff
        .files()
        .into_iter()
        .filter(|f| dev_files.get(f) != env_files.get(f))
        .collect();
    if !clashes.is_empty() {
        return Err(AppError::refused(msg!(
            "{develop}'s {package} differs from {env}'s in {files}: taking the CRM's version would undo {develop}'s change \
             there. Make the CRM's change in {develop} by hand (`dtap drift check --live {env} --package {package}` \
             lists the files), then `dtap drift ack --live {env} --package {package} --reason TEXT`",
            develop,
            package,
            env,
            files = clashes.join(", ")
        )));
    }
    let path = format!("{dev_path}/{MANIFEST}");
    let parse = |text: &str| -> Result<Manifest> {
        let spec: ManifestSpec = crate::workspace::yaml::from_str(&path, text)
            .map_err(|p| AppError::Conflict(msg!("{problem}: fix the manifest first", problem = p)))?;
        Manifest::from_spec(package, spec)
            .map_err(|e| AppError::Conflict(msg!("{path}: {problems}", path, problems = e.join("; "))))
    };
    let text = repo
        .manifest_text(&dev_tree)?
        .ok_or_else(|| AppError::Conflict(msg!("{path} is missing: every package needs a manifest", path)))?;
    let ours = parse(&text)?;
    let env_version = match repo.package_tree_at(&head, env_path)? {
        Some(t) => repo.manifest_text(&t)?.and_then(|t| parse(&t).ok()).map(|m| m.version),
        None => None,
    };
    let version = adopted_version(&ours.version, env_version.as_ref());
    let bumped = set_version(&text, &version);
    parse(&bumped)?;
    let mut changes = Vec::new();
    for f in diff.changed.iter().chain(&diff.added) {
        let p = live_dir.join(f);
        let bytes = std::fs::read(&p).map_err(|e| AppError::Internal(format!("reading {}: {e}", p.display())))?;
        changes.push((format!("{dev_path}/{f}"), Entry::Blob(bytes)));
    }
    for f in &diff.missing {
        changes.push((format!("{dev_path}/{f}"), Entry::Remove));
    }
    changes.push((path, Entry::Blob(bumped.into_bytes())));
    Ok(Prepared {
        head,
        changes,
        from_version: ours.version.to_string(),
        version: version.to_string(),
    })
}
