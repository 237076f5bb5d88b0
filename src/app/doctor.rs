//! `dtap doctor`: do the database and the config repo agree? Each check says
//! what it found; with `repair` the safe repairs are made and reported.
//!
//! Without `repair` doctor writes nothing (not even a migration), so it is
//! safe to run beside a live server. Every repair is one a running dtap would
//! also make on its own (settling dead intents, refreshing the index, taking
//! back mail a stopped worker held) or one that only adds a fact git proves
//! (recording a commit that names a known intent as dtap's own). Doctor never
//! rewrites git history and never touches the audit trail.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::publish::lease_owner;
use super::{App, Result};
use crate::domain::index::{IndexDelta, IndexedDrift, IndexedPackage};
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::history::{trailer, trailers};
use crate::store::Store;
use crate::store::intents::Intent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check found nothing wrong.
    Ok,
    /// Worth knowing, nothing to do.
    Info,
    /// A disagreement left as it is.
    Problem,
    /// A disagreement doctor repaired.
    Repaired,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub repair: bool,
    pub findings: Vec<Finding>,
}

impl DoctorReport {
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    fn push(&mut self, check: &'static str, status: Status, message: String, remedy: Option<&str>) {
        self.findings.push(Finding {
            check,
            status,
            message,
            remedy: remedy.map(str::to_string),
        });
    }
}

#[derive(Debug, Clone)]
pub struct DoctorOptions {
    pub repair: bool,
    /// A lock file in the config repo older than this is left by a crash.
    pub stale_lock: Duration,
}

/// What the branch says, read in one walk along first parents.
struct BranchFacts {
    commits: HashSet<String>,
    /// `Dtap-Intent` → the commit carrying it.
    by_intent: HashMap<String, String>,
    /// Commits carrying `Dtap-Action`: (commit, action, intent).
    dtap: Vec<(String, String, Option<String>)>,
}

fn read_branch(repo: &ConfigRepo) -> Result<BranchFacts> {
    let mut facts = BranchFacts {
        commits: HashSet::new(),
        by_intent: HashMap::new(),
        dtap: Vec::new(),
    };
    for (id, message) in repo.first_parent_log(usize::MAX)? {
        let t = trailers(&message);
        let intent = trailer(&t, "Dtap-Intent").map(str::to_string);
        if let Some(i) = &intent {
            facts.by_intent.entry(i.clone()).or_insert_with(|| id.clone());
        }
        if let Some(action) = trailer(&t, "Dtap-Action") {
            facts.dtap.push((id.clone(), action.to_string(), intent));
        }
        facts.commits.insert(id);
    }
    Ok(facts)
}

