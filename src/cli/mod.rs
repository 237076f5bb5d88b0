//! The command line: parse, call a use case, render. Exit codes: 0 success,
//! 1 error, 2 usage, 3 refused by a rule, a gate or a permission.

mod access;
mod audit;
mod check;
mod config;
mod db;
mod demo;
mod deploy;
mod doctor;
mod drift;
mod drift_live;
mod emergency;
mod history;
mod init;
mod mail;
mod migrate;
mod progress;
mod promote;
mod report;
mod retire;
mod rfc;
mod serve;
mod status;
mod table;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::AppError;
use crate::domain::Email;

#[derive(Debug, Parser)]
#[command(
    name = "dtap",
    version,
    about = "DTAP (OTAP) release and change-request tool for teams that run a CRM",
    long_about = "dtap tracks requests for change (RFCs) from request to test sign-off and promotes CRM \
configuration packages through Develop, Test, Acceptance and Production, kept in a git config repo.",
    after_help = "Examples:\n  dtap init my-crm            create a workspace with the default pipeline\n  dtap -w my-crm serve        run the web app on the workspace's defaults\n  dtap status --json          which version of each package is where\n  dtap check                  validate dtap.toml, environments, templates and access.yaml"
)]
pub struct Cli {
    /// The workspace folder (holds dtap.toml).
    #[arg(
        short = 'w',
        long,
        global = true,
        env = "DTAP_WORKSPACE",
        default_value = ".",
        value_name = "DIR"
    )]
    pub workspace: PathBuf,

    /// Who you are, for commands that change something. Defaults to git's user.email.
    #[arg(long, global = true, env = "DTAP_USER", value_name = "EMAIL")]
    pub user: Option<String>,

    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::Args),
    Check(check::Args),
    #[command(subcommand)]
    Config(config::ConfigCommand),
    Status(status::Args),
    Serve(serve::Args),
    Migrate(migrate::Args),
    #[command(subcommand)]
    Db(db::DbCommand),
    Demo(demo::Args),
    Doctor(doctor::Args),
    Promote(promote::PromoteArgs),
    Rollback(promote::RollbackArgs),
    Retire(retire::RetireArgs),
    #[command(subcommand)]
    Deploy(deploy::DeployCommand),
    History(history::HistoryArgs),
    Diff(history::DiffArgs),
    #[command(subcommand)]
    Drift(drift::DriftCommand),
    ReleaseNotes(history::ReleaseNotesArgs),
    #[command(subcommand)]
    Mail(mail::MailCommand),
    Audit(audit::AuditArgs),
    #[command(subcommand)]
    Access(access::AccessCommand),
    #[command(subcommand)]
    Token(token::TokenCommand),
    #[command(subcommand)]
    Emergency(emergency::EmergencyCommand),
    #[command(subcommand)]
    Rfc(rfc::RfcCommand),
    Report(report::ReportArgs),
}

/// What went wrong, and which exit code it means.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{0}")]
    Failed(String),
    /// Already reported to the user; only the exit code is left.
    #[error("")]
    Silent(u8),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Refused(_) => 3,
            CliError::Silent(code) => *code,
            CliError::App(AppError::Refused(_)) => 3,
            CliError::App(_) | CliError::Failed(_) => 1,
        }
    }
}

