//! Promotion: moving a package version from one environment to the next in
//! the config repo, after every gate passed, atomically and provably.

use std::collections::BTreeMap;

use git2::{Delta, Oid, Repository};
use semver::Version;
use serde::Serialize;
use serde_json::json;

use super::failpoint;
use super::rfcs::Caller;
use super::signoff::Moved;
use super::{App, AppError, Result};
use crate::domain::manifest::Manifest;
use crate::domain::pipeline::{Environment, Gate};
use crate::domain::promotion::{self, Facts, RfcFacts, Role, SignoffFacts, Verdict};
use crate::domain::rfc::RfcId;
use crate::domain::rfc::lifecycle::SystemMove;
use crate::gitrepo::history::Arrival;
use crate::gitrepo::read::read_manifest;
use crate::gitrepo::safety::unsafe_entries;
use crate::gitrepo::write::{self, CasOutcome, Entry};
use crate::gitrepo::{ConfigRepo, Identity};
use crate::store::audit::{self, NewAuditEvent};
use crate::store::promotions::{self as intents, NewIntent};

const ATTEMPTS: usize = 10;
const LEASE_SECS: i64 = 120;

#[derive(Debug, Clone)]
pub struct PromoteRequest {
    /// Packages (with an optional expected version); empty means every package
    /// whose tree differs from the previous environment (`--all`).
    pub packages: Vec<(String, Option<Version>)>,
    pub to: String,
    pub reason: Option<String>,
    pub emergency: bool,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FileChanges {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedPackage {
    pub package: String,
    pub from_version: Option<String>,
    pub version: Option<String>,
    pub tree: String,
    pub rfcs: Vec<String>,
    pub already: bool,
    pub files: FileChanges,
    pub gates: Vec<Verdict>,
}

impl PlannedPackage {
    pub fn refused(&self) -> bool {
        !self.already && self.gates.iter().any(|g| !g.passed)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub environment: String,
    pub from: String,
    pub head: String,
    pub packages: Vec<PlannedPackage>,
}

impl Plan {
    pub fn refused(&self) -> bool {
        self.packages.iter().any(PlannedPackage::refused)
    }
    fn moving(&self) -> impl Iterator<Item = &PlannedPackage> {
        self.packages.iter().filter(|p| !p.already)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PromoteOutcome {
    AlreadyThere { plan: Plan },
    DryRun { plan: Plan },
    Refused { plan: Plan },
    Promoted { plan: Plan, commit: String },
}

/// What git says about one package, read in one blocking pass.
struct PackageGit {
    name: String,
    source_tree: String,
    manifest: std::result::Result<Manifest, String>,
    target_tree: Option<String>,
    target_version: Option<Version>,
    unsafe_entries: Vec<String>,
    files: FileChanges,
}

struct GitFacts {
    head: String,
    packages: Vec<PackageGit>,
}

fn read_git(
    repo: &ConfigRepo,
    from: &Environment,
    to: &Environment,
    wanted: &[(String, Option<Version>)],
) -> Result<GitFacts> {
    let git = repo.open()?;
    let head = repo.head(&git)?;
    let root = git.find_commit(head)?.tree()?;
    let folder = |path: &str| -> Result<Option<git2::Tree<'_>>> {
        match root.get_name(path) {
            Some(e) if e.kind() == Some(git2::ObjectType::Tree) => Ok(Some(git.find_tree(e.id())?)),
            _ => Ok(None),
        }
    };
    let source_dir = folder(&from.path)?;
    let target_dir = folder(&to.path)?;
    let names: Vec<String> = if wanted.is_empty() {
        source_dir
            .iter()
            .flat_map(|d| d.iter())
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .map(|e| String::from_utf8_lossy(e.name_bytes()).into_owned())
            .filter(|n| {
                let s = source_dir.as_ref().and_then(|d| d.get_name(n)).map(|e| e.id());
                let t = target_dir.as_ref().and_then(|d| d.get_name(n)).map(|e| e.id());
                s != t
            })
            .collect()
    } else {
        wanted.iter().map(|(n, _)| n.clone()).collect()
    };
    let mut packages = Vec::new();
    for name in names {
        if !crate::domain::names::is_package_name(&name) {
            return Err(AppError::Invalid(vec![crate::domain::rfc::FieldError::new(
                "package",
                format!("`{name}` is not a valid package name: use [a-z0-9][a-z0-9._-]{{0,63}}"),
            )]));
        }
        let Some(entry) = source_dir
            .as_ref()
            .and_then(|d| d.get_name(&name))
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
        else {
            return Err(AppError::refused(format!(
                "{name} is not in {}: dtap promotes only from the directly previous environment, so promote it into {} first (the folder {}/{name} is missing)",
                from.name, from.name, from.path
            )));
        };
        let source = git.find_tree(entry.id())?;
        let target = target_dir
            .as_ref()
            .and_then(|d| d.get_name(&name))
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree));
        let target_tree = match target {
            Some(e) => Some(git.find_tree(e.id())?),
            None => None,
        };
        let target_version = target_tree
            .as_ref()
            .and_then(|t| read_manifest(&git, &name, t).ok())
            .map(|m| m.version);
        packages.push(PackageGit {
            manifest: read_manifest(&git, &name, &source),
            unsafe_entries: unsafe_entries(&git, &source),
            files: file_changes(&git, target_tree.as_ref(), &source)?,
            source_tree: source.id().to_string(),
            target_tree: target_tree.map(|t| t.id().to_string()),
            target_version,
            name,
        });
    }
    Ok(GitFacts {
        head: head.to_string(),
        packages,
    })
}

pub fn file_changes(git: &Repository, old: Option<&git2::Tree<'_>>, new: &git2::Tree<'_>) -> Result<FileChanges> {
    let diff = git.diff_tree_to_tree(old, Some(new), None)?;
    let mut c = FileChanges::default();
    for d in diff.deltas() {
        let path = d
            .new_file()
            .path()
            .or(d.old_file().path())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match d.status() {
            Delta::Added => c.added.push(path),
            Delta::Deleted => c.removed.push(path),
            _ => c.changed.push(path),
        }
    }
    Ok(c)
}

fn role_move(role: Role) -> Option<SystemMove> {
    match role {
        Role::Test => Some(SystemMove::ReachedTest),
        Role::Acceptance => Some(SystemMove::ReachedAcceptance),
        Role::Production => Some(SystemMove::ReachedProduction),
        Role::Develop | Role::Other => None,
    }
}

pub(crate) fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

pub(crate) fn lease_owner() -> String {
    super::worker::worker_id()
}

pub(crate) fn lease_owner_pub() -> String {
    lease_owner()
}

pub(crate) fn lease_until_pub() -> String {
    rfc3339(now() + time::Duration::seconds(LEASE_SECS))
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    crate::domain::stamp::stamp(t)
}

impl App {
    fn environments(&self, to: &str) -> Result<(Environment, Environment)> {
        let p = &self.workspace.pipeline;
        let Some(target) = p.get(to) else {
            let known: Vec<&str> = p.names().collect();
            return Err(AppError::Invalid(vec![crate::domain::rfc::FieldError::new(
                "to",
                format!("unknown environment `{to}`; known: {}", known.join(", ")),
            )]));
        };
        let Some(from) = p.previous(to) else {
            return Err(AppError::refused(format!(
                "nothing comes before {to}: commit changes to its folder in the config repo instead of promoting"
            )));
        };
        Ok((from.clone(), target.clone()))
    }

    /// Works out what a promotion would do and how every gate judges it.
    pub async fn plan_promotion(&self, caller: &Caller, req: &PromoteRequest) -> Result<Plan> {
        let (from, to) = self.environments(&req.to)?;
        // Facts from git and from the index must describe the same head. A dry
        // run reads the index without writing it.
        let mut tries = 0;
        let (git, snapshot) = loop {
            let snapshot = if req.dry_run {
                self.index_snapshot().await?
            } else {
                self.refresh_index().await?;
                self.index_snapshot().await?
            };
            let repo = self.repo.clone();
            let (f2, t2, wanted) = (from.clone(), to.clone(), req.packages.clone());
            let git = tokio::task::spawn_blocking(move || read_git(&repo, &f2, &t2, &wanted)).await??;
            tries += 1;
            if git.head == snapshot.head || tries >= 5 {
                break (git, snapshot);
            }
        };
        let index_rows: Vec<_> = snapshot
            .packages
            .iter()
            .filter(|p| p.env_path == from.path || p.env_path == to.path)
            .cloned()
            .collect();
        let arrivals: BTreeMap<String, Arrival> = index_rows
            .iter()
            .filter(|r| r.env_path == from.path)
            .filter_map(|r| {
                let t = time::OffsetDateTime::parse(&r.time, &time::format_description::well_known::Rfc3339).ok()?;
                Some((
                    r.package.clone(),
                    Arrival {
                        commit: r.commit.clone(),
                        seconds: t.unix_timestamp(),
                        by: r.by.clone(),
                    },
                ))
            })
            .collect();
        let target_versions: BTreeMap<String, Version> = index_rows
            .iter()
            .filter(|r| r.env_path == to.path)
            .filter_map(|r| Some((r.package.clone(), Version::parse(r.version.as_deref()?).ok()?)))
            .collect();
        let access = &self.workspace.access;
        let may_promote = access.can(&caller.email, &format!("promote.{}", to.name));
        let may_emergency = access.can(&caller.email, "emergency");
        let signoff_envs = self.signoff_envs(&to);
        let mut target_after = target_versions;
        for p in &git.packages {
            if let Ok(m) = &p.manifest {
                target_after.insert(p.name.clone(), m.version.clone());
            }
        }
        // Drift as of the head the gates were read at: the index was refreshed just before.
        let mut all_drift = snapshot.drift.clone();
        let drift: Vec<String> = all_drift
            .remove(&to.path)
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.commit)
            .collect();
        let source_drift: Vec<String> = all_drift
            .remove(&from.path)
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.commit)
            .collect();
        let now = now();
        let mut planned = Vec::new();
        for p in &git.packages {
            let already = p.target_tree.as_deref() == Some(p.source_tree.as_str());
            let mut gates = Vec::new();
            let (version, rfcs) = match &p.manifest {
                Ok(m) => {
                    let rfcs = self.rfc_facts(&m.rfcs, &signoff_envs, &p.source_tree).await?;
                    // When dtap itself brought this tree into the previous environment
                    // (by the server's clock), and who did it.
                    let arrived = self
                        .store
                        .promotion_arrival(&from.name, &p.name, &p.source_tree)
                        .await?;
                    let facts = Facts {
                        package: &p.name,
                        pipeline: &self.workspace.pipeline,
                        from: &from,
                        to: &to,
                        source: m,
                        source_tree: &p.source_tree,
                        target: p.target_tree.as_deref().map(|t| (p.target_version.as_ref(), t)),
                        rfcs,
                        target_versions: target_after.clone(),
                        arrived: arrived.as_ref().and_then(|(at, _)| {
                            time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
                        }),
                        previous_promoter: arrived
                            .as_ref()
                            .map(|(_, by)| by.clone())
                            .or_else(|| arrivals.get(&p.name).map(|a| a.by.clone())),
                        promoter: &caller.email,
                        may_promote,
                        may_emergency,
                        emergency: req.emergency.then(|| req.reason.as_deref().unwrap_or("")),
                        now,
                        drift: drift.clone(),
                        source_drift: source_drift.clone(),
                    };
                    gates = promotion::evaluate(&facts);
                    if let Some((_, Some(expected))) = req.packages.iter().find(|(n, _)| n == &p.name)
                        && *expected != m.version
                    {
                        gates.insert(
                            0,
                            Verdict {
                                gate: "version".into(),
                                passed: false,
                                reason: format!("{} holds {} {}, not {expected}", from.name, p.name, m.version),
                                remedy: Some(format!("promote {}@{} or leave out the version", p.name, m.version)),
                            },
                        );
                    }
                    (Some(m.version.to_string()), m.rfcs.clone())
                }
                Err(e) => {
                    gates.push(Verdict {
                        gate: "manifest".into(),
                        passed: false,
                        reason: e.clone(),
                        remedy: Some(format!("fix {}/{}/package.yaml in the config repo", from.path, p.name)),
                    });
                    (None, Vec::new())
                }
            };
            if !p.unsafe_entries.is_empty() {
                gates.push(Verdict {
                    gate: "paths".into(),
                    passed: false,
                    reason: p.unsafe_entries.join("; "),
                    remedy: Some(
                        "remove those entries from the package folder; packages hold plain files and folders only"
                            .into(),
                    ),
                });
            }
            planned.push(PlannedPackage {
                package: p.name.clone(),
                from_version: p.target_version.as_ref().map(|v| v.to_string()),
                version,
                tree: p.source_tree.clone(),
                rfcs,
                already,
                files: p.files.clone(),
                gates,
            });
        }
        Ok(Plan {
            environment: to.name.clone(),
            from: from.name.clone(),
            head: git.head,
            packages: planned,
        })
    }

