//! Deployments and their steps. A deployment is claimed by one runner at a
//! time (a lease, renewed while it runs); every state change is a guarded
//! update, so two runners never both run one deployment.

use sqlx::FromRow;

use super::{Result, Store, WriteTx};
use crate::domain::deploy::state::DeployState;
use crate::domain::stamp::Stamp;

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct Deployment {
    pub id: i64,
    pub environment: String,
    pub package: String,
    pub version: Option<String>,
    pub tree: Option<String>,
    pub previous_tree: Option<String>,
    #[sqlx(rename = "commit_id")]
    #[serde(rename = "commit")]
    pub commit: String,
    pub action: String,
    #[serde(skip)]
    pub intent_id: String,
    #[serde(skip)]
    pub position: i64,
    pub state: String,
    pub requested_by: String,
    pub created_at: Stamp,
    pub started_at: Option<Stamp>,
    pub finished_at: Option<Stamp>,
    #[serde(skip)]
    pub lease_owner: Option<String>,
    #[serde(skip)]
    pub lease_until: Option<String>,
    #[serde(skip)]
    pub cancel_requested: i64,
    pub error: Option<String>,
    pub retry_of: Option<i64>,
}

impl Deployment {
    pub fn state(&self) -> DeployState {
        self.state.parse().unwrap_or(DeployState::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct DeploymentStep {
    #[serde(skip)]
    pub deployment_id: i64,
    #[serde(skip)]
    pub position: i64,
    pub name: String,
    pub state: String,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<i64>,
    pub output_tail: String,
    #[serde(skip)]
    pub started_at: Stamp,
}

macro_rules! columns {
    () => {
        "id, environment, package, version, tree, previous_tree, commit_id, action, intent_id, position, state,
         requested_by, created_at, started_at, finished_at, lease_owner, lease_until, cancel_requested, error, retry_of"
    };
}

pub struct NewDeployment<'a> {
    pub environment: &'a str,
    pub package: &'a str,
    pub version: Option<&'a str>,
    pub tree: Option<&'a str>,
    pub previous_tree: Option<&'a str>,
    pub commit: &'a str,
    pub action: &'a str,
    pub intent: &'a str,
    pub position: i64,
    pub requested_by: &'a str,
    pub retry_of: Option<i64>,
}

/// Queues a deployment in the caller's transaction (the commit's completion).
pub async fn enqueue(conn: &mut WriteTx, d: &NewDeployment<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO deployments (environment, package, version, tree, previous_tree, commit_id, action, intent_id, position,
                                  state, requested_by, created_at, retry_of)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $11, $12) RETURNING id",
    )
    .bind(d.environment)
    .bind(d.package)
    .bind(d.version)
    .bind(d.tree)
    .bind(d.previous_tree)
    .bind(d.commit)
    .bind(d.action)
    .bind(d.intent)
    .bind(d.position)
    .bind(d.requested_by)
    .bind(conn.stamp())
    .bind(d.retry_of)
    .fetch_one(&mut **conn)
    .await?;
    Ok(id)
}

