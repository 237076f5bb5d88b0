//! "My work" (`/me`): what is waiting for the signed-in user. The RFCs they
//! requested, the sign-off rounds waiting for their verdict, the RFCs
//! waiting for assessment (with `rfc.assess`) and their own promotions.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rfcs::Caller;
use super::{App, Result};
use crate::domain::rfc::State;
use crate::domain::rfc::query::{RfcFilter, Sort};
use crate::domain::stamp::Stamp;
use crate::gitrepo::history::HistoryEntry;
use crate::store::rfcs::RfcSummary;

/// How many rows each section shows at most.
pub const SECTION_LIMIT: i64 = 50;
/// How many of dtap's commits are read back to find the user's promotions.
const HISTORY_SCAN: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct MyWork {
    /// Open ones first, each group by last change, newest first.
    pub requested: Vec<MyRfc>,
    pub signoffs: Vec<WaitingRound>,
    /// `None` without permission `rfc.assess`.
    pub to_assess: Option<Vec<MyRfc>>,
    /// Newest first.
    pub promotions: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MyRfc {
    #[serde(flatten)]
    pub rfc: RfcSummary,
    pub label: &'static str,
    pub open: bool,
}

/// A round waiting for the user's verdict. Sign-off links are stored only
/// hashed: the page names the round and points to the RFC and the mail.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingRound {
    pub rfc: String,
    pub title: String,
    pub environment: String,
    pub label: String,
    /// package → version.
    pub versions: BTreeMap<String, String>,
    pub invited_at: Stamp,
    pub expires_at: Stamp,
}

fn item(rfc: RfcSummary) -> MyRfc {
    let state = rfc.state.parse::<State>().ok();
    MyRfc {
        label: state.map_or("", State::label),
        open: !matches!(
            state,
            Some(State::Released | State::Closed | State::Withdrawn | State::Rejected)
        ),
        rfc,
    }
}

impl App {
    pub async fn my_work(&self, caller: &Caller) -> Result<MyWork> {
        self.may_view(caller)?;
        let me = caller.email.to_string();
        let mine = RfcFilter {
            requester: Some(me.clone()),
            ..RfcFilter::default()
        };
        let (rows, _) = self.store.rfcs(&mine, Sort::Updated, SECTION_LIMIT, 0).await?;
        let mut requested: Vec<MyRfc> = rows.into_iter().map(item).collect();
        // Stable: the store's order (last change first) stays within each group.
        requested.sort_by_key(|r| !r.open);

        let now = self.now();
        let signoffs = self
            .store
            .waiting_signoffs(&me)
            .await?
            .into_iter()
            .filter(|w| w.expires_at > now)
            .map(|w| WaitingRound {
                rfc: crate::domain::rfc::RfcId(w.rfc_id).to_string(),
                label: self
                    .workspace
                    .pipeline
                    .get(&w.environment)
                    .map_or_else(|| w.environment.clone(), |e| e.label.clone()),
                versions: crate::domain::round::from_json(&w.versions).unwrap_or_default(),
                title: w.title,
                environment: w.environment,
                invited_at: w.invited_at,
                expires_at: w.expires_at,
            })
            .collect();

        let to_assess = if self.workspace.access.can(&caller.email, "rfc.assess") {
            let submitted = RfcFilter {
                state: Some(State::Submitted.as_str().to_string()),
                ..RfcFilter::default()
            };
            let (rows, _) = self.store.rfcs(&submitted, Sort::Oldest, SECTION_LIMIT, 0).await?;
            // Nobody assesses their own request.
            Some(rows.into_iter().filter(|r| r.requester != me).map(item).collect())
        } else {
            None
        };

        let promotions = self
            .history(None, None, HISTORY_SCAN)
            .await?
            .into_iter()
            .filter(|e| e.by == me)
            .take(SECTION_LIMIT as usize)
            .collect();
        Ok(MyWork {
            requested,
            signoffs,
            to_assess,
            promotions,
        })
    }
}
