//! `dtap migrate`: bring the database up to this dtap's schema, without
//! opening the rest of the workspace's state (the config repo may not exist).

use std::path::Path;

use super::Result;
use crate::store::Store;

pub struct Migrated {
    /// The database URL without its password, for the user to read.
    pub database: String,
    /// The migrations applied now; empty when it was up to date.
    pub applied: Vec<i64>,
}

/// Creates the database if missing, applies pending migrations and makes
/// sure the server secret exists.
pub async fn migrate(dir: &Path) -> Result<Migrated> {
    let ws = super::load_workspace(dir).await?;
    let store = Store::open(&ws.config, &ws.dir, true).await?;
    let applied = store.migrate().await?;
    store.ensure_server_secret().await?;
    store.close().await;
    Ok(Migrated {
        database: ws.config.database.url.redacted().to_string(),
        applied,
    })
}
