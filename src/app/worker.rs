//! The background work of `serve`: delivering the outbox, reminding testers.

use std::time::Duration;

use super::App;
use crate::mail::Mailer;

/// `host:pid`: who holds a mail claim or a promotion lease. Read once per
/// process, so async code never touches the file system for it.
pub fn worker_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        format!("{host}:{}", std::process::id())
    })
    .clone()
}

/// Runs until `stop` changes: new outbox rows go out within a few seconds,
/// whoever wrote them (this process, another instance, or the CLI).
pub async fn run(app: App, mailer: Mailer, mut stop: tokio::sync::watch::Receiver<bool>) {
    let worker = worker_id();
    let mut rounds: u64 = 0;
    loop {
        match mailer.flush(&app.store, &worker, 50).await {
            Ok(r) if r.sent + r.retried + r.dead > 0 => {
                tracing::info!(sent = r.sent, retried = r.retried, dead = r.dead, "mail delivered")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "mail worker"),
        }
        // Reminders need no second-by-second precision.
        if rounds.is_multiple_of(30) {
            match app.remind().await {
                Ok((r, e)) if r + e > 0 => tracing::info!(reminded = r, escalated = e, "sign-off reminders"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "sign-off reminders"),
            }
            if let Err(e) = app.escalate_emergencies().await {
                tracing::error!(error = %e, "emergency reviews");
            }
        }
        rounds += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
    }
}
