//! `dtap rfc ...`: file, read, edit and move requests for change.

use super::outln;
use clap::Subcommand;

use super::{Cli, CliError, CliResult, print_json, table};
use crate::app::App;
use crate::app::rfcs::{Caller, NewRfc, RfcChanges};
use crate::domain::origin::Origin;
use crate::domain::rfc::fields::from_pairs;
use crate::domain::rfc::query::{RfcFilter, Sort};
use crate::domain::rfc::{Action, RfcId};

/// Requests for change.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap rfc new --template report --title \"Weekly sales button\" --field what_to_see=\"my closed deals\"\n  dtap rfc list --state submitted\n  dtap rfc move RFC-12 approve --comment \"Go\""
)]
pub enum RfcCommand {
    /// File a new RFC (a draft) from a template.
    #[command(
        after_help = "Examples:\n  dtap rfc new --template report --title \"Weekly sales button\" \\\n      --field what_to_see=\"All my closed deals of last week\" --field priority=should\n  dtap rfc new --template data-model --title \"Birthday on contact\" --json\n\nRepeat --field for each answer; repeat it with the same name for several choices of a multiselect."
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
        #[arg(long)]
        json: bool,
    },
    /// List RFCs.
    #[command(
        after_help = "Examples:\n  dtap rfc list\n  dtap rfc list --state in_test --json\n  dtap rfc list --search \"sales dashboard\" --sort updated"
    )]
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        requester: Option<String>,
        #[arg(long)]
        package: Option<String>,
        /// Full-text search over titles and answers.
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum, default_value = "newest")]
        sort: SortArg,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, default_value_t = 1)]
        page: i64,
        #[arg(long)]
        json: bool,
    },
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

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Newest,
    Oldest,
    Updated,
    Title,
    State,
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
    if !matches!(cmd, RfcCommand::List { .. } | RfcCommand::Show { .. }) {
        app.reconcile().await?;
    }
    match cmd {
        RfcCommand::New {
            template,
            title,
            department,
            fields,
            json,
        } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let t = app.workspace().template(template);
            let fields = t.map(|t| from_pairs(t, fields, false)).unwrap_or_default();
            let rfc = app
                .file_rfc(
                    &caller,
                    NewRfc {
                        template: template.clone(),
                        title: title.clone(),
                        department: department.clone(),
                        fields,
                    },
                )
                .await?;
            if *json {
                return print_json(&rfc);
            }
            outln!("{} filed as a draft: {}", rfc.id, rfc.title);
            outln!(
                "Next: `dtap rfc move {} submit` when every required answer is in.",
                rfc.id
            );
        }
        RfcCommand::List {
            state,
            template,
            department,
            requester,
            package,
            search,
            sort,
            limit,
            page,
            json,
        } => {
            let caller = Caller::new(cli.reader()?, Origin::Cli);
            if let Some(s) = state {
                s.parse::<crate::domain::rfc::State>()
                    .map_err(|e| CliError::Usage(format!("--state: {e}")))?;
            }
            let filter = RfcFilter {
                state: state.clone(),
                template: template.clone(),
                department: department.clone(),
                requester: requester.as_deref().map(crate::domain::names::normalise_email),
                package: package.clone(),
                q: search.clone(),
            };
            let sort = match sort {
                SortArg::Newest => Sort::Newest,
                SortArg::Oldest => Sort::Oldest,
                SortArg::Updated => Sort::Updated,
                SortArg::Title => Sort::Title,
                SortArg::State => Sort::State,
            };
            let page = app.rfc_list(&caller, &filter, sort, *page, (*limit).min(1000)).await?;
            if *json {
                return print_json(&page.rfcs);
            }
            if page.rfcs.is_empty() {
                outln!("No RFCs match.");
                return Ok(());
            }
            let headers: Vec<String> = ["ID", "STATE", "TITLE", "TEMPLATE", "REQUESTER", "PACKAGE"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows: Vec<Vec<String>> = page
                .rfcs
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.state.clone(),
                        truncate(&r.title, 50),
                        r.template.clone(),
                        r.requester.clone(),
                        r.package.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            super::emit(&table::render(&headers, &rows));
            if page.pages > 1 {
                outln!(
                    "page {} of {} ({} RFCs); --page N for more",
                    page.page,
                    page.pages,
                    page.total
                );
            }
        }
        RfcCommand::Show { id, json } => {
            let caller = Caller::new(cli.reader()?, Origin::Cli);
            let view = app.rfc_view(&caller, rfc_id(id)?).await?;
            if *json {
                return print_json(&view);
            }
            print_view(&app, &view);
        }
        RfcCommand::Edit {
            id,
            title,
            department,
            fields,
            json,
        } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let id = rfc_id(id)?;
            let current = app.rfc(&caller, id).await?;
            let t = app.workspace().template(&current.template);
            let fields = t.map(|t| from_pairs(t, fields, false)).unwrap_or_default();
            let rfc = app
                .edit_rfc(
                    &caller,
                    id,
                    RfcChanges {
                        title: title.clone(),
                        department: department.clone(),
                        fields,
                    },
                )
                .await?;
            if *json {
                return print_json(&rfc);
            }
            outln!("{} saved (revision {})", rfc.id, rfc.revision);
        }
        RfcCommand::Move {
            id,
            transition,
            comment,
            json,
        } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let action: Action = transition.parse().map_err(CliError::Usage)?;
            let rfc = app.move_rfc(&caller, rfc_id(id)?, action, comment.as_deref()).await?;
            if *json {
                return print_json(&rfc);
            }
            outln!("{} is now {}", rfc.id, rfc.state.label().to_lowercase());
        }
        RfcCommand::Link { id, package, dry_run } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let id = rfc_id(id)?;
            let out = app.link_package(&caller, id, package, *dry_run).await?;
            match (out.already, &out.commit) {
                (true, _) => outln!("{id} is already listed in {}", out.manifest),
                (false, Some(c)) => outln!(
                    "{id} linked to {package}: {} updated in commit {}",
                    out.manifest,
                    &c[..12]
                ),
                (false, None) => outln!("dry run: would add {id} to the rfcs of {}", out.manifest),
            }
        }
        RfcCommand::Testers {
            id,
            environment,
            add,
            remove,
        } => {
            let caller = Caller::new(cli.identity()?, Origin::Cli);
            let id = rfc_id(id)?;
            let (email, adding) = match (add, remove) {
                (Some(a), _) => (a, true),
                (None, Some(r)) => (r, false),
                (None, None) => return Err(CliError::Usage("pass --add EMAIL or --remove EMAIL".into())),
            };
            let changed = app.set_tester(&caller, id, environment, email, adding).await?;
            match (adding, changed) {
                (true, true) => outln!("{email} appointed as tester of {id} in {environment}"),
                (true, false) => outln!("{email} was already a tester of {id} in {environment}"),
                (false, true) => outln!("{email} is no longer a tester of {id} in {environment}"),
                (false, false) => outln!("{email} was not a tester of {id} in {environment}"),
            }
        }
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn print_view(app: &App, v: &crate::app::rfcs::RfcView) {
    let r = &v.rfc;
    outln!("{}  {}", r.id, r.title);
    outln!("state:      {} ({})", r.state.label(), r.state);
    outln!("template:   {} ({})", v.template_title, r.template);
    outln!("requester:  {}", r.requester);
    if !r.department.is_empty() {
        outln!("department: {}", r.department);
    }
    if let Some(p) = &r.package {
        let cells: Vec<String> = v
            .pipeline
            .iter()
            .map(|(env, c)| {
                format!(
                    "{env} {}",
                    c.as_ref().and_then(|c| c.version.clone()).unwrap_or_else(|| "-".into())
                )
            })
            .collect();
        outln!("package:    {p} ({})", cells.join(", "));
    }
    outln!();
    let template = app.workspace().template(&r.template);
    for (id, label, _) in crate::domain::rfc::fields::CORE {
        if let Some(t) = r.field_text(id) {
            outln!("{label}: {t}");
        }
    }
    if let Some(t) = template {
        for f in &t.fields {
            if let Some(value) = r.field_text(&f.id) {
                outln!("{}: {value}", f.label);
            }
        }
    }
    if !v.testers.is_empty() {
        outln!("\nTesters:");
        for t in &v.testers {
            outln!("  {:<12} {}", t.environment, t.email);
        }
    }
    if !v.test_cases.is_empty() {
        outln!("\nTest plan:");
        for c in &v.test_cases {
            outln!("  [{}] {} ({})", c.environment, c.title, c.kind);
        }
    }
    outln!("\nTimeline:");
    for e in &v.timeline {
        let states = match (&e.from_state, &e.to_state) {
            (Some(f), Some(t)) => format!(" {f} → {t}"),
            (None, Some(t)) => format!(" → {t}"),
            _ => String::new(),
        };
        let detail = if e.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", e.detail)
        };
        outln!(
            "  {}  {:<22} {}{states}{detail}",
            &e.at[..e.at.len().min(19)],
            e.actor,
            e.kind
        );
    }
}
