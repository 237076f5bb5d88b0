//! API tokens: only their SHA-256 is kept.

use crate::domain::stamp::Stamp;
use sqlx::FromRow;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub user: String,
    pub created_at: Stamp,
    pub expires_at: Option<Stamp>,
    pub revoked_at: Option<Stamp>,
    pub last_used_at: Option<Stamp>,
    /// A JSON array of scopes; NULL: every scope (made before scopes).
    pub scopes: Option<String>,
}

impl Store {
    pub async fn create_token(
        &self,
        name: &str,
        user: &str,
        token_hash: &str,
        expires_at: Option<&str>,
        scopes: Option<&str>,
    ) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (name, \"user\", token_hash, created_at, expires_at, scopes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(user)
        .bind(token_hash)
        .bind(self.now())
        .bind(expires_at)
        .bind(scopes)
        .fetch_one(&mut *tx)
        .await?;
        super::audit::append(
            &mut tx,
            &super::NewAuditEvent {
                actor: user.to_string(),
                action: "token.create".into(),
                object: format!("token {id}"),
                outcome: "ok".into(),
                origin: super::Origin::Cli,
                detail: serde_json::json!({ "name": name, "expires_at": expires_at, "scopes": scopes }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The user and scopes of a valid (known, unrevoked, unexpired) token.
    pub async fn token_user(&self, token_hash: &str) -> Result<Option<(String, Option<String>)>> {
        let at = self.now();
        let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, \"user\", scopes FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(token_hash)
        .bind(&at)
        .fetch_optional(self.pool())
        .await?;
        if let Some((id, _, _)) = &row {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(&at)
                .bind(id)
                .execute(self.pool())
                .await?;
        }
        Ok(row.map(|r| (r.1, r.2)))
    }

    pub async fn tokens(&self, user: Option<&str>) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as(
            "SELECT id, name, \"user\", created_at, expires_at, revoked_at, last_used_at, scopes FROM api_tokens
             WHERE ($1 IS NULL OR \"user\" = $1) ORDER BY id",
        )
        .bind(user)
        .fetch_all(self.pool())
        .await?)
    }

    /// Revokes a token of `user`; false when there is none.
    pub async fn revoke_token(&self, id: i64, user: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND \"user\" = $3 AND revoked_at IS NULL")
                .bind(self.now())
                .bind(id)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 1 {
            super::audit::append(
                &mut tx,
                &super::NewAuditEvent {
                    actor: user.to_string(),
                    action: "token.revoke".into(),
                    object: format!("token {id}"),
                    outcome: "ok".into(),
                    origin: super::Origin::Cli,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
