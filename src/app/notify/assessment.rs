//! A submitted RFC asks the change board for an assessment: everyone who
//! may assess (permission `rfc.assess`) hears of it, never the requester
//! (who may not assess their own request) nor whoever submitted it. An
//! assessment request needs them, so it always goes, whatever they chose.

use minijinja::context;
use minijinja::value::Serde;

use crate::app::{App, Result};
use crate::domain::names::normalise_email;
use crate::domain::rfc::{Rfc, State};
use crate::store::WriteTx;

impl App {
    /// Queues the assessment requests of an RFC that was just submitted.
    pub(crate) async fn request_assessment(&self, conn: &mut WriteTx, rfc: &Rfc, by: &str) -> Result<()> {
        if rfc.state != State::Submitted {
            return Ok(());
        }
        let (requester, by) = (normalise_email(&rfc.requester), normalise_email(by));
        let access = &self.workspace.access;
        let to: Vec<String> = access
            .users
            .keys()
            .filter(|u| access.can(u, "rfc.assess"))
            .map(|u| u.to_string())
            .filter(|u| *u != requester && *u != by)
            .collect();
        let ctx = context! {
            rfc => Serde(rfc), requester, rfc_url => format!("{}/rfcs/{}", self.base_url(), rfc.id),
        };
        if let Some(mail) = self.render_all("assessment", to, ctx)? {
            self.queue_rendered(conn, &mail).await?;
        }
        Ok(())
    }
}
