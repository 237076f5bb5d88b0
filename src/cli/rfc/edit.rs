//! The `dtap rfc` commands that change an RFC: new, edit, move, link, testers.
//! Each acts as the caller's identity and says what changed.

use super::rfc_id;
use crate::app::App;
use crate::app::rfcs::{Caller, NewRfc, RfcChanges};
use crate::cli::{Cli, CliError, CliResult, outln, print_json};
use crate::domain::origin::Origin;
use crate::domain::rfc::fields::from_pairs;
use crate::domain::rfc::{Action, RfcId};

pub(super) async fn new(
    app: &App,
    cli: &Cli,
    template: &str,
    title: &str,
    department: &Option<String>,
    fields: &[(String, String)],
    follows: Option<&str>,
    json: bool,
) -> CliResult {
    let caller = Caller::new(cli.identity()?, Origin::Cli);
    let follows = follows
        .map(|f| {
            f.parse::<RfcId>()
                .map_err(|_| CliError::Usage(format!("--follows `{f}` is not an RFC id such as RFC-12")))
        })
        .transpose()?;
    let t = app.workspace().template(template);
    let fields = t.map(|t| from_pairs(t, fields, false)).unwrap_or_default();
    let rfc = app
        .file_rfc(
            &caller,
            NewRfc {
                template: template.to_string(),
                title: title.to_string(),
                department: department.clone(),
                fields,
                follows,
            },
        )
        .await?;
    if json {
        return print_json(&rfc);
    }
    outln!("{} filed as a draft: {}", rfc.id, rfc.title);
    outln!(
        "Next: `dtap rfc move {} submit` when every required answer is in.",
        rfc.id
    );
    Ok(())
}

pub(super) async fn edit(
    app: &App,
    cli: &Cli,
    id: &str,
    title: &Option<String>,
    department: &Option<String>,
    fields: &[(String, String)],
    json: bool,
) -> CliResult {
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
    if json {
        return print_json(&rfc);
    }
    outln!("{} saved (revision {})", rfc.id, rfc.revision);
    Ok(())
}

pub(super) async fn move_rfc(
    app: &App,
    cli: &Cli,
    id: &str,
    transition: &str,
    comment: Option<&str>,
    json: bool,
) -> CliResult {
    let caller = Caller::new(cli.identity()?, Origin::Cli);
    let action: Action = transition.parse().map_err(CliError::Usage)?;
    let rfc = app.move_rfc(&caller, rfc_id(id)?, action, comment).await?;
    if json {
        return print_json(&rfc);
    }
    outln!("{} is now {}", rfc.id, rfc.state.label().to_lowercase());
    Ok(())
}

pub(super) async fn link(app: &App, cli: &Cli, id: &str, package: &str, dry_run: bool) -> CliResult {
    let caller = Caller::new(cli.identity()?, Origin::Cli);
    let id = rfc_id(id)?;
    let out = app.link_package(&caller, id, package, dry_run).await?;
    match (out.already, &out.commit) {
        (true, _) => outln!("{id} is already listed in {}", out.manifest),
        (false, Some(c)) => outln!(
            "{id} linked to {package}: {} updated in commit {}",
            out.manifest,
            &c[..12]
        ),
        (false, None) => outln!("dry run: would add {id} to the rfcs of {}", out.manifest),
    }
    Ok(())
}

pub(super) async fn testers(
    app: &App,
    cli: &Cli,
    id: &str,
    environment: &str,
    add: Option<&str>,
    remove: Option<&str>,
) -> CliResult {
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
    Ok(())
}
