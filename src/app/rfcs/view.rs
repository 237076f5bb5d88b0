//! What the RFC page and the RFC list show: types owned here, so a column
//! renamed in the database never changes a page or the API.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Caller, MAX_PER_PAGE};
use crate::app::{App, Result};
use crate::domain::index::IndexedPackage;
use crate::domain::pipeline::Pipeline;
use crate::domain::rfc::query::{RfcFilter, Sort};
use crate::domain::rfc::{Comment, Event, Rfc, RfcId, TestCase, Tester};
use crate::domain::stamp::Stamp;
use crate::store::rfcs::RfcSummary;

/// Everything the RFC page shows.
#[derive(Debug, Clone, Serialize)]
pub struct RfcView {
    #[serde(flatten)]
    pub rfc: Rfc,
    pub template_title: String,
    pub test_cases: Vec<TestCase>,
    pub testers: Vec<Tester>,
    pub comments: Vec<Comment>,
    pub timeline: Vec<Event>,
    /// Sign-off progress: per environment and tester, the latest invitation and verdict.
    pub signoffs: Vec<SignoffProgress>,
    /// Every package whose manifest names the RFC, and its version in
    /// each environment that holds such a version (the manifests are the truth).
    pub packages: Vec<RfcPackage>,
    /// The sign-off rounds, newest first: what each covered and how it ended.
    pub rounds: Vec<RoundView>,
    /// Its packages overlapping others (same component twice, or changed by another RFC too).
    pub overlaps: Vec<String>,
}

/// A package carrying an RFC: environment name → version there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RfcPackage {
    pub name: String,
    pub versions: BTreeMap<String, String>,
}

/// A sign-off round as the RFC page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundView {
    pub environment: String,
    /// package → version.
    pub packages: BTreeMap<String, String>,
    pub started_at: Stamp,
    pub ended_at: Option<Stamp>,
    pub end_reason: Option<String>,
    pub current: bool,
}

/// A row of the RFC list, as pages and the API show it. Owned here, so a
/// column renamed in the database never changes the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RfcListItem {
    pub id: String,
    pub title: String,
    pub state: String,
    pub template: String,
    pub requester: String,
    pub department: String,
    /// The packages naming the RFC, joined (kept beside `packages` for one release).
    pub package: Option<String>,
    pub packages: Vec<String>,
    pub priority: Option<String>,
    pub risk: Option<String>,
    pub updated_at: String,
}

impl From<RfcSummary> for RfcListItem {
    fn from(r: RfcSummary) -> Self {
        RfcListItem {
            id: r.id,
            title: r.title,
            state: r.state,
            template: r.template,
            requester: r.requester,
            department: r.department,
            packages: r.package.iter().cloned().collect(),
            package: r.package,
            priority: r.priority,
            risk: r.risk,
            updated_at: r.updated_at,
        }
    }
}

/// Per environment and tester: the newest invitation and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignoffProgress {
    pub environment: String,
    pub tester: String,
    pub package: String,
    pub version: String,
    pub invited_at: crate::domain::stamp::Stamp,
    pub verdict: Option<String>,
    pub verdict_at: Option<crate::domain::stamp::Stamp>,
    pub comment: Option<String>,
}

impl From<crate::store::signoff::SignoffProgress> for SignoffProgress {
    fn from(p: crate::store::signoff::SignoffProgress) -> Self {
        SignoffProgress {
            environment: p.environment,
            tester: p.tester,
            package: p.package,
            version: p.version,
            invited_at: p.invited_at,
            verdict: p.verdict,
            verdict_at: p.verdict_at,
            comment: p.comment,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RfcPage {
    pub rfcs: Vec<RfcListItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
}

impl App {
    pub async fn rfc_view(&self, caller: &Caller, id: RfcId) -> Result<RfcView> {
        let rfc = self.rfc(caller, id).await?;
        let template_title = self
            .workspace
            .template(&rfc.template)
            .map(|t| t.title.clone())
            .unwrap_or_else(|| rfc.template.clone());
        self.refresh_index().await?;
        let packages = packages_of(&self.workspace.pipeline, &self.store.indexed_packages().await?, id);
        let names: std::collections::BTreeSet<String> = packages.iter().map(|p| p.name.clone()).collect();
        let overlaps = self.overlaps().await?.concerning(&names, Some(&id.to_string())).lines();
        let rounds = self
            .store
            .rounds_of(id.0)
            .await?
            .into_iter()
            .map(|r| RoundView {
                environment: r.environment.clone(),
                packages: r.versions(),
                current: r.ended_at.is_none(),
                started_at: r.started_at,
                ended_at: r.ended_at,
                end_reason: r.end_reason,
            })
            .collect();
        let (test_cases, testers, comments, timeline, signoffs) = tokio::try_join!(
            self.store.rfc_test_cases(id),
            self.store.rfc_testers(id),
            self.store.rfc_comments(id),
            self.store.rfc_events(id),
            self.store.signoff_progress(id.0),
        )?;
        Ok(RfcView {
            template_title,
            test_cases,
            testers,
            comments,
            timeline,
            signoffs: signoffs.into_iter().map(SignoffProgress::from).collect(),
            packages,
            rounds,
            overlaps,
            rfc,
        })
    }

    pub async fn rfc_list(
        &self,
        caller: &Caller,
        filter: &RfcFilter,
        sort: Sort,
        page: i64,
        per_page: i64,
    ) -> Result<RfcPage> {
        self.may_view(caller)?;
        let per_page = per_page.clamp(1, MAX_PER_PAGE);
        let page = page.max(1);
        if filter.package.is_some() {
            // The package filter reads the manifests' RFCs from the index: up to the head first.
            self.refresh_index().await?;
        }
        let (rfcs, total) = self
            .store
            .rfcs(filter, sort, per_page, (page - 1).saturating_mul(per_page))
            .await?;
        let pages = ((total + per_page - 1) / per_page).max(1);
        let index = self.store.indexed_packages().await?;
        let mut items: Vec<RfcListItem> = rfcs.into_iter().map(RfcListItem::from).collect();
        for item in &mut items {
            let Ok(id) = item.id.parse::<RfcId>() else { continue };
            let names: Vec<String> = packages_of(&self.workspace.pipeline, &index, id)
                .into_iter()
                .map(|p| p.name)
                .collect();
            if !names.is_empty() {
                item.package = Some(names.join(", "));
                item.packages = names;
            }
        }
        Ok(RfcPage {
            rfcs: items,
            total,
            page,
            per_page,
            pages,
        })
    }
}

/// The packages naming `id` in their manifests, per environment (in
/// pipeline order), from the index rows.
fn packages_of(pipeline: &Pipeline, rows: &[IndexedPackage], id: RfcId) -> Vec<RfcPackage> {
    let name = id.to_string();
    let mut by_package: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for e in pipeline.environments() {
        for r in rows.iter().filter(|r| r.env_path == e.path && r.rfcs.contains(&name)) {
            by_package
                .entry(r.package.clone())
                .or_default()
                .insert(e.name.clone(), r.version.clone().unwrap_or_default());
        }
    }
    by_package
        .into_iter()
        .map(|(name, versions)| RfcPackage { name, versions })
        .collect()
}
