//! Check: the repo index against a full rebuild from the branch.

use std::collections::{BTreeMap, HashMap};

use super::{DoctorReport, Status, short};
use crate::app::{App, Result};
use crate::domain::index::{IndexDelta, IndexedDrift, IndexedPackage};

impl App {
    /// The repo index against a full rebuild from the branch.
    pub(super) async fn check_index(&self, r: &mut DoctorReport, repair: bool) -> Result<()> {
        let indexed = self.store.index_head().await?;
        let snapshot = self.index_snapshot().await?;
        let full = self.index_delta_from(None).await?;
        if full.head != snapshot.head {
            r.push(
                "index",
                Status::Info,
                "the branch moved while the index was checked; not compared".into(),
                Some("run doctor again"),
            );
            return Ok(());
        }
        let differences = index_differences(&snapshot.packages, &snapshot.drift, &full);
        if !differences.is_empty() {
            let listed = differences.join("; ");
            if repair {
                if self.store.apply_index(indexed.as_deref(), &full).await? {
                    r.push(
                        "index",
                        Status::Repaired,
                        format!(
                            "rebuilt the repo index from the branch at {}: it differed in {listed}",
                            short(&full.head)
                        ),
                        None,
                    );
                } else {
                    r.push(
                        "index",
                        Status::Problem,
                        "the index changed while doctor rebuilt it".into(),
                        Some("run `dtap doctor --repair` again"),
                    );
                }
            } else {
                r.push(
                    "index",
                    Status::Problem,
                    format!(
                        "the repo index differs from the branch at {}: {listed}",
                        short(&full.head)
                    ),
                    Some("`dtap doctor --repair` rebuilds it from git"),
                );
            }
            return Ok(());
        }
        if indexed.as_deref() == Some(full.head.as_str()) {
            r.push(
                "index",
                Status::Ok,
                format!(
                    "the repo index matches the branch head {} ({} packages)",
                    short(&full.head),
                    full.upserts.len()
                ),
                None,
            );
        } else if repair {
            self.refresh_index().await?;
            r.push(
                "index",
                Status::Repaired,
                format!(
                    "brought the repo index from {} up to the branch head {}",
                    indexed.as_deref().map(short).unwrap_or("nothing"),
                    short(&full.head)
                ),
                None,
            );
        } else {
            r.push(
                "index",
                Status::Info,
                format!(
                    "the repo index is at {}, the branch at {}; the next read brings it up to date, and it will then agree",
                    indexed.as_deref().map(short).unwrap_or("nothing"),
                    short(&full.head)
                ),
                None,
            );
        }
        Ok(())
    }
}

/// Where the stored index (with any pending delta applied in memory) and a
/// full rebuild disagree, in words.
fn index_differences(
    packages: &[IndexedPackage],
    drift: &HashMap<String, Vec<IndexedDrift>>,
    full: &IndexDelta,
) -> Vec<String> {
    let key = |p: &IndexedPackage| format!("{}/{}", p.env_path, p.package);
    let have: BTreeMap<String, &IndexedPackage> = packages.iter().map(|p| (key(p), p)).collect();
    let want: BTreeMap<String, &IndexedPackage> = full.upserts.iter().map(|p| (key(p), p)).collect();
    let mut out = Vec::new();
    for (k, w) in &want {
        match have.get(k) {
            None => out.push(format!("{k} is missing")),
            Some(h) if h != w => out.push(format!("{k} is stale")),
            _ => {}
        }
    }
    for k in have.keys().filter(|k| !want.contains_key(*k)) {
        out.push(format!("{k} is no longer on the branch"));
    }
    let ids = |v: &[IndexedDrift]| v.iter().map(|d| d.commit.clone()).collect::<Vec<_>>();
    let mut envs: Vec<&String> = drift.keys().chain(full.drift.keys()).collect();
    envs.sort();
    envs.dedup();
    for env in envs {
        let have = drift.get(env).map(|v| ids(v)).unwrap_or_default();
        let mut want = full.drift.get(env).map(|(_, v)| ids(v)).unwrap_or_default();
        want.reverse();
        if have != want {
            out.push(format!(
                "the drift of {env} ({} listed, {} on the branch)",
                have.len(),
                want.len()
            ));
        }
    }
    out
}
