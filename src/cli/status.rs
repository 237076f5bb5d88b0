use super::outln;
use super::{Cli, CliResult, table};
use crate::app::App;

/// Show which version of each package is in which environment.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap status\n  dtap status --json | jq '.packages[] | select(.cells.production == null) | .name'\n\nA `*` marks a version that differs from the environment before it."
)]
pub struct Args {
    /// Print JSON: {\"environments\": [...], \"packages\": [{\"name\", \"cells\": {env: {version, tree} | null}}]}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let app = App::open(&cli.workspace).await?;
    let m = app.status().await?;
    if args.json {
        return super::print_json(&m);
    }
    if m.packages.is_empty() {
        outln!("No packages in the config repo yet ({}).", app.repo_path().display());
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
