//! The few queries `dtap doctor` needs beyond the other modules: mail a
//! stopped worker left claimed, and every intent.

use super::intents::Intent;
use super::{Result, Store};

impl Store {
    /// Outbox rows in `sending` whose claim has run out: their worker stopped
    /// between claiming and settling them. `(id, claimed_by, claimed_until)`.
    pub async fn stuck_mail(&self) -> Result<Vec<(i64, Option<String>, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT id, claimed_by, claimed_until FROM outbox WHERE state = 'sending' AND claimed_until < $1 ORDER BY id",
        )
        .bind(self.now())
        .fetch_all(self.pool())
        .await?)
    }

    /// Puts rows a stopped worker left claimed back in the queue, due now;
    /// returns how many. A live worker's unexpired claim is never touched.
    pub async fn release_stuck_mail(&self) -> Result<u64> {
        let at = self.now();
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', claimed_by = NULL, next_attempt_at = $1
             WHERE state = 'sending' AND claimed_until < $1",
        )
        .bind(&at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Every promotion and rollback intent, oldest first.
    pub async fn all_intents(&self) -> Result<Vec<Intent>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, environment, packages, base_commit, commit_id, state, actor, reason, emergency, lease_owner, lease_until, created_at
             FROM promotions ORDER BY created_at",
        )
        .fetch_all(self.pool())
        .await?)
    }
}
