//! What a dry run warns about without refusing: the packages that would hold
//! the same CRM component in the target environment afterwards, and the
//! files another open RFC's package changes too; and live drift in the
//! target where `live_drift: warn` (the default).

use std::collections::BTreeSet;

use super::Plan;
use crate::app::{App, Result};
use crate::domain::overlap::{self, Overlaps};

impl App {
    pub(super) async fn plan_warnings(&self, plan: &Plan) -> Result<Vec<String>> {
        let moving: BTreeSet<String> = plan.moving().map(|p| p.package.clone()).collect();
        if moving.is_empty() {
            return Ok(Vec::new());
        }
        let live = self.live_drift_warning(&plan.environment).await?;
        let (from, to) = self.environments(&plan.environment)?;
        let (repo, paths) = (self.repo.clone(), vec![from.path.clone(), to.path.clone()]);
        let mut files = tokio::task::spawn_blocking(move || repo.package_files(&paths)).await??;
        let source = files.remove(&from.path).unwrap_or_default();
        let mut after = files.remove(&to.path).unwrap_or_default();
        for p in &moving {
            after.insert(p.clone(), source.get(p).cloned().unwrap_or_default());
        }
        let mut found = Overlaps {
            same_path: overlap::same_path(&to.name, &after),
            same_change: self.overlaps().await?.same_change,
        };
        found = found.concerning(&moving, None);
        Ok(live.into_iter().chain(found.lines()).collect())
    }
}
