//! When one tester rejects, the round ends for everyone: the other testers
//! whose link was still open are told that it is no longer needed and why,
//! and their dead link's page says so too (instead of only "gone").

use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use crate::app::signoff::token_hash;
use crate::app::{App, Result};
use crate::domain::rfc::{Rfc, RfcId};
use crate::store::WriteTx;
use crate::store::notify as store;

/// Why a sign-off link stopped working, when a rejection ended its round.
#[derive(Debug, Clone, Serialize)]
pub struct EndedRound {
    pub rfc: String,
    pub by: String,
    pub environment_label: String,
    pub comment: String,
}

impl App {
    /// Tells the testers of `rfc` whose links are still open that `by`'s
    /// rejection in `environment` ended the round. Runs in the rejection's
    /// transaction, before the links are revoked.
    pub(crate) async fn notify_round_rejected(
        &self,
        conn: &mut WriteTx,
        rfc: &Rfc,
        by: &str,
        environment: &str,
        comment: &str,
    ) -> Result<()> {
        let at = conn.stamp();
        let mut to: Vec<String> = store::open_link_testers(conn, rfc.id.0, &at)
            .await?
            .into_iter()
            .map(|(tester, _)| tester)
            .filter(|t| t != by)
            .collect();
        to.dedup();
        let ctx = context! {
            rfc => Serde(rfc), by, comment, environment, environment_label => self.env_label(environment),
        };
        if let Some(mail) = self.render_all("round_ended", to, ctx)? {
            self.queue_rendered(conn, &mail).await?;
        }
        Ok(())
    }

    /// For a sign-off link that no longer works because a tester's
    /// rejection ended its round: who, where and why. Anything else (unknown,
    /// expired, used, withdrawn) stays the one "does not work" page.
    pub async fn ended_round(&self, token: &str) -> Result<Option<EndedRound>> {
        Ok(self
            .store
            .ended_by_rejection(&token_hash(token))
            .await?
            .map(|e| EndedRound {
                rfc: RfcId(e.rfc_id).to_string(),
                environment_label: self.env_label(&e.environment),
                by: e.rejected_by,
                comment: e.comment,
            }))
    }
}
