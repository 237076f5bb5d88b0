//! `dtap access`: the authorization matrix ("autorisatiematrix").

use super::outln;
use clap::Subcommand;

use super::{Cli, CliError, CliResult, print_json, table};
use crate::workspace::Workspace;

/// Who may do what, from access.yaml.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap access show\n  dtap access show --json\n  dtap access check rm@example.org promote.production     exit 0 if allowed, 3 if not"
)]
pub enum AccessCommand {
    /// Print the matrix: roles × permissions, users × roles.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// May USER do PERMISSION? Exit 0 yes, 3 no.
    Check { user: String, permission: String },
}

pub async fn run(cli: &Cli, cmd: &AccessCommand) -> CliResult {
    let ws = Workspace::load(&cli.workspace).map_err(|e| CliError::App(e.into()))?;
    let m = &ws.access;
    match cmd {
        AccessCommand::Show { json } => {
            if *json {
                return print_json(m);
            }
            let envs: Vec<&str> = ws.pipeline.names().collect();
            let perms = crate::domain::access::concrete_permissions(&envs);
            let mut headers = vec!["PERMISSION".to_string()];
            headers.extend(m.roles.keys().cloned());
            let rows: Vec<Vec<String>> = perms
                .iter()
                .map(|p| {
                    let mut row = vec![p.clone()];
                    row.extend(m.roles.values().map(|grants| {
                        if grants.iter().any(|g| crate::domain::access::pattern_matches(g, p)) {
                            "x".into()
                        } else {
                            String::new()
                        }
                    }));
                    row
                })
                .collect();
            super::emit(&table::render(&headers, &rows));
            outln!();
            let headers = vec!["USER".to_string(), "ROLES".to_string()];
            let rows: Vec<Vec<String>> = m.users.iter().map(|(u, r)| vec![u.to_string(), r.join(", ")]).collect();
            super::emit(&table::render(&headers, &rows));
        }
        AccessCommand::Check { user, permission } => {
            let envs: Vec<&str> = ws.pipeline.names().collect();
            if let Err(e) = crate::domain::access::validate_permission(permission, &envs) {
                return Err(CliError::Usage(e));
            }
            if m.can(user, permission) {
                outln!("yes: {user} may {permission} (roles: {})", m.roles_of(user).join(", "));
            } else {
                let granting: Vec<&str> = m
                    .roles
                    .iter()
                    .filter(|(_, g)| g.iter().any(|p| crate::domain::access::pattern_matches(p, permission)))
                    .map(|(r, _)| r.as_str())
                    .collect();
                outln!(
                    "no: {user} may not {permission}; roles that may: {}",
                    if granting.is_empty() {
                        "none".to_string()
                    } else {
                        granting.join(", ")
                    }
                );
                return Err(CliError::Silent(3));
            }
        }
    }
    Ok(())
}
