//! Check: is every migration applied? The other checks read tables a
//! migration may add, so doctor stops here while one is missing.

use super::{DoctorReport, Status};
use crate::app::Result;
use crate::store::Store;

/// Whether the other checks may run: true once every migration is applied
/// (with `repair`, after applying them).
pub(super) async fn check_migrations(store: &Store, r: &mut DoctorReport, repair: bool) -> Result<bool> {
    let pending = store.pending_migrations().await?;
    if pending.is_empty() {
        r.push("migrations", Status::Ok, "every migration is applied".into(), None);
    } else if repair {
        let applied = store.migrate().await?;
        r.push(
            "migrations",
            Status::Repaired,
            format!("applied migrations {applied:?}"),
            None,
        );
    } else {
        r.push(
            "migrations",
            Status::Problem,
            format!("migrations {pending:?} are not applied; the other checks need them first"),
            Some("run `dtap migrate` or `dtap doctor --repair`"),
        );
        return Ok(false);
    }
    Ok(true)
}