    fn signoff_envs(&self, to: &Environment) -> Vec<String> {
        let mut envs: Vec<String> = to
            .gates
            .iter()
            .filter_map(|g| match g {
                Gate::Signoff { environment } => Some(environment.clone()),
                _ => None,
            })
            .collect();
        if promotion::role(&self.workspace.pipeline, &to.name) == Role::Production
            && let Some(prev) = self.workspace.pipeline.previous(&to.name)
            && !envs.contains(&prev.name)
        {
            envs.push(prev.name.clone());
        }
        envs
    }

    async fn rfc_facts(&self, ids: &[String], envs: &[String], tree: &str) -> Result<Vec<RfcFacts>> {
        let mut out = Vec::new();
        for id in ids {
            let parsed: Option<RfcId> = id.parse().ok();
            let rfc = match parsed {
                Some(n) => self.store.rfc(n).await?,
                None => None,
            };
            let mut signoffs = BTreeMap::new();
            if let Some(r) = &rfc {
                for env in envs {
                    signoffs.insert(
                        env.clone(),
                        SignoffFacts {
                            testers: self.store.testers_in(r.id.0, env).await?,
                            approved: self.store.approvals(r.id.0, env, tree).await?,
                        },
                    );
                }
            }
            out.push(RfcFacts {
                id: id.clone(),
                state: rfc.map(|r| r.state),
                signoffs,
            });
        }
        Ok(out)
    }

