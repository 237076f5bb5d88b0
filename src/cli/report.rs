//! `dtap report`: the KPIs of the reports page, for humans, scripts and spreadsheets.

use super::{Cli, CliError, CliResult, print_json, table};
use crate::app::App;
use crate::domain::report::{self, Filter, Table};

/// Reports and KPIs: lead time, throughput, rejections, sign-off waits, promotions.
#[derive(Debug, clap::Args)]
#[command(after_help = "Reports:
  lead-time      days from submitted to released: median and 85th percentile per month of release
  states         RFCs per state
  departments    RFCs per department, and how many are still open
  throughput     RFCs submitted and released per month
  rejections     tester verdicts and the rejection rate per environment
  signoff-wait   hours from a tester's invitation to their verdict, per environment
  promotions     promotions and rollbacks per environment per month
  emergencies    emergency changes per month, and their reviews afterwards

Dates are UTC; months are YYYY-MM. The median of an even count is the mean of the middle two;
the 85th percentile is the nearest rank. --department and --template narrow the RFC-based reports
(not promotions and emergencies, which are per package).

Examples:
  dtap report lead-time --since 2026-01-01
  dtap report rejections --json
  dtap report throughput --department Sales --csv > throughput.csv")]
pub struct ReportArgs {
    /// The report; without one, the list of reports.
    pub name: Option<String>,
    /// Count from this date (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// Count up to and including this date (YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    /// Only RFCs of this department.
    #[arg(long)]
    pub department: Option<String>,
    /// Only RFCs from this template, e.g. report.
    #[arg(long)]
    pub template: Option<String>,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV for spreadsheets (RFC 4180; formula-like cells neutralised).
    #[arg(long)]
    pub csv: bool,
}

pub async fn run(cli: &Cli, args: &ReportArgs) -> CliResult {
    let Some(name) = &args.name else {
        super::emit(&format!("{}\n", report::NAMES.join("\n")));
        return Ok(());
    };
    if !report::NAMES.contains(&name.as_str()) {
        return Err(CliError::Usage(format!(
            "there is no report `{name}`: choose one of {}",
            report::NAMES.join(", ")
        )));
    }
    let filter = Filter {
        since: args.since.clone(),
        until: args.until.clone(),
        department: args.department.clone(),
        template: args.template.clone(),
    };
    filter.validate().map_err(|(_, m)| CliError::Usage(m.to_string()))?;
    let app = App::open(&cli.workspace).await?;
    let t = app.report(&crate::app::caller::Caller::local(), name, &filter).await?;
    if args.json {
        return print_json(&to_json(&t, &filter));
    }
    if args.csv {
        super::emit(&report::to_csv(&t));
        return Ok(());
    }
    let headers: Vec<String> = t.columns.iter().map(|c| c.to_uppercase()).collect();
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.plain())
                .map(|s| if s.is_empty() { "-".into() } else { s })
                .collect()
        })
        .collect();
    if rows.is_empty() {
        super::emit("no figures for this period and filter\n");
    } else {
        super::emit(&table::render(&headers, &rows));
    }
    Ok(())
}

/// `{report, filter, columns, rows: [{column: value}]}`.
pub fn to_json(t: &Table, filter: &Filter) -> serde_json::Value {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = t
        .rows
        .iter()
        .map(|r| {
            t.columns
                .iter()
                .zip(r)
                .map(|(c, v)| (c.clone(), serde_json::to_value(v).unwrap_or_default()))
                .collect()
        })
        .collect();
    serde_json::json!({ "report": t.name, "filter": filter, "columns": t.columns, "rows": rows })
}
