//! Use cases. Web handlers and CLI commands call these and only render.

pub mod attachment_removal;
pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod caller;
pub mod check;
pub mod dbcopy;
pub mod demo;
pub mod deploy;
pub mod doctor;
pub mod drift;
pub mod emergency;
pub mod history;
pub mod index;
pub mod init;
pub mod login;
pub mod metrics;
pub mod migrate;
pub mod my_work;
pub mod notify;
pub mod outbox;
pub mod overlaps;
pub mod package_page;
pub mod promote;
pub mod publish;
pub mod ratelimit;
pub mod reconcile;
pub mod refusals;
pub mod release_notes;
pub mod remote;
pub mod report;
pub mod retire;
pub mod rfcs;
pub mod rollback;
pub mod serving;
pub mod settings;
pub mod signoff;
pub mod status;
pub mod tokens;
pub mod worker;

use std::path::Path;
use std::sync::Arc;

use crate::gitrepo::{ConfigRepo, RepoError};
use crate::mail::templates::MailTemplates;
use crate::store::{Store, StoreError};
use crate::workspace::{Workspace, WorkspaceError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Cannot be done now (the state moved on, something is in the way).
    #[error("{0}")]
    Conflict(crate::domain::Msg),
    #[error("{0} not found")]
    NotFound(String),
    /// Input that breaks a rule about its form: each problem names its field.
    #[error("{}", render_fields(.0))]
    Invalid(Vec<crate::domain::rfc::FieldError>),
    /// Refused by a rule, a guard or a permission: every reason, each with what would satisfy it.
    #[error("{}", render_refusals(.0))]
    Refused(Vec<crate::domain::rfc::Refusal>),
    #[error("internal error: {0}")]
    Internal(String),
}

fn render_fields(errors: &[crate::domain::rfc::FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_refusals(reasons: &[crate::domain::rfc::Refusal]) -> String {
    reasons.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n")
}

impl AppError {
    /// Refused for one reason.
    pub fn refused(message: crate::domain::Msg) -> AppError {
        AppError::Refused(vec![crate::domain::rfc::Refusal::new(message)])
    }

    /// Invalid for one problem with one field.
    pub fn invalid(field: &str, message: crate::domain::Msg) -> AppError {
        AppError::Invalid(vec![crate::domain::rfc::FieldError::new(field, message)])
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Store(StoreError::Sqlx(e))
    }
}

impl From<crate::random::NoRandomness> for AppError {
    fn from(e: crate::random::NoRandomness) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("background task failed: {e}"))
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// An open workspace with its state: what every use case works on.
#[derive(Clone, Debug)]
pub struct App {
    workspace: Arc<Workspace>,
    store: Store,
    repo: ConfigRepo,
    /// Read once here: nothing renders a mail from disk (DESIGN §6).
    mail_templates: Arc<MailTemplates>,
    /// Every time the app stamps or compares; the store holds the same one.
    clock: crate::clock::Clock,
    /// `[web] base_url` was left at its default: mailed links go where
    /// `dtap serve` listens (serving.rs).
    links_follow_serve: bool,
}

impl App {
    /// Opens a workspace whose state exists.
    pub async fn open(dir: &Path) -> Result<App> {
        let workspace = load_workspace(dir).await?;
        let store = Store::open(&workspace.config, &workspace.dir, false).await?;
        store.refuse_newer().await?;
        let pending = store.pending_migrations().await?;
        if !pending.is_empty() {
            store.migrate().await?;
        }
        let repo = repo_of(&workspace);
        if !remote::ensure_cache(&repo).await? {
            return Err(match repo.remote() {
                Some(r) => RepoError::NoBranch {
                    path: r.shown().to_string(),
                    branch: workspace.config.repo.branch.clone(),
                },
                None => RepoError::Missing(repo.path().display().to_string()),
            }
            .into());
        }
        App::assemble(workspace, store, repo).await
    }

    /// Opens a workspace for a command that changes something: first settles
    /// promotions a crashed process left unfinished (DESIGN §4).
    pub async fn open_for_write(dir: &Path) -> Result<App> {
        let app = App::open(dir).await?;
        for r in app.reconcile().await? {
            eprintln!("reconciled an unfinished {r}");
        }
        Ok(app)
    }

    /// Opens a workspace, creating whatever state is missing (database,
    /// config repo). Returns what was created, for the user to read.
    pub async fn open_or_create(dir: &Path, by: &str) -> Result<(App, Vec<String>)> {
        let workspace = load_workspace(dir).await?;
        let created = init::create_state(&workspace, by).await?;
        let store = Store::open(&workspace.config, &workspace.dir, false).await?;
        store.refuse_newer().await?;
        let repo = repo_of(&workspace);
        Ok((App::assemble(workspace, store, repo).await?, created))
    }

    /// The one place an `App` is put together from its parts.
    pub(crate) async fn assemble(mut workspace: Workspace, store: Store, repo: ConfigRepo) -> Result<App> {
        let links_follow_serve = serving::follow_serve(&mut workspace, &store).await;
        let dir = workspace.dir.clone();
        let texts = workspace.texts.clone();
        let mail_templates = tokio::task::spawn_blocking(move || MailTemplates::load(&dir).with_texts(texts)).await?;
        let clock = crate::clock::Clock::from_env().map_err(AppError::Internal)?;
        Ok(App {
            workspace: Arc::new(workspace),
            store: store.with_clock(clock),
            repo,
            mail_templates: Arc::new(mail_templates),
            clock,
            links_follow_serve,
        })
    }

    /// The workspace's configuration, pipeline, templates and matrix.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Closes the database pool (commands end; tests release their files).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// Now, by the app's clock.
    pub fn now(&self) -> crate::domain::stamp::Stamp {
        self.clock.now()
    }

    pub fn now_utc(&self) -> time::OffsetDateTime {
        self.clock.now_utc()
    }

    /// The secret every instance shares (CSRF tokens, signed links).
    pub async fn server_secret(&self) -> Result<Vec<u8>> {
        Ok(self.store.server_secret().await?)
    }

    /// Where the config repo (or its cache clone) lives on this machine.
    pub fn repo_path(&self) -> &Path {
        self.repo.path()
    }

    /// Is everything the app needs reachable? `Err` says what is not.
    pub async fn ready(&self) -> std::result::Result<(), String> {
        self.store.ping().await.map_err(|e| format!("database: {e}"))?;
        let pending = self
            .store
            .pending_migrations()
            .await
            .map_err(|e| format!("database: {e}"))?;
        if !pending.is_empty() {
            return Err(format!("database: migrations {pending:?} not applied yet"));
        }
        let repo = self.repo.clone();
        tokio::task::spawn_blocking(move || repo.check_readable())
            .await
            .map_err(|e| format!("repo: {e}"))?
            .map_err(|e| format!("repo: {e}"))
    }
}

async fn load_workspace(dir: &Path) -> Result<Workspace> {
    let dir = dir.to_path_buf();
    Ok(tokio::task::spawn_blocking(move || Workspace::load(&dir)).await??)
}

pub(crate) use remote::repo_of;

/// Test aid for crash consistency: `DTAP_FAILPOINT=<name>` aborts the process
/// at that point, as a power cut would. The points, in promote and rollback
/// alike: `after-intent`, `after-commit-object`, `after-dtap-commit`,
/// `after-ref-update`, `before-completion-commit`, `after-completion`; in
/// the reminder sweep `after-escalation-claim`, and in the emergency sweep
/// `after-emergency-escalation-claim` (both inside their transaction).
pub fn failpoint(name: &str) {
    if std::env::var("DTAP_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