    /// Promotes, retrying on a lost race with every gate evaluated again.
    pub async fn promote(&self, caller: &Caller, req: &PromoteRequest) -> Result<PromoteOutcome> {
        // One promotion per environment at a time, across instances; a dry
        // run writes nothing, not even a reconcile. A remote repo is fetched
        // first: its gates are judged on the server's branch.
        let _one_at_a_time = match req.dry_run {
            true => None,
            false => Some(self.store.lock_environment(&req.to).await?),
        };
        self.sync_repo(!req.dry_run).await?;
        if !req.dry_run {
            self.reconcile().await?;
        }
        for _ in 0..ATTEMPTS {
            let plan = self.plan_promotion(caller, req).await?;
            if plan.packages.is_empty() {
                return Ok(PromoteOutcome::AlreadyThere { plan });
            }
            if plan.refused() {
                return Ok(PromoteOutcome::Refused { plan });
            }
            if plan.moving().next().is_none() {
                return Ok(PromoteOutcome::AlreadyThere { plan });
            }
            if req.dry_run {
                return Ok(PromoteOutcome::DryRun { plan });
            }
            match self.commit_promotion(caller, req, &plan).await? {
                Some(commit) => return Ok(PromoteOutcome::Promoted { plan, commit }),
                None => {
                    // Lost the race: let the winner finish before looking again.
                    let b = crate::random::bytes::<1>()?;
                    tokio::time::sleep(std::time::Duration::from_millis(5 + u64::from(b[0] % 40))).await;
                }
            }
        }
        Err(AppError::Conflict(format!(
            "the config repo kept changing while promoting into {}; nothing was promoted. Try again; \
             if it keeps failing, run `dtap doctor` (a crashed process may have left a git lock file)",
            req.to
        )))
    }

