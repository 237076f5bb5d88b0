//! The plan of a promotion: the facts from git, the index and the database,
//! and every gate's verdict from `domain::promotion::evaluate`.

use crate::msg;
use std::collections::BTreeMap;

use semver::Version;

use super::{Plan, PlannedPackage, PromoteRequest};
use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::changes::FileChanges;
use crate::domain::deploy::order::dependency_order;
use crate::domain::manifest::Manifest;
use crate::domain::pipeline::{Environment, Gate};
use crate::domain::promotion::{self, Facts, GateVerdict, RfcFacts, Role, SignoffFacts};
use crate::domain::rfc::RfcId;
use crate::domain::round;
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::history::Arrival;
use crate::gitrepo::packages::Selection;

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
    let names: Vec<String> = wanted.iter().map(|(n, _)| n.clone()).collect();
    let which = if names.is_empty() {
        Selection::Differing
    } else {
        Selection::Named(&names)
    };
    let (head, pairs) = repo.package_pairs(&to.path, &from.path, which)?;
    let mut packages = Vec::new();
    for pair in pairs {
        let name = pair.name;
        if !crate::domain::names::is_package_name(&name) {
            return Err(AppError::invalid(
                "package",
                msg!(
                    "`{name}` is not a valid package name: use [a-z0-9][a-z0-9._-]{{0,63}}",
                    name
                ),
            ));
        }
        let Some(source) = pair.new else {
            // Gone from the previous environment but still here: it leaves by retirement.
            if pair.old.is_some() {
                return Err(AppError::refused(msg!(
                    "{name} is no longer in {from} ({path}/{name} was removed): to remove it from {to} too, retire it: \
                     `dtap retire {name} --env {to} --reason TEXT --rfc RFC-n`",
                    name,
                    from = &from.name,
                    path = &from.path,
                    to = &to.name
                )));
            }
            return Err(AppError::refused(msg!(
                "{name} is not in {from}: dtap promotes only from the directly previous environment, so promote it into {from} first (the folder {path}/{name} is missing)",
                name,
                from = &from.name,
                path = &from.path
            )));
        };
        packages.push(PackageGit {
            target_version: pair.old.as_ref().and_then(|t| t.version().cloned()),
            target_tree: pair.old.map(|t| t.tree),
            source_tree: source.tree,
            manifest: source.manifest,
            unsafe_entries: source.unsafe_entries,
            files: pair.files,
            name,
        });
    }
    // The plan, the commit and its deployments list packages in dependency order.
    let deps: BTreeMap<&str, Vec<&str>> = packages
        .iter()
        .map(|p| {
            let on = p.manifest.as_ref().map_or(Vec::new(), |m| {
                m.depends_on.keys().map(String::as_str).collect::<Vec<_>>()
            });
            (p.name.as_str(), on)
        })
        .collect();
    let order: Vec<String> = dependency_order(&deps).into_iter().map(str::to_string).collect();
    packages.sort_by_key(|p| order.iter().position(|n| *n == p.name));
    Ok(GitFacts { head, packages })
}

