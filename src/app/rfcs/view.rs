//! What the RFC page and the RFC list show: types owned here, so a column
//! renamed in the database never changes a page or the API.

use serde::Serialize;

use super::{Caller, MAX_PER_PAGE};
use crate::app::{App, Result};
use crate::domain::rfc::query::{RfcFilter, Sort};
use crate::domain::rfc::{Comment, Event, Rfc, RfcId, TestCase, Tester};
use crate::domain::status::Cell;
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
    /// Where the linked package stands: environment → cell (absent: null).
    pub pipeline: Vec<(String, Option<Cell>)>,
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
    pub package: Option<String>,
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
        let pipeline = match &rfc.package {
            Some(p) => {
                self.refresh_index().await?;
                let rows = self.store.indexed_package(p).await?;
                self.workspace
                    .pipeline
                    .environments()
                    .iter()
                    .map(|e| {
                        let cell = rows.iter().find(|r| r.env_path == e.path).map(|r| Cell {
                            version: r.version.clone(),
                            tree: r.tree.clone(),
                            differs_from_previous: false,
                            last_commit: None,
                            problem: r.problem.clone(),
                        });
                        (e.name.clone(), cell)
                    })
                    .collect()
            }
            None => Vec::new(),
        };
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
            pipeline,
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
        let (rfcs, total) = self
            .store
            .rfcs(filter, sort, per_page, (page - 1).saturating_mul(per_page))
            .await?;
        let pages = ((total + per_page - 1) / per_page).max(1);
        Ok(RfcPage {
            rfcs: rfcs.into_iter().map(RfcListItem::from).collect(),
            total,
            page,
            per_page,
            pages,
        })
    }
}