/// Lock files git or libgit2 left in the repo (never under objects/).
fn lock_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < 16 && e.file_name() != "objects" {
            lock_files(&p, out, depth + 1);
        } else if kind.is_file() && p.extension().is_some_and(|x| x == "lock") {
            out.push(p);
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

impl App {
    /// Opens the workspace without migrating or reconciling anything, runs
    /// every check and, with `repair`, the safe repairs.
    pub async fn doctor(dir: &Path, opts: &DoctorOptions) -> Result<DoctorReport> {
        let workspace = super::load_workspace(dir).await?;
        let store = Store::open(&workspace.config, &workspace.dir, false).await?;
        let unknown = store.unknown_migrations().await?;
        if !unknown.is_empty() {
            return Err(crate::store::StoreError::Newer(unknown).into());
        }
        let mut r = DoctorReport {
            repair: opts.repair,
            findings: Vec::new(),
        };
        let pending = store.pending_migrations().await?;
        if pending.is_empty() {
            r.push("migrations", Status::Ok, "every migration is applied".into(), None);
        } else if opts.repair {
            let applied = store.migrate().await?;
            r.push(
                "migrations",
                Status::Repaired,
                format!("applied migrations {applied:?}"),
                None,
            );
        } else {
            r.push(
                "migrations",
                Status::Problem,
                format!("migrations {pending:?} are not applied; the other checks need them first"),
                Some("run `dtap migrate` or `dtap doctor --repair`"),
            );
            return Ok(r);
        }
        let repo = super::repo_of(&workspace);
        if !super::remote::ensure_cache(&repo).await? {
            return Err(crate::gitrepo::RepoError::Missing(repo.path().display().to_string()).into());
        }
        if repo.remote().is_some() {
            // Compare with the server's branch, not a cache that may lag.
            let r2 = repo.clone();
            tokio::task::spawn_blocking(move || r2.fetch(false)).await??;
        }
        let app = App::assemble(workspace, store, repo).await?;
        app.check_locks(&mut r, opts).await?;
        app.check_dtap_commits(&mut r, opts.repair).await?;
        app.check_intents(&mut r, opts.repair).await?;
        app.check_index(&mut r, opts.repair).await?;
        app.check_outbox(&mut r, opts.repair).await?;
        app.check_audit(&mut r).await?;
        app.store.close().await;
        Ok(r)
    }

    async fn check_locks(&self, r: &mut DoctorReport, opts: &DoctorOptions) -> Result<()> {
        let path = self.repo.path().to_path_buf();
        let found = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            lock_files(&path, &mut out, 0);
            out
        })
        .await?;
        if found.is_empty() {
            r.push(
                "repo-locks",
                Status::Ok,
                "no lock files in the config repo".into(),
                None,
            );
        }
        for p in found {
            let age = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .unwrap_or_default();
            let shown = p.display();
            if age < opts.stale_lock {
                r.push(
                    "repo-locks",
                    Status::Info,
                    format!(
                        "{shown} is {}s old: a running process holds it, or a crash just left it",
                        age.as_secs()
                    ),
                    Some("run doctor again in a minute; if it is still there, `dtap doctor --repair` removes it"),
                );
            } else if opts.repair {
                std::fs::remove_file(&p)
                    .map_err(|e| super::AppError::Internal(format!("cannot remove {shown}: {e}")))?;
                r.push(
                    "repo-locks",
                    Status::Repaired,
                    format!("removed {shown}, left by a process that ended {}s ago", age.as_secs()),
                    None,
                );
            } else {
                r.push(
                    "repo-locks",
                    Status::Problem,
                    format!(
                        "{shown} is {}s old: a process that ended left it, and it blocks every promotion",
                        age.as_secs()
                    ),
                    Some("`dtap doctor --repair` removes it"),
                );
            }
        }
        Ok(())
    }

    async fn branch(&self) -> Result<BranchFacts> {
        let repo = self.repo.clone();
        tokio::task::spawn_blocking(move || read_branch(&repo)).await?
    }

    /// Every commit on the branch that carries dtap's trailers should be
    /// recorded as dtap's own; otherwise the index counts it as drift.
    async fn check_dtap_commits(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let branch = self.branch().await?;
        let known = self.store.dtap_commits().await?;
        let intents: HashSet<String> = self.store.all_intents().await?.into_iter().map(|i| i.id).collect();
        let mut clean = true;
        for (commit, action, intent) in &branch.dtap {
            if known.contains(commit) {
                continue;
            }
            clean = false;
            match intent.as_ref().filter(|i| intents.contains(*i)) {
                Some(i) if repair => {
                    self.store.record_dtap_commit(commit, action).await?;
                    r.push(
                        "dtap-commits",
                        Status::Repaired,
                        format!("recorded {} ({action}, intent {i}) as dtap's own commit", short(commit)),
                        None,
                    );
                }
                Some(i) => r.push(
                    "dtap-commits",
                    Status::Problem,
                    format!(
                        "{} ({action}) names intent {i} the database knows, but is not recorded as dtap's own commit",
                        short(commit)
                    ),
                    Some("`dtap doctor --repair` records it"),
                ),
                None => r.push(
                    "dtap-commits",
                    Status::Problem,
                    format!(
                        "{} carries dtap's trailers (Dtap-Action: {action}) but dtap never recorded it: a `dtap rfc link` \
                         ended between its commit and its record, or someone wrote the trailers by hand; it counts as drift",
                        short(commit)
                    ),
                    Some("check who made it (`git show`), then `dtap drift ack` it"),
                ),
            }
        }
        if clean {
            r.push(
                "dtap-commits",
                Status::Ok,
                format!("all {} dtap commits on the branch are recorded", branch.dtap.len()),
                None,
            );
        }
        let unpublished = known.iter().filter(|c| !branch.commits.contains(*c)).count();
        if unpublished > 0 {
            r.push(
                "dtap-commits",
                Status::Info,
                format!(
                    "{unpublished} commit(s) dtap made never reached the branch (a lost race, or a process that ended \
                     before the ref update); harmless, nothing points at them"
                ),
                None,
            );
        }
        Ok(())
    }

    /// Intents against the branch: unfinished ones of ended processes are
    /// settled (as the next write would), finished ones must match git.
    async fn check_intents(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let branch = self.branch().await?;
        let intents = self.store.all_intents().await?;
        let now_s = self.now().to_string();
        let me = lease_owner();
        let host = me.split(':').next().unwrap_or_default().to_string();
        let dead = |i: &Intent| {
            let (h, pid) = i.lease_owner.split_once(':').unwrap_or((&i.lease_owner, ""));
            i.lease_until < now_s || (h == host && !Path::new(&format!("/proc/{pid}")).exists())
        };
        let mut problems = 0;
        let mut unfinished = 0;
        let what = |i: &Intent| {
            format!(
                "{} into {} by {} (intent {}, {})",
                i.kind, i.environment, i.actor, i.id, i.created_at
            )
        };
        for i in &intents {
            let on_branch = branch.by_intent.get(&i.id);
            match i.state.as_str() {
                "pending" if !dead(i) => r.push(
                    "intents",
                    Status::Info,
                    format!(
                        "{} is in progress (lease held by {} until {})",
                        what(i),
                        i.lease_owner,
                        i.lease_until
                    ),
                    None,
                ),
                "pending" => {
                    unfinished += 1;
                    if !repair {
                        let fate = match on_branch {
                            Some(c) => format!(
                                "the branch holds its commit {}, so reconciling completes it (RFC states, mail, audit)",
                                short(c)
                            ),
                            None => "the branch has no commit for it, so reconciling marks it failed".into(),
                        };
                        r.push(
                            "intents",
                            Status::Problem,
                            format!("{} was left unfinished by a process that ended: {fate}", what(i)),
                            Some("`dtap doctor --repair`, or any command that changes something, settles it"),
                        );
                    }
                }
                "done" => {
                    let commit = i.commit_id.as_deref().unwrap_or_default();
                    if !branch.commits.contains(commit) {
                        problems += 1;
                        r.push(
                            "intents",
                            Status::Problem,
                            format!(
                                "{} is done with commit {}, which is not on the branch: the branch was rewritten",
                                what(i),
                                short(commit)
                            ),
                            Some("find who rewrote the branch (reflog of the remote); dtap never rewrites history"),
                        );
                    }
                }
                _ => {
                    if let Some(c) = on_branch {
                        problems += 1;
                        r.push(
                            "intents",
                            Status::Problem,
                            format!(
                                "{} is marked failed, yet its commit {} is on the branch: its RFCs did not move",
                                what(i),
                                short(c)
                            ),
                            Some("move the RFCs by hand (`dtap rfc move`) and tell the lead; this should not happen"),
                        );
                    }
                }
            }
        }
        let known: HashSet<&str> = intents.iter().map(|i| i.id.as_str()).collect();
        for (intent, commit) in &branch.by_intent {
            if !known.contains(intent.as_str()) {
                problems += 1;
                r.push(
                    "intents",
                    Status::Problem,
                    format!(
                        "commit {} names intent {intent}, which the database does not know: was it restored from an older backup?",
                        short(commit)
                    ),
                    Some("restore the newest database backup; dtap cannot invent the missing rows"),
                );
            }
        }
        if repair && unfinished > 0 {
            for line in self.reconcile().await? {
                r.push(
                    "intents",
                    Status::Repaired,
                    format!("settled an unfinished {line}"),
                    None,
                );
            }
        }
        if problems == 0 && unfinished == 0 {
            r.push(
                "intents",
                Status::Ok,
                format!("{} intents, every finished one agrees with the branch", intents.len()),
                None,
            );
        }
        Ok(())
    }

    /// The repo index against a full rebuild from the branch.
    async fn check_index(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let indexed = self.store.index_head().await?;
        let snapshot = self.index_snapshot().await?;
        let full = self.full_index_delta().await?;
        if full.head != snapshot.head {
            r.push(
                "index",
                Status::Info,
                "the branch moved while the index was checked; not compared".into(),
                Some("run doctor again"),
            );
            return Ok(());
        }
        let differences = index_differences(&snapshot.packages, &snapshot.drift, &full);
        if !differences.is_empty() {
            let listed = differences.join("; ");
            if repair {
                if self.store.apply_index(indexed.as_deref(), &full).await? {
                    r.push(
                        "index",
                        Status::Repaired,
                        format!(
                            "rebuilt the repo index from the branch at {}: it differed in {listed}",
                            short(&full.head)
                        ),
                        None,
                    );
                } else {
                    r.push(
                        "index",
                        Status::Problem,
                        "the index changed while doctor rebuilt it".into(),
                        Some("run `dtap doctor --repair` again"),
                    );
                }
            } else {
                r.push(
                    "index",
                    Status::Problem,
                    format!(
                        "the repo index differs from the branch at {}: {listed}",
                        short(&full.head)
                    ),
                    Some("`dtap doctor --repair` rebuilds it from git"),
                );
            }
            return Ok(());
        }
        if indexed.as_deref() == Some(full.head.as_str()) {
            r.push(
                "index",
                Status::Ok,
                format!(
                    "the repo index matches the branch head {} ({} packages)",
                    short(&full.head),
                    full.upserts.len()
                ),
                None,
            );
        } else if repair {
            self.refresh_index().await?;
            r.push(
                "index",
                Status::Repaired,
                format!(
                    "brought the repo index from {} up to the branch head {}",
                    indexed.as_deref().map(short).unwrap_or("nothing"),
                    short(&full.head)
                ),
                None,
            );
        } else {
            r.push(
                "index",
                Status::Info,
                format!(
                    "the repo index is at {}, the branch at {}; the next read brings it up to date, and it will then agree",
                    indexed.as_deref().map(short).unwrap_or("nothing"),
                    short(&full.head)
                ),
                None,
            );
        }
        Ok(())
    }

    async fn full_index_delta(&self) -> Result<IndexDelta> {
        let pipeline = &self.workspace.pipeline;
        let env_paths: Vec<String> = pipeline.environments().iter().map(|e| e.path.clone()).collect();
        let drift_paths: Vec<String> = pipeline.environments().iter().skip(1).map(|e| e.path.clone()).collect();
        let mut acks: HashMap<String, HashSet<String>> = HashMap::new();
        for (env, commit) in self.store.all_drift_acks().await? {
            if let Some(e) = pipeline.get(&env) {
                acks.entry(e.path.clone()).or_default().insert(commit);
            }
        }
        let known = self.store.dtap_commits().await?;
        let repo = self.repo.clone();
        Ok(
            tokio::task::spawn_blocking(move || repo.index_delta(None, &env_paths, &drift_paths, &acks, &known))
                .await??,
        )
    }

    async fn check_outbox(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let stuck = self.store.stuck_mail().await?;
        if stuck.is_empty() {
            r.push("outbox", Status::Ok, "no mail held by a stopped worker".into(), None);
            return Ok(());
        }
        let ids: Vec<String> = stuck.iter().map(|(id, _, _)| id.to_string()).collect();
        let by: BTreeMap<&str, usize> = stuck.iter().fold(BTreeMap::new(), |mut m, (_, w, _)| {
            *m.entry(w.as_deref().unwrap_or("?")).or_default() += 1;
            m
        });
        let workers: Vec<String> = by.iter().map(|(w, n)| format!("{w} ({n})")).collect();
        if repair {
            let n = self.store.release_stuck_mail().await?;
            r.push(
                "outbox",
                Status::Repaired,
                format!(
                    "put {n} mail(s) back in the queue that stopped workers {} held: ids {}",
                    workers.join(", "),
                    ids.join(", ")
                ),
                None,
            );
        } else {
            r.push(
                "outbox",
                Status::Problem,
                format!(
                    "{} mail(s) stay in `sending` past their claim (ids {}), held by {}",
                    ids.len(),
                    ids.join(", "),
                    workers.join(", ")
                ),
                Some(
                    "the next `dtap mail flush` or server worker retries them; `dtap doctor --repair` queues them now",
                ),
            );
        }
        Ok(())
    }

    async fn check_audit(&self, r: &mut DoctorReport) -> Result<()> {
        match self.verify_audit(&super::caller::Caller::local()).await? {
            Ok(n) => r.push("audit", Status::Ok, format!("audit chain intact: {n} events"), None),
            Err(b) => r.push(
                "audit",
                Status::Problem,
                format!("the audit chain is broken at event {}: {}", b.seq, b.reason),
                Some("the row was changed outside dtap: restore the database from a backup and find out who"),
            ),
        }
        Ok(())
    }
}