    /// Writes the intent, the commit and the completion. `None` when another
    /// process moved the branch first.
    async fn commit_promotion(&self, caller: &Caller, req: &PromoteRequest, plan: &Plan) -> Result<Option<String>> {
        let (from, to) = self.environments(&req.to)?;
        let intent = crate::random::hex::<16>()?;
        let moving: Vec<&PlannedPackage> = plan.moving().collect();
        let packages_json = serde_json::to_string(&moving.iter().map(|p| json!({
            "package": p.package, "version": p.version, "from_version": p.from_version, "tree": p.tree, "rfcs": p.rfcs
        })).collect::<Vec<_>>()).unwrap_or_default();
        let reason = req.reason.clone().unwrap_or_default();
        self.store
            .insert_intent(&NewIntent {
                id: &intent,
                kind: "promote",
                environment: &to.name,
                packages: &packages_json,
                base_commit: &plan.head,
                actor: &caller.email,
                reason: &reason,
                emergency: req.emergency,
                lease_owner: &lease_owner(),
                lease_until: &rfc3339(now() + time::Duration::seconds(LEASE_SECS)),
            })
            .await?;
        failpoint("after-intent");

        let mut approvals = Vec::new();
        for env in self.signoff_envs(&to) {
            for p in &moving {
                for r in &p.rfcs {
                    if let Ok(n) = r.parse::<RfcId>() {
                        for t in self.store.approvals(n.0, &env, &p.tree).await? {
                            approvals.push(format!("{t} ({r} in {env})"));
                        }
                    }
                }
            }
        }
        let subject = match moving.as_slice() {
            [one] => format!(
                "Promote {} {} to {}",
                one.package,
                one.version.as_deref().unwrap_or("?"),
                to.name
            ),
            many => format!("Promote {} packages to {}", many.len(), to.name),
        };
        let mut trailers: Vec<(&str, String)> = vec![("Dtap-Action", "promote".into())];
        for p in &moving {
            trailers.push(("Dtap-Package", p.package.clone()));
            trailers.push(("Dtap-Version", p.version.clone().unwrap_or_default()));
            trailers.push(("Dtap-Tree", p.tree.clone()));
        }
        trailers.push(("Dtap-From", from.name.clone()));
        trailers.push(("Dtap-To", to.name.clone()));
        let all_rfcs: Vec<String> = moving.iter().flat_map(|p| p.rfcs.clone()).collect();
        trailers.push(("Dtap-RFCs", all_rfcs.join(", ")));
        trailers.push(("Dtap-Promoted-By", caller.email.to_string()));
        for a in &approvals {
            trailers.push(("Dtap-Approved-By", a.clone()));
        }
        if !reason.is_empty() {
            trailers.push(("Dtap-Reason", reason.clone()));
        }
        if req.emergency {
            trailers.push(("Dtap-Emergency", reason.clone()));
        }
        trailers.push(("Dtap-Intent", intent.clone()));
        let message = write::message(&subject, None, &trailers);

        let repo = self.repo.clone();
        let head = plan.head.clone();
        let changes: Vec<(String, String)> = moving
            .iter()
            .map(|p| (format!("{}/{}", to.path, p.package), p.tree.clone()))
            .collect();
        let author = Identity::from_email(&caller.email);
        let repo2 = repo.clone();
        let (base_s, msg2) = (head.clone(), message.clone());
        let made = tokio::task::spawn_blocking(move || -> Result<String> {
            let git = repo.open()?;
            let base = Oid::from_str(&head)?;
            let mut tree = git.find_commit(base)?.tree()?;
            for (path, id) in &changes {
                let parts: Vec<&str> = path.split('/').collect();
                let new = write::replace_path(&git, Some(&tree), &parts, &Entry::Tree(Oid::from_str(id)?))?;
                tree = git.find_tree(new)?;
            }
            Ok(repo.make_commit(&git, base, tree.id(), &message, &author)?.to_string())
        })
        .await??;
        failpoint("after-commit-object");
        let cas = self.publish(&repo2, &base_s, &made, &msg2, "promote", &intent).await?;
        let commit = match cas {
            CasOutcome::Committed(c) => c.to_string(),
            CasOutcome::Moved => {
                let mut tx = self.store.write_tx().await?;
                intents::finish(
                    &mut tx,
                    &intent,
                    None,
                    "lost the race for the branch; gates evaluated again",
                )
                .await?;
                tx.commit().await?;
                return Ok(None);
            }
        };
        failpoint("after-ref-update");
        let moved: Vec<Moved> = serde_json::from_str(&packages_json).unwrap_or_default();
        self.complete_promotion(&intent, &commit, &to.name, caller, &moved, &json!({
            "commit": commit, "from": from.name, "to": to.name, "packages": serde_json::from_str::<serde_json::Value>(&packages_json).unwrap_or_default(),
            "reason": reason, "emergency": req.emergency,
        }))
        .await?;
        failpoint("after-completion");
        Ok(Some(commit))
    }