pub type CliResult = Result<(), CliError>;

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    // A server's stderr is a log, even on a terminal: no bars there.
    if !matches!(cli.command, Command::Serve(_))
        && let Some(watcher) = progress::transfer_bar()
    {
        crate::app::remote::watch_transfers(watcher);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let CliError::App(AppError::Refused(reasons)) = &e {
                runtime.block_on(audit_refusal(&cli, reasons));
            }
            let text = e.to_string();
            if !text.is_empty() {
                eprintln!("error: {text}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// A command refused by a rule is audited (outcome `refused`), as whoever
/// ran it; without an identity or a database there is nobody to record.
async fn audit_refusal(cli: &Cli, reasons: &[crate::domain::rfc::Refusal]) {
    let Ok(actor) = cli.identity() else { return };
    let Ok(app) = crate::app::App::open(&cli.workspace).await else {
        return;
    };
    let command: String = format!("{:?}", cli.command)
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let object: String = args.join(" ").chars().take(200).collect();
    let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
    let recorded = app
        .record_refusal(
            actor.as_str(),
            crate::domain::origin::Origin::Cli,
            &format!("cli {command}"),
            &object,
            &reasons,
        )
        .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "recording the refusal in the audit trail");
    }
}

async fn dispatch(cli: &Cli) -> CliResult {
    match &cli.command {
        Command::Init(args) => init::run(cli, args).await,
        Command::Check(args) => check::run(cli, args).await,
        Command::Config(cmd) => config::run(cli, cmd).await,
        Command::Status(args) => status::run(cli, args).await,
        Command::Serve(args) => serve::run(cli, args).await,
        Command::Migrate(args) => migrate::run(cli, args).await,
        Command::Db(command) => db::run(cli, command).await,
        Command::Demo(args) => demo::run(cli, args).await,
        Command::Doctor(args) => doctor::run(cli, args).await,
        Command::Promote(args) => promote::promote(cli, args).await,
        Command::Rollback(args) => promote::rollback(cli, args).await,
        Command::Retire(args) => retire::retire(cli, args).await,
        Command::Deploy(cmd) => deploy::run(cli, cmd).await,
        Command::History(args) => history::history(cli, args).await,
        Command::Diff(args) => history::diff(cli, args).await,
        Command::Drift(cmd) => drift::drift(cli, cmd).await,
        Command::ReleaseNotes(args) => history::release_notes(cli, args).await,
        Command::Mail(cmd) => mail::run(cli, cmd).await,
        Command::Audit(args) => audit::run(cli, args).await,
        Command::Access(cmd) => access::run(cli, cmd).await,
        Command::Token(cmd) => token::run(cli, cmd).await,
        Command::Emergency(cmd) => emergency::run(cli, cmd).await,
        Command::Rfc(cmd) => rfc::run(cli, cmd).await,
        Command::Report(args) => report::run(cli, args).await,
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match cli.command {
        Command::Serve(_) => "info,sqlx=warn",
        _ => "warn",
    };
    let filter = EnvFilter::try_from_env("DTAP_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cli.log_format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

impl Cli {
    /// The acting user: `--user`, `DTAP_USER`, or git's user.email.
    pub fn identity(&self) -> Result<Email, CliError> {
        if let Some(u) = &self.user {
            return check_email(u);
        }
        let from_git = git2::Config::open_default()
            .ok()
            .and_then(|c| c.get_string("user.email").ok());
        match from_git {
            Some(u) => check_email(&u),
            None => Err(CliError::Usage(
                "this command needs to know who you are: pass --user EMAIL, set DTAP_USER, or set git's user.email"
                    .into(),
            )),
        }
    }

    /// Who reads (`rfc list`, `rfc show`): `--user` when given, else nobody in
    /// particular, since reading on the command line needs no identity.
    pub fn reader(&self) -> Result<Email, CliError> {
        match &self.user {
            Some(u) => check_email(u),
            None => Ok(Email::nobody()),
        }
    }
}

fn check_email(u: &str) -> Result<Email, CliError> {
    Email::parse(u).map_err(|e| CliError::Usage(format!("{e}: pass --user EMAIL")))
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Failed(format!("cannot write JSON: {e}")))?;
    emit(&format!("{text}\n"));
    Ok(())
}

/// Whether stdout's reader went away (`dtap promote ... | head -1`).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes to stdout. A reader that went away is no error, as with git: the
/// rest of the output is dropped, the command runs to its end and exits as it
/// would have (a promotion that printed its plan still commits, a refusal
/// still exits 3). Every command writes through here (`outln!`), never
/// through `println!`, which panics on a closed pipe.
pub(crate) fn emit(text: &str) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            // A full disk or a revoked terminal: say so once, then carry on.
            eprintln!("warning: cannot write the output: {e}");
        }
    }
}

/// `println!` for commands: see `emit`.
macro_rules! outln {
    () => {
        $crate::cli::emit("\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::emit(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;
