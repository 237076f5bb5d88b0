//! Sign-off rounds: one current round per RFC × environment, its links and
//! verdicts. Ending a round revokes its open links in the same statement
//! group, so an ended round's link never answers again.

use sqlx::FromRow;

use super::{Conn, Result, Store, WriteTx};
use crate::domain::round::{self, Carrier, Trees};
use crate::domain::stamp::Stamp;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct Round {
    pub id: i64,
    pub rfc_id: i64,
    pub environment: String,
    /// JSON {package: tree}.
    pub trees: String,
    /// JSON {package: version}.
    pub versions: String,
    pub started_at: Stamp,
    pub ended_at: Option<Stamp>,
    pub end_reason: Option<String>,
}

impl Round {
    pub fn trees(&self) -> Trees {
        round::from_json(&self.trees).unwrap_or_default()
    }
    pub fn versions(&self) -> Trees {
        round::from_json(&self.versions).unwrap_or_default()
    }
    /// The package versions the round covers, by package name.
    pub fn carriers(&self) -> Vec<Carrier> {
        let versions = self.versions();
        self.trees()
            .into_iter()
            .map(|(package, tree)| Carrier {
                version: versions.get(&package).cloned().unwrap_or_default(),
                package,
                tree,
            })
            .collect()
    }
}

macro_rules! round_columns {
    () => {
        "id, rfc_id, environment, trees, versions, started_at, ended_at, end_reason"
    };
}

pub async fn current_round(conn: &mut Conn, rfc: i64, environment: &str) -> Result<Option<Round>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        round_columns!(),
        " FROM signoff_rounds WHERE rfc_id = $1 AND environment = $2 AND ended_at IS NULL"
    ))
    .bind(rfc)
    .bind(environment)
    .fetch_optional(conn)
    .await?)
}

/// Every current round in an environment (one per open RFC there at most).
pub async fn current_rounds_in(conn: &mut Conn, environment: &str) -> Result<Vec<Round>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        round_columns!(),
        " FROM signoff_rounds WHERE environment = $1 AND ended_at IS NULL ORDER BY rfc_id"
    ))
    .bind(environment)
    .fetch_all(conn)
    .await?)
}

pub async fn round_by_id(conn: &mut Conn, id: i64) -> Result<Option<Round>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        round_columns!(),
        " FROM signoff_rounds WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn start_round(conn: &mut WriteTx, rfc: i64, environment: &str, trees: &str, versions: &str) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO signoff_rounds (rfc_id, environment, trees, versions, started_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(rfc)
    .bind(environment)
    .bind(trees)
    .bind(versions)
    .bind(conn.stamp())
    .fetch_one(&mut **conn)
    .await?;
    Ok(id)
}

/// Ends a round and revokes its open links. Returns the testers whose link
/// was still open and unexpired: they are the ones to tell.
pub async fn end_round(conn: &mut WriteTx, id: i64, reason: &str) -> Result<Vec<String>> {
    let at = conn.stamp();
    let open: Vec<(String,)> = sqlx::query_as(
        "SELECT tester FROM signoff_links
         WHERE round_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY tester",
    )
    .bind(id)
    .bind(&at)
    .fetch_all(&mut **conn)
    .await?;
    sqlx::query(
        "UPDATE signoff_links SET revoked_at = $1 WHERE round_id = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(&at)
    .bind(id)
    .execute(&mut **conn)
    .await?;
    sqlx::query("UPDATE signoff_rounds SET ended_at = $1, end_reason = $2 WHERE id = $3 AND ended_at IS NULL")
        .bind(&at)
        .bind(reason)
        .bind(id)
        .execute(&mut **conn)
        .await?;
    Ok(open.into_iter().map(|r| r.0).collect())
}

/// Ends every current round of an RFC (a rejection: a new version will come).
pub async fn end_rounds_of(conn: &mut WriteTx, rfc: i64, reason: &str) -> Result<()> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM signoff_rounds WHERE rfc_id = $1 AND ended_at IS NULL")
        .bind(rfc)
        .fetch_all(&mut **conn)
        .await?;
    for (id,) in rows {
        end_round(conn, id, reason).await?;
    }
    Ok(())
}

/// Testers whose latest verdict in the round approves it.
pub async fn round_approvals(conn: &mut Conn, round: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT s.tester FROM signoffs s
         WHERE s.round_id = $1 AND s.verdict = 'approve'
           AND s.id = (SELECT MAX(id) FROM signoffs t WHERE t.round_id = s.round_id AND t.tester = s.tester)
         ORDER BY s.tester",
    )
    .bind(round)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Revokes a tester's open links for an RFC in an environment (they were
/// removed); the number revoked.
pub async fn revoke_tester_links(conn: &mut WriteTx, rfc: i64, environment: &str, tester: &str) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE signoff_links SET revoked_at = $1
         WHERE rfc_id = $2 AND environment = $3 AND tester = $4 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(conn.stamp())
    .bind(rfc)
    .bind(environment)
    .bind(tester)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected())
}