/// Records a deployment's end, in the caller's transaction (with what its
/// end changes); false when its runner no longer holds it (lease lost).
pub async fn finish(tx: &mut WriteTx, id: i64, owner: &str, state: DeployState, error: Option<&str>) -> Result<bool> {
    let at = tx.stamp();
    let done = sqlx::query(
        "UPDATE deployments SET state = $1, finished_at = $2, error = $3, lease_until = NULL
         WHERE id = $4 AND state = 'running' AND lease_owner = $5",
    )
    .bind(state.as_str())
    .bind(&at)
    .bind(error)
    .bind(id)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    pub async fn deployment(&self, id: i64) -> Result<Option<Deployment>> {
        Ok(
            sqlx::query_as(concat!("SELECT ", columns!(), " FROM deployments WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Newest first, optionally of one environment.
    pub async fn deployments(&self, environment: Option<&str>, limit: i64) -> Result<Vec<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments WHERE ($1 IS NULL OR environment = $1) ORDER BY id DESC LIMIT $2"
        ))
        .bind(environment)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// The deployments of one commit's intent, in their order.
    pub async fn deployments_of_intent(&self, intent: &str) -> Result<Vec<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments WHERE intent_id = $1 ORDER BY position, id"
        ))
        .bind(intent)
        .fetch_all(self.pool())
        .await?)
    }

    /// The newest deployment of each package in an environment.
    pub async fn latest_deployments(&self, environment: &str) -> Result<Vec<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments d WHERE environment = $1
              AND id = (SELECT MAX(id) FROM deployments e WHERE e.environment = d.environment AND e.package = d.package)
             ORDER BY package"
        ))
        .bind(environment)
        .fetch_all(self.pool())
        .await?)
    }

    /// Queued or running deployments into an environment.
    pub async fn open_deployments(&self, environment: &str) -> Result<Vec<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments WHERE environment = $1 AND state IN ('queued', 'running') ORDER BY id"
        ))
        .bind(environment)
        .fetch_all(self.pool())
        .await?)
    }

    /// The newest deployment of a package in an environment.
    pub async fn latest_deployment_of(&self, environment: &str, package: &str) -> Result<Option<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments WHERE environment = $1 AND package = $2 ORDER BY id DESC LIMIT 1"
        ))
        .bind(environment)
        .bind(package)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Queued deployments, oldest first.
    pub async fn queued_deployments(&self) -> Result<Vec<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments WHERE state = 'queued' ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes a queued deployment for `owner`, once across every runner, and
    /// only while no other deployment into its environment runs.
    pub async fn claim_deployment(&self, id: i64, owner: &str, lease_until: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let at = tx.stamp();
        let done = sqlx::query(
            "UPDATE deployments SET state = 'running', lease_owner = $1, lease_until = $2, started_at = $3
             WHERE id = $4 AND state = 'queued'
               AND NOT EXISTS (SELECT 1 FROM deployments o WHERE o.environment = deployments.environment
                                                            AND o.state = 'running')",
        )
        .bind(owner)
        .bind(lease_until)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Renews the lease; false when the deployment is no longer ours to run.
    /// Also says whether someone asked to stop it: 0 no, 1 cancel (`deploy
    /// cancel`), 2 interrupt (Ctrl-C on the waiting command).
    pub async fn renew_deployment(&self, id: i64, owner: &str, lease_until: &str) -> Result<(bool, i64)> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE deployments SET lease_until = $1 WHERE id = $2 AND state = 'running' AND lease_owner = $3",
        )
        .bind(lease_until)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        let cancel: Option<(i64,)> = sqlx::query_as("SELECT cancel_requested FROM deployments WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((done.rows_affected() == 1, cancel.map_or(0, |c| c.0)))
    }

    /// Asks the runner of a running deployment to stop it as `interrupted`
    /// (Ctrl-C on the command that waits for it).
    pub async fn request_interrupt(&self, id: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE deployments SET cancel_requested = 2 WHERE id = $1 AND state = 'running'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Cancels the queued deployments of an intent after the first failure.
    pub async fn cancel_queued_of_intent(&self, intent: &str, why: &str) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let at = tx.stamp();
        let done = sqlx::query(
            "UPDATE deployments SET state = 'cancelled', finished_at = $1, error = $2 WHERE intent_id = $3 AND state = 'queued'",
        )
        .bind(&at)
        .bind(why)
        .bind(intent)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// `dtap deploy cancel`: a queued one ends now; a running one is asked to
    /// stop (its runner kills the step). False when it already ended.
    pub async fn cancel_deployment(&self, id: i64, why: &str) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let at = tx.stamp();
        let queued = sqlx::query(
            "UPDATE deployments SET state = 'cancelled', finished_at = $1, error = $2 WHERE id = $3 AND state = 'queued'",
        )
        .bind(&at)
        .bind(why)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let running = sqlx::query("UPDATE deployments SET cancel_requested = 1 WHERE id = $1 AND state = 'running'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(queued.rows_affected() + running.rows_affected() > 0)
    }

    /// Running deployments whose lease ran out (their runner died): never
    /// re-run by themselves. Returns them, now `interrupted`.
    pub async fn interrupt_expired(&self, now: &str) -> Result<Vec<Deployment>> {
        let expired = self.expired_deployments(now).await?;
        let mut out = Vec::new();
        for d in expired {
            let mut tx = self.write_tx().await?;
            let at = tx.stamp();
            let done = sqlx::query(
                "UPDATE deployments SET state = 'interrupted', finished_at = $1,
                        error = 'its runner stopped before it finished (lease expired)'
                 WHERE id = $2 AND state = 'running' AND lease_until < $3",
            )
            .bind(&at)
            .bind(d.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE deployment_steps SET state = 'interrupted' WHERE deployment_id = $1 AND state = 'running'",
            )
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            if done.rows_affected() == 1 {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Running deployments whose lease ran out, without changing them (doctor).
    pub async fn expired_deployments(&self, now: &str) -> Result<Vec<Deployment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM deployments WHERE state = 'running' AND lease_until < $1 ORDER BY id"
        ))
        .bind(now)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn start_step(&self, id: i64, position: i64, name: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let at = tx.stamp();
        sqlx::query(
            "INSERT INTO deployment_steps (deployment_id, position, name, state, started_at) VALUES ($1, $2, $3, 'running', $4)",
        )
        .bind(id)
        .bind(position)
        .bind(name)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn finish_step(
        &self,
        id: i64,
        position: i64,
        state: DeployState,
        exit_code: Option<i64>,
        duration_ms: i64,
        output_tail: &str,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE deployment_steps SET state = $1, exit_code = $2, duration_ms = $3, output_tail = $4
             WHERE deployment_id = $5 AND position = $6",
        )
        .bind(state.as_str())
        .bind(exit_code)
        .bind(duration_ms)
        .bind(output_tail)
        .bind(id)
        .bind(position)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn deployment_steps(&self, id: i64) -> Result<Vec<DeploymentStep>> {
        Ok(sqlx::query_as(
            "SELECT deployment_id, position, name, state, exit_code, duration_ms, output_tail, started_at
             FROM deployment_steps WHERE deployment_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }
}
