//! `dtap rfc ...`: file, read, edit and move requests for change. This module
//! holds the commands as clap sees them and hands each to its group: reading
//! (list.rs, show.rs) or changing (edit.rs).

mod edit;
mod list;
mod show;

use clap::Subcommand;

use super::{Cli, CliError, CliResult};
use crate::app::App;
use crate::domain::rfc::RfcId;

pub use list::ListArgs;

/// Requests for change.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap rfc new --template report --title \"Weekly sales button\" --field what_to_see=\"my closed deals\"\n  dtap rfc list --state submitted\n  dtap rfc move RFC-12 approve --comment \"Go\""
)]
pub enum RfcCommand {
    /// File a new RFC (a draft) from a template.
    #[command(
        after_help = "Examples:\n  dtap rfc new --template report --title \"Weekly sales button\" \\\n      --field what_to_see=\"All my closed deals of last week\" --field priority=should\n  dtap rfc new --template data-model --title \"Birthday on contact\" --json\n  dtap rfc new --template report --title \"Sales button, per region\" --follows RFC-12\n\nRepeat --field for each answer; repeat it with the same name for several choices of a multiselect."
    )]
    New {
        /// Template id (see rfc-templates/).
        #[arg(long)]
        template: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        department: Option<String>,
        /// An answer, `key=value`; core fields: priority, impact_organisation, impact_department, impact_individual, risk.
        #[arg(long = "field", value_name = "KEY=VALUE", value_parser = parse_pair)]
        fields: Vec<(String, String)>,
        /// A follow-up of a released (or closed) RFC, e.g. RFC-12: new work
        /// on something already in production gets its own RFC.
        #[arg(long, value_name = "RFC-n")]
        follows: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List RFCs.
    #[command(
        after_help = "Examples:\n  dtap rfc list\n  dtap rfc list --state in_test --json\n  dtap rfc list --search \"sales dashboard\" --sort updated"
    )]
    List(ListArgs),
    /// Show one RFC with its test plan, testers and timeline.
    #[command(after_help = "Examples:\n  dtap rfc show RFC-12\n  dtap rfc show 12 --json")]
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Change answers of an RFC.
    #[command(
        after_help = "Examples:\n  dtap rfc edit RFC-12 --field risk=low --field impact_department=\"Sales saves an hour a week\"\n  dtap rfc edit RFC-12 --title \"Weekly sales button on the dashboard\"\n\nAn empty value clears a field: --field notes="
    )]
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long = "field", value_name = "KEY=VALUE", value_parser = parse_pair)]
        fields: Vec<(String, String)>,
        #[arg(long)]
        json: bool,
    },
    /// Move an RFC: submit, approve, reject, start, hold, resume, withdraw, close.
    #[command(
        name = "move",
        after_help = "Examples:\n  dtap rfc move RFC-12 submit\n  dtap rfc move RFC-12 reject --comment \"Already possible with the standard report\"\n\nreject, hold and withdraw need a --comment saying why. Refusals exit 3."
    )]
    Move {
        id: String,
        transition: String,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Link an RFC to a package: adds it to the package's manifest in develop, with a commit.
    #[command(
        after_help = "Examples:\n  dtap rfc link RFC-12 --package sales-dashboard\n  dtap rfc link RFC-12 --package sales-dashboard --dry-run"
    )]
    Link {
        id: String,
        #[arg(long)]
        package: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Appoint or remove a tester for an environment.
    #[command(
        after_help = "Examples:\n  dtap rfc testers RFC-12 --env acceptance --add key.user@example.org\n  dtap rfc testers RFC-12 --env test --remove old.tester@example.org"
    )]
    Testers {
        id: String,
        #[arg(long = "env")]
        environment: String,
        #[arg(long, conflicts_with = "remove", required_unless_present = "remove")]
        add: Option<String>,
        #[arg(long)]
        remove: Option<String>,
    },
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

fn rfc_id(s: &str) -> Result<RfcId, CliError> {
    s.parse().map_err(CliError::Usage)
}

pub async fn run(cli: &Cli, cmd: &RfcCommand) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    // Writes first settle what a crashed process left unfinished; reads change nothing.
    if !matches!(cmd, RfcCommand::List(_) | RfcCommand::Show { .. }) {
        app.reconcile().await?;
    }
    match cmd {
        RfcCommand::New {
            template,
            title,
            department,
            fields,
            follows,
            json,
        } => {
            edit::new(
                &app,
                cli,
                template,
                title,
                department,
                fields,
                follows.as_deref(),
                *json,
            )
            .await
        }
        RfcCommand::List(args) => list::list(&app, cli, args).await,
        RfcCommand::Show { id, json } => show::show(&app, cli, id, *json).await,
        RfcCommand::Edit {
            id,
            title,
            department,
            fields,
            json,
        } => edit::edit(&app, cli, id, title, department, fields, *json).await,
        RfcCommand::Move {
            id,
            transition,
            comment,
            json,
        } => edit::move_rfc(&app, cli, id, transition, comment.as_deref(), *json).await,
        RfcCommand::Link { id, package, dry_run } => edit::link(&app, cli, id, package, *dry_run).await,
        RfcCommand::Testers {
            id,
            environment,
            add,
            remove,
        } => edit::testers(&app, cli, id, environment, add.as_deref(), remove.as_deref()).await,
    }
}
