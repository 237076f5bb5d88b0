//! The database: SQLite by default, PostgreSQL for several instances. Callers see `Store` and its methods only,
//! so a PostgreSQL backend can stand beside SQLite without touching them.

pub mod attachments;
pub mod audit;
pub mod copy;
pub mod deployments;
pub mod doctor;
pub mod drift;
pub mod emergency;
pub mod gate_facts;
pub mod intents;
pub mod live_drift;
pub mod meta;
pub mod metrics;
pub mod notify;
pub mod outbox;
pub mod pages;
pub mod rate_limits;
pub mod repo_index;
pub mod reports;
pub mod rfcs;
pub mod rounds;
pub mod sessions;
pub mod signoff;
mod stamp;
pub mod tokens;
mod tx;

pub use tx::WriteTx;

use std::path::Path;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::ConnectOptions;
use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use crate::config::Config;

pub use audit::{AuditEvent, NewAuditEvent, Origin};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database URL {0} is not supported: use sqlite://PATH or postgres://USER@HOST/DB")]
    Unsupported(String),
    #[error("the database does not exist yet at {0}: run `dtap serve` or `dtap init` to create it")]
    Missing(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("cannot connect to the database {0}: {1}")]
    Connect(String, #[source] sqlx::Error),
    #[error(
        "the database has migrations {unknown:?} that this dtap does not know (this is dtap {ours}): {} upgraded it; \
         use that version or newer here (an older dtap must not write with older rules)",
        needs.as_ref().map_or_else(|| "a newer dtap".to_string(), |v| format!("dtap {v}"))
    )]
    Newer {
        unknown: Vec<i64>,
        /// The dtap version that applied them, when the database records it.
        needs: Option<String>,
        ours: &'static str,
    },
    #[error("{0}")]
    Corrupt(String),
    #[error(transparent)]
    NoRandomness(#[from] crate::random::NoRandomness),
}

/// The database and connection the store speaks; callers name these, never a
/// driver. `Any` lets one set of plain SQL serve SQLite and PostgreSQL; where
/// their dialects differ, the store asks `backend()`.
pub type Db = sqlx::Any;
pub type Conn = sqlx::AnyConnection;
pub type Pool = AnyPool;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Every write transaction on PostgreSQL takes this lock first, so writes are
/// serialized as on SQLite (`BEGIN IMMEDIATE`) across all instances: the audit
/// chain and RFC numbering need one writer at a time, and dtap's writes are few
/// and short. Claiming mail does not take it (SKIP LOCKED instead).
const PG_WRITE_LOCK: i64 = 0x6474_6170_0001; // "dtap" 1

/// Promotions into one environment hold this lock (plus the environment's
/// hash) for their whole run, across instances.
const PG_ENV_LOCK_SPACE: i32 = 0x6474_6170; // "dtap"

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    clock: crate::clock::Clock,
}

impl Store {
    /// Opens the workspace's database. With `create`, a missing SQLite file
    /// (and its folder) is created; otherwise its absence is an error. A
    /// PostgreSQL database must exist already (its owner creates it).
    pub async fn open(config: &Config, workspace: &Path, create: bool) -> Result<Store> {
        let url = config.database.url.expose();
        match Backend::of_url(url) {
            Some(Backend::Sqlite) => {
                let Some(path) = config.sqlite_path(workspace) else {
                    return Err(StoreError::Unsupported(config.database.url.redacted()));
                };
                Store::open_sqlite(&path, create, false).await
            }
            Some(Backend::Postgres) => Store::open_postgres(url, false).await,
            None => Err(StoreError::Unsupported(config.database.url.redacted())),
        }
    }

    /// Opens a database by URL alone (`dtap db copy`, tests): a `sqlite:` path
    /// is taken as given, relative to the current folder. Statements are not
    /// logged: a copy reads each table in one statement that lasts as long as
    /// the copy of that table, which is no slow query to warn about.
    pub async fn open_url(url: &str, create: bool) -> Result<Store> {
        match Backend::of_url(url) {
            Some(Backend::Sqlite) => {
                let rest = url
                    .strip_prefix("sqlite://")
                    .or_else(|| url.strip_prefix("sqlite:"))
                    .unwrap_or("");
                let file = rest.split('?').next().unwrap_or(rest);
                Store::open_sqlite(Path::new(file), create, true).await
            }
            Some(Backend::Postgres) => Store::open_postgres(url, true).await,
            None => Err(StoreError::Unsupported(crate::config::SecretUrl::new(url).redacted())),
        }
    }

