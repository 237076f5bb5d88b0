use super::outln;
use super::{Cli, CliResult, table};
use crate::app::App;
use crate::app::status::STATUS_FETCH_WITHIN;

/// Show which version of each package is in which environment.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap status\n  dtap status --json | jq '.packages[] | select(.cells.production == null) | .name'\n\nA `*` marks a version that differs from the environment before it. A remote config repo ([repo] url) is \
fetched first; the last line says how long ago it was fetched (after a failed fetch: the cache as last \
fetched, with a warning)."
)]
pub struct Args {
    /// Print JSON: {\"environments\": [...], \"packages\": [{\"name\", \"cells\": {env: {version, tree} | null}}],
    /// \"fetched_seconds_ago\": N | null}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    let fresh = app.fresh_status(STATUS_FETCH_WITHIN).await?;
    if args.json {
        return super::print_json(&fresh);
    }
    let m = &fresh.matrix;
    if m.packages.is_empty() {
        outln!("No packages in the config repo yet ({}).", app.repo_path().display());
        say_fetched(&app, fresh.fetched_seconds_ago);
        return Ok(());
    }
    let mut headers = vec!["PACKAGE".to_string()];
    headers.extend(m.environments.iter().map(|e| format!("{} ({})", e.name, e.label)));
    let rows: Vec<Vec<String>> = m
        .packages
        .iter()
        .map(|row| {
            let mut cells = vec![row.name.clone()];
            for (i, (_, cell)) in row.cells.iter().enumerate() {
                cells.push(match cell {
                    Some(c) if c.problem.is_some() => "invalid!".into(),
                    Some(c) => format!(
                        "{}{}",
                        c.version.as_deref().unwrap_or("?"),
                        if c.differs_from_previous { " *" } else { "" }
                    ),
                    None if m.waiting(row, i) => "waiting".into(),
                    None => "-".into(),
                });
            }
            cells
        })
        .collect();
    super::emit(&table::render(&headers, &rows));
    say_fetched(&app, fresh.fetched_seconds_ago);
    for d in &m.drift {
        eprintln!(
            "warning: drift in {}: {} hand-made commit(s) since the last dtap change; promotions into it are refused until `dtap drift ack {} --reason TEXT`",
            d.environment,
            d.commits.len(),
            d.environment
        );
    }
    if !m.problems.is_empty() {
        eprintln!();
        for p in &m.problems {
            eprintln!("warning: {} in {}: {}", p.package, p.environment, p.message);
        }
    }
    Ok(())
}

/// For a remote config repo: how old the facts shown are.
fn say_fetched(app: &App, age: Option<u64>) {
    if let (Some(age), Some(url)) = (age, &app.workspace().config.repo.url) {
        outln!("(config repo {} fetched {age} s ago)", url.redacted());
    }
}
