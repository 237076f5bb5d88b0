//! Login links and sessions.

use super::{Result, Store, WriteTx};

/// Writes a login link (only its token's hash), in the caller's transaction.
pub async fn create_login_link(conn: &mut WriteTx, token_hash: &str, email: &str, expires_at: &str) -> Result<()> {
    let at = conn.stamp();
    sqlx::query("INSERT INTO login_links (token_hash, email, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(email)
        .bind(&at)
        .bind(expires_at)
        .execute(&mut **conn)
        .await?;
    Ok(())
}

impl Store {
    /// The e-mail of an open login link (unused, unexpired).
    pub async fn login_link(&self, token_hash: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT email FROM login_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(self.now())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Uses a login link and opens a session, atomically: a link signs in once.
    pub async fn consume_login_link(
        &self,
        token_hash: &str,
        session_hash: &str,
        session_expires: &str,
    ) -> Result<Option<String>> {
        let at = self.now();
        let mut tx = self.write_tx().await?;
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE login_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING email",
        )
        .bind(&at)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((email,)) = row else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO sessions (id_hash, email, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(session_hash)
        .bind(&email)
        .bind(&at)
        .bind(session_expires)
        .execute(&mut *tx)
        .await?;
        super::audit::append(
            &mut tx,
            &super::NewAuditEvent {
                actor: email.clone(),
                action: "login".into(),
                object: "session".into(),
                outcome: "ok".into(),
                origin: super::Origin::Web,
                detail: serde_json::json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(email))
    }

    /// The user of a live session; `idle_since` is the oldest last-seen time
    /// still accepted. Touches the session.
    pub async fn session_user(&self, id_hash: &str, idle_since: &str) -> Result<Option<String>> {
        let at = self.now();
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND expires_at > $1 AND last_seen_at > $3 RETURNING email",
        )
        .bind(&at)
        .bind(id_hash)
        .bind(idle_since)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn end_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
