//! Overlap warnings (issue 15): one path in two packages of an environment,
//! or one path changed by the packages of two open RFCs. Read from git
//! alone, so `dtap check` can show them without the database.

use std::collections::BTreeMap;

use super::{App, Result};
use crate::domain::overlap::{self, Overlaps};
use crate::domain::pipeline::Pipeline;
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::packages::Selection;

/// Blocking: walks every environment folder at the branch head.
pub fn overlaps_in(repo: &ConfigRepo, pipeline: &Pipeline) -> crate::gitrepo::Result<Overlaps> {
    let envs = pipeline.environments();
    let paths: Vec<String> = envs.iter().map(|e| e.path.clone()).collect();
    let files = repo.package_files(&paths)?;
    let mut found = Overlaps::default();
    for e in envs {
        if let Some(f) = files.get(&e.path) {
            found.same_path.extend(overlap::same_path(&e.name, f));
        }
    }
    if let (Some(first), Some(last)) = (envs.first(), envs.last())
        && first.path != last.path
    {
        // The RFCs each package's version in the first environment names (its manifest).
        let (_, pairs) = repo.package_pairs(&last.path, &first.path, Selection::All)?;
        let rfcs: BTreeMap<String, Vec<String>> = pairs
            .into_iter()
            .filter_map(|p| Some((p.name, p.new?.manifest.ok()?.rfcs)))
            .collect();
        let empty = Default::default();
        found.same_change = overlap::same_change(
            files.get(&first.path).unwrap_or(&empty),
            files.get(&last.path).unwrap_or(&empty),
            &rfcs,
        );
    }
    Ok(found)
}

impl App {
    pub async fn overlaps(&self) -> Result<Overlaps> {
        let (repo, pipeline) = (self.repo.clone(), self.workspace.pipeline.clone());
        Ok(tokio::task::spawn_blocking(move || overlaps_in(&repo, &pipeline)).await??)
    }
}
