//! The branch's facts that the dtap-commits and intents checks compare the
//! database with.

use std::collections::{HashMap, HashSet};

use crate::app::{App, Result};
use crate::gitrepo::ConfigRepo;
use crate::gitrepo::history::{trailer, trailers};

/// What the branch says, read in one walk along first parents.
pub(super) struct BranchFacts {
    pub(super) commits: HashSet<String>,
    /// `Dtap-Intent` → the commit carrying it.
    pub(super) by_intent: HashMap<String, String>,
    /// Commits carrying `Dtap-Action`: (commit, action, intent).
    pub(super) dtap: Vec<(String, String, Option<String>)>,
}

fn read_branch(repo: &ConfigRepo) -> Result<BranchFacts> {
    let mut facts = BranchFacts {
        commits: HashSet::new(),
        by_intent: HashMap::new(),
        dtap: Vec::new(),
    };
    for (id, message) in repo.first_parent_log(usize::MAX)? {
        let t = trailers(&message);
        let intent = trailer(&t, "Dtap-Intent").map(str::to_string);
        if let Some(i) = &intent {
            facts.by_intent.entry(i.clone()).or_insert_with(|| id.clone());
        }
        if let Some(action) = trailer(&t, "Dtap-Action") {
            facts.dtap.push((id.clone(), action.to_string(), intent));
        }
        facts.commits.insert(id);
    }
    Ok(facts)
}

impl App {
    pub(super) async fn branch(&self) -> Result<BranchFacts> {
        let repo = self.repo.clone();
        tokio::task::spawn_blocking(move || read_branch(&repo)).await?
    }
}
