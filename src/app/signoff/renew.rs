//! Keeping sign-off rounds in step with what carries each RFC (DESIGN §13,
//! §15): after a promotion, rollback or retirement commits, every RFC it
//! touches gets its round in that environment renewed in the completion's
//! transaction: kept, replaced with one new link per tester and one mail
//! saying why, or ended with the testers told.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::context;
use minijinja::value::Serde;

use crate::app::{App, Result};
use crate::domain::rfc::{Rfc, RfcId, State};
use crate::domain::round::{self, Carrier, RoundChange};
use crate::domain::stamp::Stamp;
use crate::store::WriteTx;
use crate::store::rfcs as rfc_store;
use crate::store::rounds;
use crate::store::signoff as links;

/// Which packages carry which RFC, read from the index.
#[derive(Debug, Default)]
pub(crate) struct Carried {
    /// RFC → the package versions carrying it in the environment.
    pub here: BTreeMap<RfcId, Vec<Carrier>>,
    /// RFC → the packages whose manifest in the first environment lists it.
    pub carrying: BTreeMap<RfcId, BTreeSet<String>>,
}

impl Carried {
    /// Has every package that carries the RFC arrived here?
    pub fn all_arrived(&self, rfc: RfcId) -> bool {
        let here = self.here.get(&rfc).map(|c| round::trees_of(c)).unwrap_or_default();
        let carrying = self.carrying.get(&rfc).cloned().unwrap_or_default();
        round::all_arrived(&carrying, &here)
    }
}

/// A round as the mails show it.
pub(crate) struct RoundMail<'a> {
    pub id: i64,
    pub packages: &'a [Carrier],
    /// Why this mail: a [`RoundChange`] word, or `appointed` / `reminder`.
    pub reason: &'a str,
}

impl App {
    /// The carriers of `rfcs` in `env`, as the index holds the branch now
    /// (brought up to date first), and where each RFC is carried from.
    pub(crate) async fn carriers(&self, env: &str, rfcs: &BTreeSet<RfcId>) -> Result<Carried> {
        self.refresh_index().await?;
        let pipeline = &self.workspace.pipeline;
        let path = pipeline.get(env).map(|e| e.path.clone()).unwrap_or_default();
        let first = pipeline.first().map(|e| e.path.clone()).unwrap_or_default();
        let rows = self.store.indexed_packages_in(&[path.as_str(), first.as_str()]).await?;
        let mut carried = Carried::default();
        for rfc in rfcs {
            let name = rfc.to_string();
            let lists = |r: &&crate::domain::index::IndexedPackage| r.rfcs.contains(&name) && r.problem.is_none();
            let mut here: Vec<Carrier> = rows
                .iter()
                .filter(|r| r.env_path == path)
                .filter(lists)
                .map(|r| Carrier {
                    package: r.package.clone(),
                    version: r.version.clone().unwrap_or_default(),
                    tree: r.tree.clone(),
                })
                .collect();
            here.sort();
            let carrying = rows
                .iter()
                .filter(|r| r.env_path == first)
                .filter(lists)
                .map(|r| r.package.clone())
                .collect();
            carried.here.insert(*rfc, here);
            carried.carrying.insert(*rfc, carrying);
        }
        Ok(carried)
    }

    /// RFCs whose current round in `env` covers one of `packages`: a change
    /// to those packages may end it even when the new version no longer
    /// names the RFC.
    pub(crate) async fn rounds_touching(&self, env: &str, packages: &[String]) -> Result<BTreeSet<RfcId>> {
        Ok(self
            .store
            .current_rounds(env)
            .await?
            .into_iter()
            .filter(|r| packages.iter().any(|p| r.trees().contains_key(p)))
            .map(|r| RfcId(r.rfc_id))
            .collect())
    }

    /// Renews the round of every RFC in `carried.here` in `env`, in the
    /// caller's transaction. Returns the number of invitations queued.
    pub(crate) async fn renew_rounds(&self, tx: &mut WriteTx, env: &str, carried: &Carried) -> Result<usize> {
        let ttl = self.workspace.config.signoff.link_ttl;
        let expires = self.now() + time::Duration::seconds(ttl.as_secs() as i64);
        let mut invited = 0;
        for (id, here) in &carried.here {
            let Some(rfc) = rfc_store::get_in(tx, *id).await? else {
                continue;
            };
            let current = rounds::current_round(tx, id.0, env).await?;
            let now = round::trees_of(here);
            let change = round::change(current.as_ref().map(|r| r.trees()).as_ref(), &now);
            // A released or closed RFC takes no new round; its old one may still end.
            let open = !(rfc.state.is_final() || rfc.state == State::Released);
            if change == RoundChange::Keep || (!open && change.starts()) {
                continue;
            }
            let told = match &current {
                Some(r) => rounds::end_round(tx, r.id, change.as_str()).await?,
                None => Vec::new(),
            };
            if !change.starts() {
                let packages = current.as_ref().map(|r| r.carriers()).unwrap_or_default();
                let ctx = context! {
                    rfc => Serde(&rfc), environment => env, environment_label => self.env_label(env),
                    packages => Serde(&packages), round_change => change.as_str(),
                };
                self.queue(tx, "withdrawn", told, ctx).await?;
                continue;
            }
            let round_id = rounds::start_round(
                tx,
                id.0,
                env,
                &round::to_json(&now),
                &round::to_json(&round::versions_of(here)),
            )
            .await?;
            let mail = RoundMail {
                id: round_id,
                packages: here,
                reason: change.as_str(),
            };
            invited += self.invite_testers(tx, &rfc, env, &mail, expires, None).await?;
        }
        Ok(invited)
    }

    /// Sends every tester appointed in `env` (or only `only`) a link to the round.
    pub(crate) async fn invite_testers(
        &self,
        tx: &mut WriteTx,
        rfc: &Rfc,
        env: &str,
        round: &RoundMail<'_>,
        expires: Stamp,
        only: Option<&str>,
    ) -> Result<usize> {
        // Whoever promoted a package of the round may not sign it off
        // (segregation of duties): no link they could not use.
        let path = self
            .workspace
            .pipeline
            .get(env)
            .map(|e| e.path.clone())
            .unwrap_or_default();
        let trees = round::trees_of(round.packages);
        let promoters: BTreeSet<String> = self
            .store
            .indexed_packages_in(&[path.as_str()])
            .await?
            .into_iter()
            .filter(|p| round::covers(&trees, &p.package, &p.tree))
            .map(|p| crate::domain::names::normalise_email(&p.by))
            .collect();
        let testers: Vec<String> = links::testers_in(tx, rfc.id.0, env)
            .await?
            .into_iter()
            .filter(|t| only.is_none_or(|o| o == t))
            .filter(|t| !promoters.contains(&crate::domain::names::normalise_email(t)))
            .collect();
        if testers.is_empty() {
            return Ok(0);
        }
        let cases: Vec<(String, String, String)> = links::test_cases_in(tx, rfc.id.0, env)
            .await?
            .into_iter()
            .map(|(_, title, steps, expected)| (title, steps, expected))
            .collect();
        for tester in &testers {
            let prepared = self.prepare_link(rfc, env, tester, round, expires, &cases, "invitation")?;
            self.write_link(tx, rfc, env, tester, round, expires, None, prepared)
                .await?;
        }
        Ok(testers.len())
    }
}
