use std::net::SocketAddr;

use super::{Cli, CliError, CliResult};
use crate::app::App;
use crate::app::serving::LinkBase;

/// Run the web app, the JSON API and the mail worker.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  dtap serve                        serve on [web] bind (default 127.0.0.1:8080)\n  dtap serve --bind 127.0.0.1:0     any free port; the URL is printed\n  DTAP_WEB_BIND=0.0.0.0:8080 dtap serve\n\nWith [web] base_url at its default, mailed links (also those a promotion on the command line mails while \
this server runs) point at the address it listens on; a base_url set by hand is kept, with a warning when --bind \
names another port.\nA workspace without state gets its database and config repo created first."
)]
pub struct Args {
    /// Address to listen on, overriding [web] bind.
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
}

pub async fn run(cli: &Cli, args: &Args) -> CliResult {
    let by = cli
        .identity()
        .map(String::from)
        .unwrap_or_else(|_| "unknown@localhost.invalid".into());
    let (app, created) = App::open_or_create(&cli.workspace, &by).await?;
    for c in &created {
        super::emit(&format!("Created {c}\n"));
    }
    for r in app.reconcile().await? {
        super::emit(&format!("Reconciled an unfinished {r}\n"));
    }
    let bind: SocketAddr = args.bind.unwrap_or(app.workspace().config.web.bind);
    // Refused before listening, so no URL is ever printed for it.
    if app.workspace().config.web.dev_user.is_some() && !bind.ip().is_loopback() {
        return Err(CliError::Refused(
            crate::web::LaunchError::DevUserNotLoopback(bind).to_string(),
        ));
    }
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        CliError::Failed(format!(
            "cannot listen on {bind}: {e}. Is another dtap running? Try --bind 127.0.0.1:0"
        ))
    })?;
    let addr = listener.local_addr().map_err(|e| CliError::Failed(e.to_string()))?;
    super::emit(&format!(
        "dtap is serving workspace {} at http://{addr}/ (Ctrl-C stops)\n",
        app.workspace().dir.display()
    ));
    tracing::info!(%addr, "listening");
    let (app, links) = app.serve_at(addr, args.bind.is_some()).await?;
    say_where_links_go(&links);
    let mailer = crate::mail::Mailer::from_config(&app.workspace().config, &app.workspace().dir)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    // The outbox worker runs beside the web app and stops with it.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(crate::app::worker::run(app.clone(), mailer, stopped.clone()));
    // So does the deployment runner (DESIGN §14).
    let deployer = tokio::spawn(crate::app::deploy::run(app.clone(), stopped.clone()));
    // And, with [deploy] live_drift_every, the live drift check.
    let live = app.workspace().config.deploy.live_drift_every.map(|every| {
        let every = every.max(std::time::Duration::from_secs(1));
        tokio::spawn(crate::app::drift::live::run(app.clone(), every, stopped))
    });
    let stopping = app.clone();
    let result = crate::web::launch(app, listener, shutdown_signal()).await;
    let _ = stop.send(true);
    let _ = worker.await;
    let _ = deployer.await;
    if let Some(live) = live {
        let _ = live.await;
    }
    if let Err(e) = stopping.stop_serving().await {
        tracing::warn!(error = %e, "cannot clear the address of this server from the database");
    }
    result.map_err(|e| CliError::Failed(e.to_string()))?;
    tracing::info!("dtap stopped");
    Ok(())
}

fn say_where_links_go(links: &LinkBase) {
    match links {
        LinkBase::Bound { url, unspecified } => {
            super::emit(&format!(
                "Mailed links point at {url}/ ([web] base_url is the default; `dtap config set web.base_url URL` names another address)\n"
            ));
            if *unspecified {
                eprintln!(
                    "warning: dtap listens on every address, but mailed links name this machine as {url}: for other machines, `dtap config set web.base_url http://HOST:PORT`"
                );
            }
        }
        LinkBase::Configured { base_url } => {
            super::emit(&format!("Mailed links point at {base_url} ([web] base_url)\n"));
        }
        LinkBase::Mismatch { base_url, port } => {
            super::emit(&format!("Mailed links point at {base_url} ([web] base_url)\n"));
            eprintln!(
                "warning: mailed links point at {base_url} ([web] base_url, port {port}), not at the port --bind asked for; \
             right behind a proxy, else `dtap config set web.base_url` to this server's address"
            );
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