/// Where the stored index (with any pending delta applied in memory) and a
/// full rebuild disagree, in words.
fn index_differences(
    packages: &[IndexedPackage],
    drift: &HashMap<String, Vec<IndexedDrift>>,
    full: &IndexDelta,
) -> Vec<String> {
    let key = |p: &IndexedPackage| format!("{}/{}", p.env_path, p.package);
    let have: BTreeMap<String, &IndexedPackage> = packages.iter().map(|p| (key(p), p)).collect();
    let want: BTreeMap<String, &IndexedPackage> = full.upserts.iter().map(|p| (key(p), p)).collect();
    let mut out = Vec::new();
    for (k, w) in &want {
        match have.get(k) {
            None => out.push(format!("{k} is missing")),
            Some(h) if h != w => out.push(format!("{k} is stale")),
            _ => {}
        }
    }
    for k in have.keys().filter(|k| !want.contains_key(*k)) {
        out.push(format!("{k} is no longer on the branch"));
    }
    let ids = |v: &[IndexedDrift]| v.iter().map(|d| d.commit.clone()).collect::<Vec<_>>();
    let mut envs: Vec<&String> = drift.keys().chain(full.drift.keys()).collect();
    envs.sort();
    envs.dedup();
    for env in envs {
        let have = drift.get(env).map(|v| ids(v)).unwrap_or_default();
        let mut want = full.drift.get(env).map(|(_, v)| ids(v)).unwrap_or_default();
        want.reverse();
        if have != want {
            out.push(format!(
                "the drift of {env} ({} listed, {} on the branch)",
                have.len(),
                want.len()
            ));
        }
    }
    out
}
