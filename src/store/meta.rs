//! Instance metadata, e.g. the server secret shared by every instance.

use super::{Result, Store};

const SERVER_SECRET: &str = "server_secret";

/// The version of the dtap that last applied migrations: what an older
/// binary names when it refuses the database. Not data: `dtap db copy`
/// leaves it to the target's own migrations.
pub const SCHEMA_BY: &str = "schema_by_dtap";

impl Store {
    /// Creates the server secret (256 random bits) unless it exists. Returns
    /// true when it was created now.
    pub async fn ensure_server_secret(&self) -> Result<bool> {
        let bytes = crate::random::bytes::<32>()?;
        let done = sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(SERVER_SECRET)
            .bind(hex::encode(bytes))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn server_secret(&self) -> Result<Vec<u8>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(SERVER_SECRET)
            .fetch_optional(self.pool())
            .await?;
        let hexed = row
            .ok_or_else(|| super::StoreError::Corrupt("the server secret is missing: run `dtap migrate`".into()))?
            .0;
        hex::decode(hexed)
            .map_err(|_| super::StoreError::Corrupt("the server secret in the database is damaged".into()))
    }

    /// A value of the instance metadata, if set.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2")
            .bind(key)
            .bind(value)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes `key` when it still holds `value` (nobody replaced it since).
    pub async fn clear_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("DELETE FROM meta WHERE key = $1 AND value = $2")
            .bind(key)
            .bind(value)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records this dtap as the one that migrated the schema last.
    pub(super) async fn record_schema_by(&self) -> Result<()> {
        self.set_meta(SCHEMA_BY, env!("CARGO_PKG_VERSION")).await
    }

    /// The dtap version that migrated the schema last, when recorded.
    pub(super) async fn schema_by(&self) -> Result<Option<String>> {
        self.meta(SCHEMA_BY).await
    }
}
