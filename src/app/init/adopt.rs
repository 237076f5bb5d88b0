//! `dtap init --adopt`: a new workspace joins a config repo that already has
//! history (another workspace's, or one kept by hand until now). Every commit
//! on the branch is recorded as known, so the index reports none of them as
//! drift; changes made after the adoption are judged as always.

use std::path::Path;

use serde_json::json;

use crate::app::Result;
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::history::{trailer, trailers};
use crate::store::{NewAuditEvent, Origin, Store};

/// Records the branch's history as known; one line for the user.
pub(super) async fn adopt(store: &Store, repo: &ConfigRepo, by: &str, shown: &Path) -> Result<String> {
    let r = repo.clone();
    let log = tokio::task::spawn_blocking(move || r.first_parent_log(usize::MAX)).await??;
    let commits: Vec<(String, String)> = log
        .into_iter()
        .map(|(id, message)| {
            let action = trailer(&trailers(&message), "Dtap-Action")
                .unwrap_or("adopt")
                .to_string();
            (id, action)
        })
        .collect();
    let head = commits.first().map(|(id, _)| id.clone()).unwrap_or_default();
    store.record_dtap_commits(&commits).await?;
    let place = repo
        .remote()
        .map_or_else(|| repo.path().display().to_string(), |s| s.shown().to_string());
    store
        .record(&NewAuditEvent {
            actor: by.to_string(),
            action: "workspace.adopt".into(),
            object: shown.display().to_string(),
            outcome: "ok".into(),
            origin: Origin::Cli,
            detail: json!({ "repo": place, "head": head, "commits": commits.len() }),
        })
        .await?;
    Ok(format!(
        "Adopted the config repo {place}: its {} commit(s) up to {} count as known, not as drift",
        commits.len(),
        head.get(..12).unwrap_or(&head)
    ))
}
