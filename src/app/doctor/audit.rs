//! Check: is the audit chain intact?

use super::{DoctorReport, Status};
use crate::app::caller::Caller;
use crate::app::{App, Result};

impl App {
    pub(super) async fn check_audit(&self, r: &mut DoctorReport) -> Result<()> {
        match self.verify_audit(&Caller::local()).await? {
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
