//! Fixed-window request counters in the database, so that every instance
//! behind a load balancer counts the same hits.

use super::{Result, Store};

impl Store {
    /// Counts one hit of `client` in the window starting at `window` and
    /// returns the hits so far. A single upsert: atomic on both backends
    /// without a write transaction. Windows older than `stale_before` go.
    pub async fn rate_hit(&self, client: &str, window: &str, stale_before: &str) -> Result<i64> {
        let (hits,): (i64,) = sqlx::query_as(
            "INSERT INTO rate_limits (client, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (client, window_start) DO UPDATE SET hits = rate_limits.hits + 1
             RETURNING hits",
        )
        .bind(client)
        .bind(window)
        .fetch_one(self.pool())
        .await?;
        if hits == 1 {
            // A new window for this client: a good moment to drop old windows.
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(stale_before)
                .execute(self.pool())
                .await?;
        }
        Ok(hits)
    }
}
