//! The database: SQLite by default. Callers see `Store` and its methods only,
//! so a PostgreSQL backend can stand beside SQLite without touching them.

pub mod audit;
pub mod emergency;
pub mod meta;
pub mod outbox;
pub mod promotions;
pub mod repo_index;
pub mod reports;
pub mod rfcs;
pub mod sessions;
pub mod signoff;
pub mod tokens;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::config::Config;

pub use audit::{AuditEvent, NewAuditEvent, Origin};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database URL {0} is not supported by this build: use sqlite://PATH")]
    Unsupported(String),
    #[error("the database does not exist yet at {0}: run `dtap serve` or `dtap init` to create it")]
    Missing(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("{0}")]
    Corrupt(String),
}

/// The database and connection the store speaks; callers name these, never a driver.
pub type Db = sqlx::Sqlite;
pub type Conn = sqlx::SqliteConnection;
pub type Pool = SqlitePool;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens the workspace's database. With `create`, a missing SQLite file
    /// (and its folder) is created; otherwise its absence is an error.
    pub async fn open(config: &Config, workspace: &Path, create: bool) -> Result<Store> {
        let Some(path) = config.sqlite_path(workspace) else {
            return Err(StoreError::Unsupported(config.database.url.redacted()));
        };
        if !create && !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Store { pool })
    }

    /// Applies pending migrations; returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let before: Vec<i64> = self.applied().await.unwrap_or_default();
        MIGRATOR.run(&self.pool).await?;
        let after = self.applied().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    async fn applied(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Versions known to this binary but not applied to the database.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>> {
        let applied = self.applied().await.unwrap_or_default();
        Ok(MIGRATOR
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction that takes SQLite's write lock up front, so a
    /// read-then-write inside it never fails on lock upgrade.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, Db>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}