    async fn open_sqlite(path: &Path, create: bool, quiet: bool) -> Result<Store> {
        sqlx::any::install_default_drivers();
        if !create && !path.exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let mode = if create { "rwc" } else { "rw" };
        let url = format!("sqlite://{}?mode={mode}", encode_path(path));
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // What SqliteConnectOptions would set; Any takes a URL only.
                    conn.execute(sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    ))
                    .await?;
                    Ok(())
                })
            })
            .connect_with(connect_options(&url, quiet)?)
            .await?;
        Ok(Store {
            pool,
            backend: Backend::Sqlite,
            clock: crate::clock::Clock::system(),
        })
    }

    async fn open_postgres(url: &str, quiet: bool) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Timestamps are text in one fixed format; keep the server's
                    // own clock settings out of every query.
                    conn.execute(sqlx::raw_sql(
                        "SET TIME ZONE 'UTC'; SET lock_timeout = '60s'; SET idle_in_transaction_session_timeout = '10min';",
                    ))
                    .await?;
                    Ok(())
                })
            })
            .connect_with(connect_options(url, quiet)?)
            .await
            .map_err(|e| StoreError::Connect(crate::config::SecretUrl::new(url).redacted(), e))?;
        Ok(Store {
            pool,
            backend: Backend::Postgres,
            clock: crate::clock::Clock::system(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &MIGRATOR_SQLITE,
            Backend::Postgres => &MIGRATOR_POSTGRES,
        }
    }

    /// Applies pending migrations; returns the versions applied now. A
    /// database a newer dtap migrated is refused first, naming that version.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        self.refuse_newer().await?;
        let before: Vec<i64> = self.applied().await.unwrap_or_default();
        self.migrator().run(&self.pool).await?;
        let after = self.applied().await?;
        let now: Vec<i64> = after.into_iter().filter(|v| !before.contains(v)).collect();
        if !now.is_empty() {
            self.record_schema_by().await?;
        }
        Ok(now)
    }

    /// `StoreError::Newer` when the database has migrations this binary
    /// does not know, with the dtap version that applied them.
    pub async fn refuse_newer(&self) -> Result<()> {
        let unknown = self.unknown_migrations().await?;
        if unknown.is_empty() {
            return Ok(());
        }
        Err(StoreError::Newer {
            unknown,
            needs: self.schema_by().await.ok().flatten(),
            ours: env!("CARGO_PKG_VERSION"),
        })
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
        Ok(self
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// Versions applied to the database that this binary does not know: a
    /// newer dtap migrated it, and this one must not write with older rules.
    pub async fn unknown_migrations(&self) -> Result<Vec<i64>> {
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        Ok(self
            .applied()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|v| !known.contains(v))
            .collect())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction that takes the database's write lock up front, so
    /// a read-then-write inside it never races another writer (SQLite: never
    /// fails on lock upgrade; PostgreSQL: see `PG_WRITE_LOCK`).
    pub(crate) async fn write_tx(&self) -> Result<WriteTx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        // The moment is taken once the lock is held, so stamps follow the order of commits.
        Ok(WriteTx::new(tx, self.clock.now()))
    }

    /// The same store reading the time from `clock`.
    pub fn with_clock(self, clock: crate::clock::Clock) -> Store {
        Store { clock, ..self }
    }

    /// Now, by the store's clock, as stored.
    pub(crate) fn now(&self) -> String {
        self.clock.now().to_string()
    }

    /// Serializes promotions into one environment across every instance for
    /// as long as the guard lives (PostgreSQL). The lock is a session lock on a
    /// connection taken out of the pool: dropping the guard closes it, and the
    /// server releases the lock even if the future was cancelled mid-way.
    /// On SQLite the database has one host, and git's compare-and-swap ref
    /// update already refuses a race.
    pub async fn lock_environment(&self, environment: &str) -> Result<EnvironmentLock> {
        match self.backend {
            Backend::Sqlite => Ok(EnvironmentLock(None)),
            Backend::Postgres => {
                let mut conn = self.pool.acquire().await?.detach();
                sqlx::query("SELECT pg_advisory_lock($1, $2)")
                    .bind(PG_ENV_LOCK_SPACE)
                    .bind(env_lock_key(environment))
                    .execute(&mut conn)
                    .await?;
                Ok(EnvironmentLock(Some(conn)))
            }
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// Held while promoting into one environment; dropping it closes the
/// connection that holds the advisory lock, which releases it.
#[must_use = "the lock is released when this is dropped"]
pub struct EnvironmentLock(#[allow(dead_code)] Option<Conn>);

/// A stable 32-bit key per environment name (FNV-1a): the same on every
/// instance and release, unlike std's randomly seeded hasher.
fn env_lock_key(environment: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in environment.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// The options of `url`, with statement logging off when `quiet`.
fn connect_options(url: &str, quiet: bool) -> Result<AnyConnectOptions> {
    let options: AnyConnectOptions = url
        .parse()
        .map_err(|e| StoreError::Connect(crate::config::SecretUrl::new(url).redacted(), e))?;
    Ok(if quiet {
        options.disable_statement_logging()
    } else {
        options
    })
}

/// A path as the `sqlite://` URL wants it: `%`, `?` and `#` escaped.
fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.display().to_string().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}