impl Store {
    pub async fn round(&self, id: i64) -> Result<Option<Round>> {
        let mut conn = self.pool().acquire().await?;
        round_by_id(&mut conn, id).await
    }

    pub async fn current_rounds(&self, environment: &str) -> Result<Vec<Round>> {
        let mut conn = self.pool().acquire().await?;
        current_rounds_in(&mut conn, environment).await
    }

    /// Every round of an RFC, newest first: the RFC page's history of testing.
    pub async fn rounds_of(&self, rfc: i64) -> Result<Vec<Round>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            round_columns!(),
            " FROM signoff_rounds WHERE rfc_id = $1 ORDER BY id DESC"
        ))
        .bind(rfc)
        .fetch_all(self.pool())
        .await?)
    }

    /// The approvals in the current round of an RFC in an environment.
    pub async fn current_approvals(&self, rfc: i64, environment: &str) -> Result<Vec<String>> {
        let mut conn = self.pool().acquire().await?;
        match current_round(&mut conn, rfc, environment).await? {
            Some(r) => round_approvals(&mut conn, r.id).await,
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Existing links and verdicts become one-package rounds (DESIGN §15):
    /// the newest link's round is current, its approval still counts, and
    /// an older tree's round is ended.
    #[tokio::test]
    async fn migration_0013_turns_links_and_verdicts_into_one_package_rounds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_url(&format!("sqlite:{}", dir.path().join("d.db").display()), true)
            .await
            .unwrap();
        // The schema as the release before rounds left it: migrations 1 to 12.
        let older = dir.path().join("older");
        std::fs::create_dir(&older).unwrap();
        for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().to_string();
            if name.as_str() < "0013" {
                std::fs::copy(e.path(), older.join(&name)).unwrap();
            }
        }
        sqlx::migrate::Migrator::new(older.as_path())
            .await
            .unwrap()
            .run(store.pool())
            .await
            .unwrap();
        let steps: &[&'static str] = &[
            "INSERT INTO rfcs (template, title, requester, state, created_at, updated_at) VALUES ('report', 'x', 's@example.org', 'in_test', '2026-11-01T10:00:00.000000Z', '2026-11-01T10:00:00.000000Z')",
            // The first tree's link, answered; then the second tree's, answered by kim and open for lee.
            "INSERT INTO signoff_links (token_hash, rfc_id, environment, tester, package, version, tree, created_at, expires_at, invited_at, used_at)
             VALUES ('h1', 1, 'test', 'kim@example.org', 'crm-core', '1.0.0', 'tree1', '2026-11-01T10:00:00.000000Z', '2099-01-01T00:00:00.000000Z', '2026-11-01T10:00:00.000000Z', '2026-11-01T11:00:00.000000Z')",
            "INSERT INTO signoff_links (token_hash, rfc_id, environment, tester, package, version, tree, created_at, expires_at, invited_at, used_at)
             VALUES ('h2', 1, 'test', 'kim@example.org', 'crm-core', '1.1.0', 'tree2', '2026-11-02T10:00:00.000000Z', '2099-01-01T00:00:00.000000Z', '2026-11-02T10:00:00.000000Z', '2026-11-02T11:00:00.000000Z')",
            "INSERT INTO signoff_links (token_hash, rfc_id, environment, tester, package, version, tree, created_at, expires_at, invited_at)
             VALUES ('h3', 1, 'test', 'lee@example.org', 'crm-core', '1.1.0', 'tree2', '2026-11-02T10:00:00.000000Z', '2099-01-01T00:00:00.000000Z', '2026-11-02T10:00:00.000000Z')",
            "INSERT INTO signoffs (rfc_id, environment, tester, tree, verdict, comment, at, link_id) VALUES (1, 'test', 'kim@example.org', 'tree1', 'approve', '', '2026-11-01T11:00:00.000000Z', 1)",
            "INSERT INTO signoffs (rfc_id, environment, tester, tree, verdict, comment, at, link_id) VALUES (1, 'test', 'kim@example.org', 'tree2', 'approve', '', '2026-11-02T11:00:00.000000Z', 2)",
        ];
        for s in steps {
            sqlx::query(*s).execute(store.pool()).await.unwrap();
        }
        store.migrate().await.unwrap();

        let rounds = store.rounds_of(1).await.unwrap();
        assert_eq!(rounds.len(), 2, "{rounds:#?}");
        let current: Vec<&Round> = rounds.iter().filter(|r| r.ended_at.is_none()).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].trees, r#"{"crm-core":"tree2"}"#);
        assert_eq!(current[0].versions, r#"{"crm-core":"1.1.0"}"#);
        assert_eq!(store.current_approvals(1, "test").await.unwrap(), ["kim@example.org"]);
        let open: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT token_hash, round_id FROM signoff_links ORDER BY id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert!(open.iter().all(|(_, r)| r.is_some()), "{open:?}");
        assert_eq!(open[1].1, open[2].1, "one round for both testers of tree2");
    }
}