impl App {
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
        let retirements: Vec<String> = match req.packages.is_empty() {
            true => index_rows
                .iter()
                .filter(|r| r.env_path == to.path)
                .filter(|r| {
                    !index_rows
                        .iter()
                        .any(|s| s.env_path == from.path && s.package == r.package)
                })
                .map(|r| r.package.clone())
                .collect(),
            false => Vec::new(),
        };
        let now = self.now_utc();
        let mut planned = Vec::new();
        for p in &git.packages {
            let already = p.target_tree.as_deref() == Some(p.source_tree.as_str());
            let mut gates = Vec::new();
            let (version, rfcs) = match &p.manifest {
                Ok(m) => {
                    let rfcs = self
                        .rfc_facts(&m.rfcs, &signoff_envs, Some((&p.name, &p.source_tree)))
                        .await?;
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
                        deployments: self.deploy_facts(&from, &to, &p.name, &p.source_tree).await?,
                        removed: &p.files.removed,
                        deletions_confirmed: req.confirm_deletions,
                    };
                    gates = promotion::evaluate(&facts);
                    if let Some((_, Some(expected))) = req.packages.iter().find(|(n, _)| n == &p.name)
                        && *expected != m.version
                    {
                        gates.insert(
                            0,
                            GateVerdict {
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
                    gates.push(GateVerdict {
                        gate: "manifest".into(),
                        passed: false,
                        reason: e.clone(),
                        remedy: Some(format!("fix {}/{}/package.yaml in the config repo", from.path, p.name)),
                    });
                    (None, Vec::new())
                }
            };
            if to.deploy.is_some() && !to.secrets.is_empty() && !req.no_wait {
                let missing = self.resolve_secrets(&to.secrets).err();
                gates.push(crate::domain::deploy::gate::secrets_gate(missing.as_deref()));
            }
            if !p.unsafe_entries.is_empty() {
                gates.push(GateVerdict {
                    gate: "paths".into(),
                    passed: false,
                    reason: p.unsafe_entries.join("; "),
                    remedy: Some(
                        "remove those entries from the package folder; packages hold plain files and folders only"
                            .into(),
                    ),
                });
            }
            if !already {
                let promoted = p.manifest.as_ref().ok().map(|m| &m.version);
                gates.extend(
                    self.overwrite_verdict(req, &to, &p.name, &p.files, promoted, &index_rows)
                        .await?,
                );
            }
            gates.extend(self.live_drift_verdict(&to).await?);
            if !already {
                gates.extend(
                    self.live_overwrite_verdict(&from, &to, &p.name, req.overwrite_drift)
                        .await?,
                );
            }
            // Validation runs last, and only for a version every other gate lets through.
            let validate = (req.dry_run && !req.no_validate) || (!req.dry_run && to.validate_before_promote);
            if validate && !already && gates.iter().all(|g| g.passed) {
                gates.push(
                    self.validate_package(
                        &to,
                        &p.name,
                        version.as_deref(),
                        &p.source_tree,
                        p.target_tree.as_deref(),
                        &git.head,
                    )
                    .await?,
                );
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
            warnings: Vec::new(),
            retirements,
        })
    }

    pub(crate) fn signoff_envs(&self, to: &Environment) -> Vec<String> {
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

    /// The RFCs' states and sign-offs in `envs`, in a bounded number of
    /// queries. With `cover` (package, tree), an approval counts only when the
    /// current round covers that package at exactly that tree.
    pub(crate) async fn rfc_facts(
        &self,
        ids: &[String],
        envs: &[String],
        cover: Option<(&str, &str)>,
    ) -> Result<Vec<RfcFacts>> {
        let numbers: Vec<i64> = ids
            .iter()
            .filter_map(|id| id.parse::<RfcId>().ok())
            .map(|n| n.0)
            .collect();
        let facts = self.store.gate_facts(&numbers, envs).await?;
        let covered = |n: i64, env: &str| {
            facts.rounds.iter().any(|(r, e, trees)| {
                *r == n
                    && e == env
                    && round::from_json(trees)
                        .is_some_and(|t| cover.is_none_or(|(package, tree)| round::covers(&t, package, tree)))
            })
        };
        let of = |rows: &[(i64, String, String)], n: i64, env: &str| -> Vec<String> {
            rows.iter()
                .filter(|(r, e, _)| *r == n && e == env)
                .map(|(_, _, t)| t.clone())
                .collect()
        };
        let mut out = Vec::new();
        for id in ids {
            let number = id.parse::<RfcId>().ok().map(|n| n.0);
            let state = number
                .and_then(|n| facts.states.iter().find(|(r, _)| *r == n))
                .map(|(_, s)| s.parse::<crate::domain::rfc::State>());
            let state = match state {
                Some(Ok(s)) => Some(s),
                Some(Err(_)) => {
                    return Err(AppError::Store(crate::store::StoreError::Corrupt(format!(
                        "{id} has an invalid state in the database"
                    ))));
                }
                None => None,
            };
            let mut signoffs = BTreeMap::new();
            if let (Some(n), Some(_)) = (number, state) {
                for env in envs {
                    signoffs.insert(
                        env.clone(),
                        SignoffFacts {
                            testers: of(&facts.testers, n, env),
                            approved: if covered(n, env) {
                                of(&facts.approvals, n, env)
                            } else {
                                Vec::new()
                            },
                        },
                    );
                }
            }
            out.push(RfcFacts {
                id: id.clone(),
                state,
                signoffs,
            });
        }
        Ok(out)
    }
}
