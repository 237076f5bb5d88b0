//! `dtap drift adopt ENV PKG`: the hand-made change(s) in an environment's
//! folder of a package, carried into develop as a new patch version by a
//! three-way merge (base: the tree dtap last put in ENV; theirs: ENV's tree
//! now; ours: develop's), so they travel forward like any change.

use crate::msg;
use serde::Serialize;
use serde_json::json;

use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::drift::adopted_version;
use crate::domain::manifest::{Manifest, ManifestSpec, set_version};
use crate::domain::names;
use crate::domain::pipeline::Environment;
use crate::gitrepo::drift::{HandCommit, HandHistory, Merged};
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::gitrepo::{ConfigRepo, Identity};

const ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct AdoptRequest {
    pub environment: String,
    pub package: String,
    pub reason: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdoptedCommit {
    pub commit: String,
    pub summary: String,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdoptOutcome {
    pub environment: String,
    pub package: String,
    /// The first environment (develop), which the change is carried into.
    pub into: String,
    /// The environment after it, where the new version goes next.
    pub next: Option<String>,
    /// The hand-made commits carried into develop, oldest first.
    pub adopted: Vec<AdoptedCommit>,
    /// Develop's version before and after.
    pub from_version: String,
    pub version: String,
    /// The commit in develop (`None`: a dry run, or develop held the change already).
    pub commit: Option<String>,
    /// Develop already held exactly these changes: nothing was committed.
    pub already_in_develop: bool,
    /// The environment's drift was acknowledged up to the adoption.
    pub acknowledged: bool,
    /// Unacknowledged hand-made commits in the environment that touch other
    /// packages too: the adoption does not acknowledge those.
    pub still_unacknowledged: Vec<String>,
    pub dry_run: bool,
}

/// What one attempt prepared at one branch head.
struct Prepared {
    head: String,
    pending: Vec<HandCommit>,
    merged: String,
    manifest: String,
    from_version: String,
    version: String,
    already: bool,
}

impl App {
    pub async fn adopt_drift(&self, caller: &Caller, req: &AdoptRequest) -> Result<AdoptOutcome> {
        let (env, develop) = self.adoption_envs(caller, req)?;
        if !req.dry_run {
            self.refresh_index().await?;
        }
        for _ in 0..ATTEMPTS {
            let prepared = self.prepare_adoption(&env, &develop, &req.package).await?;
            let snapshot = self.index_snapshot().await?;
            let unacked: Vec<String> = snapshot
                .drift
                .get(&env.path)
                .map(|d| d.iter().map(|c| c.commit.clone()).collect())
                .unwrap_or_default();
            // Acknowledge only when every unacknowledged commit there is one adopted here, touching this package alone.
            let still: Vec<String> = unacked
                .iter()
                .filter(|c| {
                    !prepared
                        .pending
                        .iter()
                        .any(|p| &&p.commit == c && p.other_packages.is_empty())
                })
                .cloned()
                .collect();
            let mut outcome = AdoptOutcome {
                environment: env.name.clone(),
                package: req.package.clone(),
                into: develop.name.clone(),
                next: self.workspace.pipeline.environments().get(1).map(|e| e.name.clone()),
                adopted: prepared
                    .pending
                    .iter()
                    .map(|c| AdoptedCommit {
                        commit: c.commit.clone(),
                        summary: c.summary.clone(),
                        files: c.files.clone(),
                    })
                    .collect(),
                from_version: prepared.from_version.clone(),
                version: prepared.version.clone(),
                commit: None,
                already_in_develop: prepared.already,
                acknowledged: still.is_empty() && !unacked.is_empty(),
                still_unacknowledged: still,
                dry_run: req.dry_run,
            };
            if req.dry_run {
                return Ok(outcome);
            }
            let landed = match prepared.already {
                true => prepared.head.clone(),
                false => match self.commit_adoption(caller, req, &env, &develop, &prepared).await? {
                    Some(c) => c,
                    None => continue,
                },
            };
            outcome.commit = (!prepared.already).then(|| landed.clone());
            let reason = req
                .reason
                .clone()
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| format!("adopted into {} as {} {}", develop.name, req.package, outcome.version));
            self.store
                .record_adoption(
                    &env.name,
                    outcome.acknowledged.then_some(landed.as_str()),
                    &caller.email,
                    &reason,
                    caller.origin,
                    json!({
                        "package": req.package,
                        "commit": outcome.commit,
                        "version": outcome.version,
                        "adopted": outcome.adopted.iter().map(|a| &a.commit).collect::<Vec<_>>(),
                        "reason": reason,
                    }),
                )
                .await?;
            if outcome.acknowledged {
                self.refresh_index().await?;
                self.store.clear_indexed_drift(&env.path, &landed).await?;
            }
            return Ok(outcome);
        }
        Err(AppError::Conflict(msg!(
            "the config repo kept changing while adopting {env}/{package} into {develop}; nothing was adopted. Try again",
            env = &env.name,
            package = &req.package,
            develop = &develop.name
        )))
    }

    /// The environment adopted from and develop, after the checks that need no repo.
    fn adoption_envs(&self, caller: &Caller, req: &AdoptRequest) -> Result<(Environment, Environment)> {
        self.known_env(&req.environment)?;
        let p = &self.workspace.pipeline;
        let develop = p
            .first()
            .ok_or_else(|| AppError::Internal("no environments".into()))?
            .clone();
        let env = p.get(&req.environment).cloned().unwrap_or_else(|| develop.clone());
        if env.name == develop.name {
            return Err(AppError::refused(msg!(
                "{env} is where changes are made by hand: there is nothing to adopt from it; name the environment that was changed by hand (e.g. production)",
                env = &develop.name
            )));
        }
        if !self.workspace.access.can(&caller.email, "drift.ack") {
            return Err(AppError::refused(msg!(
                "{who} lacks permission drift.ack, which adopting drift needs: ask a release manager",
                who = &caller.email
            )));
        }
        if !names::is_package_name(&req.package) {
            return Err(AppError::invalid(
                "package",
                msg!("`{package}` is not a package name", package = &req.package),
            ));
        }
        Ok((env, develop))
    }

    /// Reads the hand-made changes and merges them onto develop's tree at the current head.
    async fn prepare_adoption(&self, env: &Environment, develop: &Environment, package: &str) -> Result<Prepared> {
        let (history, changes) = self.hand_changes(&env.path, package).await?;
        let where_ = format!("{}/{package}", env.path);
        let pending: Vec<HandCommit> = history
            .commits
            .iter()
            .zip(&changes)
            .filter(|(_, c)| c.adopted_in.is_none())
            .map(|(h, _)| h.clone())
            .collect();
        if pending.is_empty() {
            return Err(AppError::refused(
                match changes.iter().find_map(|c| c.adopted_in.as_ref()) {
                    Some(v) => msg!(
                        "the hand-made changes in {place} were adopted already, into {develop} {package} {version}: promote that version onward",
                        place = &where_,
                        develop = &develop.name,
                        package,
                        version = v
                    ),
                    None => msg!(
                        "{place} has no hand-made change since dtap last wrote it: nothing to adopt (`dtap drift list` shows drift per environment)",
                        place = &where_
                    ),
                },
            ));
        }
        let repo = self.repo.clone();
        let (dev_path, pkg, env_name, dev_name) = (
            format!("{}/{package}", develop.path),
            package.to_string(),
            env.name.clone(),
            develop.name.clone(),
        );
        let (head, merged, manifest, from_version, version, already) = tokio::task::spawn_blocking(move || {
            merge_into_develop(&repo, &history, &dev_path, &pkg, &env_name, &dev_name)
        })
        .await??;
        Ok(Prepared {
            head,
            pending,
            merged,
            manifest,
            from_version,
            version,
            already,
        })
    }

    /// Commits the merged tree with its bumped manifest into develop,
    /// compare-and-swap. `None` when the branch moved first.
    async fn commit_adoption(
        &self,
        caller: &Caller,
        req: &AdoptRequest,
        env: &Environment,
        develop: &Environment,
        p: &Prepared,
    ) -> Result<Option<String>> {
        let folder = format!("{}/{}", develop.path, req.package);
        let body: Vec<String> = p
            .pending
            .iter()
            .map(|c| {
                format!(
                    "{} {}: {}",
                    &c.commit[..c.commit.len().min(10)],
                    c.summary,
                    c.files.join(", ")
                )
            })
            .collect();
        let mut trailers: Vec<(&str, String)> = vec![
            ("Dtap-Action", "adopt".into()),
            ("Dtap-Package", req.package.clone()),
            ("Dtap-Version", p.version.clone()),
            ("Dtap-From", env.name.clone()),
        ];
        for c in &p.pending {
            trailers.push(("Dtap-Adopted", c.commit.clone()));
        }
        trailers.push(("Dtap-By", caller.email.to_string()));
        if let Some(r) = &req.reason {
            trailers.push(("Dtap-Reason", r.clone()));
        }
        let message = write::message(
            &format!(
                "Adopt the hand-made change in {} into {}: {} {}",
                env.name, develop.name, req.package, p.version
            ),
            Some(&body.join("\n")),
            &trailers,
        );
        let repo = self.repo.clone();
        let changes = vec![
            (folder.clone(), Entry::Tree(p.merged.clone())),
            (
                format!("{folder}/package.yaml"),
                Entry::Blob(p.manifest.clone().into_bytes()),
            ),
        ];
        let (head, msg, author) = (p.head.clone(), message.clone(), Identity::from_email(&caller.email));
        let anchor = self.store.audit_head().await?;
        let made = tokio::task::spawn_blocking(move || repo.commit_replacing(&head, &changes, &msg, &author, &anchor))
            .await??;
        let repo = self.repo.clone();
        match self
            .publish_commit(&repo, &p.head, &made, &message, "adopt", None)
            .await?
        {
            CasOutcome::Committed(c) => Ok(Some(c.to_string())),
            CasOutcome::Moved => Ok(None),
        }
    }
}

type MergeResult = (String, String, String, String, String, bool);

/// Blocking: develop's tree of the package merged with the hand-made changes,
/// and its manifest with the version bumped.
fn merge_into_develop(
    repo: &ConfigRepo,
    history: &HandHistory,
    dev_path: &str,
    package: &str,
    env: &str,
    develop: &str,
) -> Result<MergeResult> {
    let Some(theirs) = &history.current else {
        return Err(AppError::refused(msg!(
            "{package} was removed from {env} by hand: adoption carries changed files, not a removal; \
             restore the folder, or review the removal and `dtap drift ack {env} --reason TEXT`",
            package,
            env
        )));
    };
    let Some(ours) = repo.package_tree_at(&history.head, dev_path)? else {
        return Err(AppError::refused(msg!(
            "{develop} has no package {package} ({dev_path} is missing): commit it there first, then adopt",
            develop,
            package,
            dev_path
        )));
    };
    let merged = match repo.merge_package(history.base.as_deref(), &ours, theirs)? {
        Merged::Tree(t) => t,
        Merged::Conflicts(files) => {
            return Err(AppError::refused(msg!(
                "the hand-made change in {env}/{package} clashes with {develop} in {files}: both changed the same lines. \
                 Make the change in {develop} by hand (`dtap diff {env} {develop} --package {package}` shows it), \
                 then `dtap drift ack {env} --reason TEXT`",
                env,
                package,
                develop,
                files = files.join(", ")
            )));
        }
    };
    let path = format!("{dev_path}/package.yaml");
    let text = repo
        .manifest_text(&ours)?
        .ok_or_else(|| AppError::Conflict(msg!("{path} is missing: every package needs a manifest", path)))?;
    let parse = |text: &str| -> Result<Manifest> {
        let spec: ManifestSpec = crate::workspace::yaml::from_str(&path, text)
            .map_err(|p| AppError::Conflict(msg!("{problem}: fix the manifest first", problem = p)))?;
        Manifest::from_spec(package, spec)
            .map_err(|e| AppError::Conflict(msg!("{path}: {problems}", path, problems = e.join("; "))))
    };
    let ours_manifest = parse(&text)?;
    let env_version = repo
        .manifest_text(theirs)?
        .and_then(|t| parse(&t).ok())
        .map(|m| m.version);
    let version = adopted_version(&ours_manifest.version, env_version.as_ref());
    let bumped = set_version(&text, &version);
    parse(&bumped)?;
    // Develop holds these changes already: nothing to commit, no new version.
    let already = merged == ours;
    let version = if already {
        ours_manifest.version.clone()
    } else {
        version
    };
    Ok((
        history.head.clone(),
        merged,
        bumped,
        ours_manifest.version.to_string(),
        version.to_string(),
        already,
    ))
}
