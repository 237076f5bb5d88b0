//! Check: mail left in `sending` by a worker that stopped.

use std::collections::BTreeMap;

use super::{DoctorReport, Status};
use crate::app::{App, Result};

impl App {
    pub(super) async fn check_outbox(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
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
}
