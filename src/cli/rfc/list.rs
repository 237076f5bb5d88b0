//! `dtap rfc list`: filter, sort and page RFCs, as a table or JSON.

use clap::Args;

use crate::app::App;
use crate::app::rfcs::Caller;
use crate::cli::{Cli, CliError, CliResult, emit, outln, print_json, table};
use crate::domain::origin::Origin;
use crate::domain::rfc::query::{RfcFilter, Sort};

// No doc comment here: clap would take it for the `list` command's about text.
#[derive(Debug, Args)]
pub struct ListArgs {
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
    /// Appointed as tester (in any environment).
    #[arg(long)]
    tester: Option<String>,
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
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Newest,
    Oldest,
    Updated,
    Title,
    State,
}

pub(super) async fn list(app: &App, cli: &Cli, args: &ListArgs) -> CliResult {
    let ListArgs {
        state,
        template,
        department,
        requester,
        package,
        tester,
        search,
        sort,
        limit,
        page,
        json,
    } = args;
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
        tester: tester.as_deref().map(crate::domain::names::normalise_email),
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
    emit(&table::render(&headers, &rows));
    if page.pages > 1 {
        outln!(
            "page {} of {} ({} RFCs); --page N for more",
            page.page,
            page.pages,
            page.total
        );
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