    /// Marks the intent done and moves the RFCs, in one transaction.
    pub(crate) async fn complete_promotion(
        &self,
        intent: &str,
        commit: &str,
        env: &str,
        caller: &Caller,
        moved: &[Moved],
        detail: &serde_json::Value,
    ) -> Result<()> {
        let rfcs: Vec<String> = moved.iter().flat_map(|m| m.rfcs.clone()).collect();
        let role = promotion::role(&self.workspace.pipeline, env);
        let mut tx = self.store.write_tx().await?;
        if !intents::finish(&mut tx, intent, Some(commit), "").await? {
            // Someone (a reconcile) completed it meanwhile: nothing left to do.
            return Ok(());
        }
        let event_detail = format!("promote {commit}");
        if let Some(m) = role_move(role) {
            for r in &rfcs {
                let Ok(id) = r.parse::<RfcId>() else { continue };
                self.system_move_in(&mut tx, caller, id, m, "promoted", &event_detail)
                    .await?;
            }
        }
        // Testers hear of it in the same transaction: no promotion without its invitations.
        self.invite(&mut tx, env, moved).await?;
        let reason = detail["reason"].as_str().unwrap_or_default();
        let emergency = detail["emergency"].as_bool().unwrap_or(false);
        self.notify_promotion(&mut tx, env, moved, &caller.email, commit, reason, emergency)
            .await?;
        if emergency {
            let packages = serde_json::to_string(moved).unwrap_or_default();
            self.open_emergency_review(&mut tx, commit, env, &packages, &caller.email, reason)
                .await?;
        }
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: caller.email.to_string(),
                action: "promote".into(),
                object: env.to_string(),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: detail.clone(),
            },
        )
        .await?;
        failpoint("before-completion-commit");
        tx.commit().await?;
        Ok(())
    }
}

