//! `dtap token`: API tokens for scripts.

use super::outln;
use clap::Subcommand;

use super::{Cli, CliError, CliResult, print_json, table};
use crate::app::App;
use crate::app::caller::{Caller, Origin};

/// API tokens: `Authorization: Bearer <token>` on /api/v1.
#[derive(Debug, Subcommand)]
#[command(
    after_help = "Examples:\n  dtap token create --name ci-pipeline --scope read --scope rfc.write\n  dtap token create --name prometheus --scope metrics --expires 365d\n  dtap token list\n  dtap token revoke 3\n\nScopes: read (GET on /api/v1), rfc.write (create, edit and move RFCs), promote, metrics (/metrics); none given means read. The token is shown once; dtap keeps only its SHA-256."
)]
pub enum TokenCommand {
    /// Create a token acting as you (--user).
    Create {
        #[arg(long)]
        name: String,
        /// Lifetime such as 30d; default 90d.
        #[arg(long)]
        expires: Option<String>,
        /// What the token may do (repeatable): read, rfc.write, promote, metrics. Default: read.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// Your tokens (never their secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke one of your tokens.
    Revoke { id: i64 },
}

pub async fn run(cli: &Cli, cmd: &TokenCommand) -> CliResult {
    let user = cli.identity()?;
    let app = App::open(&cli.workspace).await?;
    match cmd {
        TokenCommand::Create { name, expires, scopes } => {
            if name.trim().is_empty() {
                return Err(CliError::Usage("--name must say what the token is for".into()));
            }
            if name.trim().chars().count() > crate::domain::limits::LINE {
                return Err(CliError::Usage(format!(
                    "--name is longer than {} characters",
                    crate::domain::limits::LINE
                )));
            }
            let expires_at = match expires {
                Some(e) => {
                    let d =
                        crate::domain::duration::parse(e).map_err(|e| CliError::Usage(format!("--expires: {e}")))?;
                    Some(crate::domain::stamp::stamp(
                        app.now_utc() + time::Duration::seconds(d.as_secs() as i64),
                    ))
                }
                None => Some(crate::domain::stamp::stamp(
                    app.now_utc() + time::Duration::days(crate::app::tokens::DEFAULT_TOKEN_DAYS),
                )),
            };
            let scopes =
                crate::domain::scope::Scopes::parse(scopes).map_err(|e| CliError::Usage(format!("--scope: {e}")))?;
            let (id, token) = app
                .create_token(&user, name.trim(), expires_at.as_deref(), &scopes)
                .await?;
            outln!(
                "Token {id} \"{}\" for {user} ({}){}:",
                name.trim(),
                scopes.shown(),
                expires_at.map(|e| format!(", valid until {e}")).unwrap_or_default()
            );
            outln!("{token}");
            eprintln!("Store it now: dtap shows it only this once.");
        }
        TokenCommand::List { json } => {
            let tokens = app.tokens(&Caller::new(user.clone(), Origin::Cli)).await?;
            if *json {
                return print_json(&tokens);
            }
            let headers: Vec<String> = ["ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "REVOKED"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let rows: Vec<Vec<String>> = tokens
                .iter()
                .map(|t| {
                    vec![
                        t.id.to_string(),
                        t.name.clone(),
                        t.created_at.day(),
                        t.expires_at.map(|s| s.to_string()).unwrap_or_else(|| "never".into()),
                        t.last_used_at.map(|s| s.to_string()).unwrap_or_default(),
                        t.revoked_at.map(|s| s.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            super::emit(&table::render(&headers, &rows));
        }
        TokenCommand::Revoke { id } => {
            if app.revoke_token(&Caller::new(user.clone(), Origin::Cli), *id).await? {
                outln!("Token {id} revoked.");
            } else {
                return Err(CliError::Failed(format!(
                    "{user} has no active token {id}: see `dtap token list`"
                )));
            }
        }
    }
    Ok(())
}
