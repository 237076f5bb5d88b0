//! What hangs off an RFC: its timeline, comments, testers and test plan.

use super::super::Conn;
use super::super::{Result, Store};
use crate::domain::rfc::{Comment, Event, RfcId, State, TestCase, Tester};
use crate::domain::stamp::Stamp;
use crate::store::WriteTx;

pub struct NewEvent<'a> {
    pub rfc: RfcId,
    pub actor: &'a str,
    pub kind: &'a str,
    pub from_state: Option<State>,
    pub to_state: Option<State>,
    pub detail: &'a str,
}

pub async fn add_event(conn: &mut WriteTx, e: &NewEvent<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO rfc_events (rfc_id, at, actor, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.rfc.0)
    .bind(conn.stamp())
    .bind(e.actor)
    .bind(e.kind)
    .bind(e.from_state.map(State::as_str))
    .bind(e.to_state.map(State::as_str))
    .bind(e.detail)
    .execute(&mut **conn)
    .await?;
    Ok(())
}

pub async fn add_comment(conn: &mut WriteTx, rfc: RfcId, author: &str, body: &str) -> Result<()> {
    sqlx::query("INSERT INTO rfc_comments (rfc_id, author, body, created_at) VALUES ($1, $2, $3, $4)")
        .bind(rfc.0)
        .bind(author)
        .bind(body)
        .bind(conn.stamp())
        .execute(&mut **conn)
        .await?;
    Ok(())
}

/// Appoints a tester; false when already appointed.
pub async fn add_tester(conn: &mut WriteTx, rfc: RfcId, env: &str, email: &str, by: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO rfc_testers (rfc_id, environment, email, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(rfc.0)
    .bind(env)
    .bind(email)
    .bind(by)
    .bind(conn.stamp())
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a tester; false when not appointed.
pub async fn remove_tester(conn: &mut Conn, rfc: RfcId, env: &str, email: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM rfc_testers WHERE rfc_id = $1 AND environment = $2 AND email = $3")
        .bind(rfc.0)
        .bind(env)
        .bind(email)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn add_test_case(
        &self,
        rfc: i64,
        env: &str,
        kind: &str,
        title: &str,
        steps: &str,
        expected: &str,
        by: &str,
        origin: crate::store::Origin,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO rfc_test_cases (rfc_id, environment, kind, title, steps, expected, position)
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(position), 0) + 1 FROM rfc_test_cases WHERE rfc_id = $1))",
        )
        .bind(rfc)
        .bind(env)
        .bind(kind)
        .bind(title)
        .bind(steps)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        let detail = format!("{title} ({env})");
        test_plan_audit(
            &mut tx,
            by,
            origin,
            "rfc.test_case.add",
            rfc,
            serde_json::json!({"environment": env, "kind": kind, "title": title}),
        )
        .await?;
        add_event(
            &mut tx,
            &NewEvent {
                rfc: RfcId(rfc),
                actor: by,
                kind: "test_case_added",
                from_state: None,
                to_state: None,
                detail: &detail,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_test_case(&self, rfc: i64, case: i64, by: &str, origin: crate::store::Origin) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM rfc_test_cases WHERE rfc_id = $1 AND id = $2")
            .bind(rfc)
            .bind(case)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            let detail = format!("case {case}");
            test_plan_audit(
                &mut tx,
                by,
                origin,
                "rfc.test_case.remove",
                rfc,
                serde_json::json!({"case": case}),
            )
            .await?;
            add_event(
                &mut tx,
                &NewEvent {
                    rfc: RfcId(rfc),
                    actor: by,
                    kind: "test_case_removed",
                    from_state: None,
                    to_state: None,
                    detail: &detail,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn rfc_test_cases(&self, id: RfcId) -> Result<Vec<TestCase>> {
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, environment, kind, title, steps, expected FROM rfc_test_cases WHERE rfc_id = $1 ORDER BY position, id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, environment, kind, title, steps, expected)| TestCase {
                id,
                environment,
                kind,
                title,
                steps,
                expected,
            })
            .collect())
    }

    pub async fn rfc_testers(&self, id: RfcId) -> Result<Vec<Tester>> {
        let rows: Vec<(String, String, String, Stamp)> = sqlx::query_as(
            "SELECT environment, email, added_by, added_at FROM rfc_testers WHERE rfc_id = $1 ORDER BY environment, email",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(environment, email, added_by, added_at)| Tester {
                environment,
                email,
                added_by,
                added_at,
            })
            .collect())
    }

    pub async fn rfc_comments(&self, id: RfcId) -> Result<Vec<Comment>> {
        let rows: Vec<(i64, String, String, Stamp)> =
            sqlx::query_as("SELECT id, author, body, created_at FROM rfc_comments WHERE rfc_id = $1 ORDER BY id")
                .bind(id.0)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, author, body, created_at)| Comment {
                id,
                author,
                body,
                created_at,
            })
            .collect())
    }

    pub async fn rfc_events(&self, id: RfcId) -> Result<Vec<Event>> {
        type Row = (Stamp, String, String, Option<String>, Option<String>, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, actor, kind, from_state, to_state, detail FROM rfc_events WHERE rfc_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, kind, from_state, to_state, detail)| Event {
                at,
                actor,
                kind,
                from_state,
                to_state,
                detail,
            })
            .collect())
    }

    /// The state an RFC had before the promotion recorded as `detail` moved it.
    pub async fn state_before(&self, rfc: i64, detail: &str) -> Result<Option<String>> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT from_state FROM rfc_events WHERE rfc_id = $1 AND detail = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(rfc)
        .bind(detail)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.and_then(|r| r.0))
    }
}

/// The audit event of a test plan change, in its transaction.
async fn test_plan_audit(
    tx: &mut crate::store::WriteTx,
    by: &str,
    origin: crate::store::Origin,
    action: &str,
    rfc: i64,
    detail: serde_json::Value,
) -> Result<()> {
    let event = crate::store::NewAuditEvent {
        actor: by.to_string(),
        action: action.to_string(),
        object: RfcId(rfc).to_string(),
        outcome: "ok".into(),
        origin,
        detail,
    };
    crate::store::audit::append(tx, &event).await?;
    Ok(())
}
