//! What the promotion gates need to know of a package's RFCs, in three
//! queries whatever the number of RFCs and environments (it was 1 + 2 per
//! environment per RFC). The id lists travel as one JSON array bind, so the
//! SQL stays static for each dialect.

use super::{Backend, Result, Store};

/// `rfc_id IN (...)` and `environment IN (...)` over JSON array binds `$1`, `$2`.
macro_rules! in_lists {
    (sqlite, $col:literal, $env:literal) => {
        concat!(
            $col,
            " IN (SELECT value FROM json_each($1)) AND ",
            $env,
            " IN (SELECT value FROM json_each($2))"
        )
    };
    (postgres, $col:literal, $env:literal) => {
        concat!(
            $col,
            " IN (SELECT value::bigint FROM jsonb_array_elements_text($1::jsonb)) AND ",
            $env,
            " IN (SELECT value FROM jsonb_array_elements_text($2::jsonb))"
        )
    };
}

macro_rules! testers_sql {
    ($d:ident) => {
        concat!(
            "SELECT rfc_id, environment, email FROM rfc_testers WHERE ",
            in_lists!($d, "rfc_id", "environment"),
            " ORDER BY email"
        )
    };
}

/// Approvals count only in the current round (DESIGN §13): an ended round's
/// verdicts never count again.
macro_rules! approvals_sql {
    ($d:ident) => {
        concat!(
            "SELECT r.rfc_id, r.environment, s.tester FROM signoff_rounds r JOIN signoffs s ON s.round_id = r.id WHERE ",
            in_lists!($d, "r.rfc_id", "r.environment"),
            " AND r.ended_at IS NULL AND s.verdict = 'approve'
              AND s.id = (SELECT MAX(id) FROM signoffs t WHERE t.round_id = s.round_id AND t.tester = s.tester)"
        )
    };
}

macro_rules! rounds_sql {
    ($d:ident) => {
        concat!(
            "SELECT rfc_id, environment, trees FROM signoff_rounds WHERE ",
            in_lists!($d, "rfc_id", "environment"),
            " AND ended_at IS NULL"
        )
    };
}

macro_rules! states_sql {
    (sqlite) => {
        "SELECT id, state FROM rfcs WHERE id IN (SELECT value FROM json_each($1))"
    };
    (postgres) => {
        "SELECT id, state FROM rfcs WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::jsonb))"
    };
}

/// (RFC number, environment, tester address).
pub type TesterRow = (i64, String, String);

#[derive(Debug, Default)]
pub struct GateFacts {
    /// (RFC number, state as stored).
    pub states: Vec<(i64, String)>,
    pub testers: Vec<TesterRow>,
    /// Testers whose latest verdict in the current round approves it.
    pub approvals: Vec<TesterRow>,
    /// (RFC number, environment, JSON {package: tree}) of each current round.
    pub rounds: Vec<TesterRow>,
}

impl Store {
    pub async fn gate_facts(&self, rfcs: &[i64], envs: &[String]) -> Result<GateFacts> {
        if rfcs.is_empty() {
            return Ok(GateFacts::default());
        }
        let ids = serde_json::to_string(rfcs).unwrap_or_else(|_| "[]".into());
        let envs = serde_json::to_string(envs).unwrap_or_else(|_| "[]".into());
        let (states, testers, approvals, rounds) = match self.backend() {
            Backend::Sqlite => (
                states_sql!(sqlite),
                testers_sql!(sqlite),
                approvals_sql!(sqlite),
                rounds_sql!(sqlite),
            ),
            Backend::Postgres => (
                states_sql!(postgres),
                testers_sql!(postgres),
                approvals_sql!(postgres),
                rounds_sql!(postgres),
            ),
        };
        Ok(GateFacts {
            states: sqlx::query_as(states).bind(&ids).fetch_all(self.pool()).await?,
            testers: sqlx::query_as(testers)
                .bind(&ids)
                .bind(&envs)
                .fetch_all(self.pool())
                .await?,
            approvals: sqlx::query_as(approvals)
                .bind(&ids)
                .bind(&envs)
                .fetch_all(self.pool())
                .await?,
            rounds: sqlx::query_as(rounds)
                .bind(&ids)
                .bind(&envs)
                .fetch_all(self.pool())
                .await?,
        })
    }
}
