//! Check: lock files in the config repo. A young one may belong to a running
//! process; an old one was left by a crash and blocks every promotion.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{DoctorOptions, DoctorReport, Status};
use crate::app::{App, AppError, Result};

impl App {
    pub(super) async fn check_locks(&self, r: &mut DoctorReport, opts: &DoctorOptions) -> Result<()> {
        let path = self.repo.path().to_path_buf();
        let found = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            lock_files(&path, &mut out, 0);
            out
        })
        .await?;
        if found.is_empty() {
            r.push(
                "repo-locks",
                Status::Ok,
                "no lock files in the config repo".into(),
                None,
            );
        }
        for p in found {
            let age = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .unwrap_or_default();
            let shown = p.display();
            if age < opts.stale_lock {
                r.push(
                    "repo-locks",
                    Status::Info,
                    format!(
                        "{shown} is {}s old: a running process holds it, or a crash just left it",
                        age.as_secs()
                    ),
                    Some("run doctor again in a minute; if it is still there, `dtap doctor --repair` removes it"),
                );
            } else if opts.repair {
                std::fs::remove_file(&p).map_err(|e| AppError::Internal(format!("cannot remove {shown}: {e}")))?;
                r.push(
                    "repo-locks",
                    Status::Repaired,
                    format!("removed {shown}, left by a process that ended {}s ago", age.as_secs()),
                    None,
                );
            } else {
                r.push(
                    "repo-locks",
                    Status::Problem,
                    format!(
                        "{shown} is {}s old: a process that ended left it, and it blocks every promotion",
                        age.as_secs()
                    ),
                    Some("`dtap doctor --repair` removes it"),
                );
            }
        }
        Ok(())
    }
}

/// Lock files git or libgit2 left in the repo (never under objects/).
fn lock_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < 16 && e.file_name() != "objects" {
            lock_files(&p, out, depth + 1);
        } else if kind.is_file() && p.extension().is_some_and(|x| x == "lock") {
            out.push(p);
        }
    }
}