impl App {
    /// Moves the branch to a commit dtap made, compare-and-swap. The commit is
    /// recorded as dtap's first, so nobody ever sees it on the branch as drift.
    /// With a remote repo the push decides: when the server refused it (or
    /// was never reached) the record is withdrawn and the intent fails, so
    /// nothing claims the commit landed.
    pub(crate) async fn publish(
        &self,
        repo: &ConfigRepo,
        base: &str,
        commit: &str,
        message: &str,
        action: &str,
        intent: &str,
    ) -> Result<CasOutcome> {
        self.store.record_dtap_commit(commit, action).await?;
        failpoint("after-dtap-commit");
        let (r, base, c, message) = (repo.clone(), base.to_string(), commit.to_string(), message.to_string());
        let result = tokio::task::spawn_blocking(move || -> Result<CasOutcome> {
            let git = r.open()?;
            Ok(r.move_branch(&git, Oid::from_str(&base)?, Oid::from_str(&c)?, &message)?)
        })
        .await?;
        if repo.remote().is_some() {
            match &result {
                Ok(CasOutcome::Moved) => self.store.forget_dtap_commit(commit).await?,
                Err(AppError::Repo(e)) if e.not_pushed() => {
                    self.store.forget_dtap_commit(commit).await?;
                    let mut tx = self.store.write_tx().await?;
                    intents::finish(&mut tx, intent, None, &format!("the push failed: {e}")).await?;
                    tx.commit().await?;
                }
                _ => {}
            }
        }
        result
    }
}
