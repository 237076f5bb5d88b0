//! Check: is the audit chain intact?

use super::{DoctorReport, Status};
use crate::app::caller::Caller;
use crate::app::{App, Result};

impl App {
    pub(super) async fn check_audit(&self, r: &mut DoctorReport) -> Result<()> {
        let check = self.verify_audit(&Caller::local()).await?;
        match (&check.broken, check.findings.first()) {
            (None, None) => r.push(
                "audit",
                Status::Ok,
                format!(
                    "audit chain intact: {} events, {} anchors in git",
                    check.events, check.anchors
                ),
                None,
            ),
            (Some(b), _) => r.push(
                "audit",
                Status::Problem,
                format!("the audit chain is broken at event {}: {}", b.seq, b.reason),
                Some("the row was changed outside dtap: restore the database from a backup and find out who"),
            ),
            (None, Some(f)) => r.push(
                "audit",
                Status::Problem,
                format!("the audit chain does not match git: {f}"),
                Some("the table was changed outside dtap: restore the database from a backup and find out who"),
            ),
        }
        Ok(())
    }
}
