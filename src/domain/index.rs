//! The config repo index as values: what `gitrepo` computes from the history
//! and `store` keeps, so that neither needs the other to name them.

use std::collections::BTreeMap;

/// One package folder in one environment as of its last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPackage {
    pub env_path: String,
    pub package: String,
    pub tree: String,
    pub version: Option<String>,
    pub rfcs: Vec<String>,
    /// Why the manifest or folder name cannot be used, if it cannot.
    pub problem: Option<String>,
    pub commit: String,
    pub time: String,
    pub author: String,
    pub by: String,
    pub summary: String,
}

/// A hand-made commit in an environment folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedDrift {
    pub commit: String,
    pub time: String,
    pub author: String,
    pub summary: String,
}

/// What to change in the index to bring it to `head`.
#[derive(Debug, Default)]
pub struct IndexDelta {
    pub head: String,
    /// The index must be emptied first (first build, or history not linear from the old head).
    pub rebuild: bool,
    pub upserts: Vec<IndexedPackage>,
    pub removals: Vec<(String, String)>,
    /// Per environment path: whether its drift list restarts, and commits to append.
    pub drift: BTreeMap<String, (bool, Vec<IndexedDrift>)>,
}
