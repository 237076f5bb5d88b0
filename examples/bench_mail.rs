#![allow(clippy::disallowed_macros)] // a benchmark, not a dtap command
//! Benchmark P4 (scripts/bench-mail): 1,000 invitations delivered to a local
//! SMTP server through dtap's outbox (`App::deliver_outbox`), pooled
//! connections vs one connection per mail, in the same run.

use std::time::Instant;

use dtap::app::App;
use dtap::config::Config;
use dtap::domain::mail::NewMail;
use dtap::mail::Mailer;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let smtp = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "smtp://127.0.0.1:2526".into());
    let n: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir()?;
    dtap::app::init::init_workspace(dir.path(), "bench@example.org", dtap::app::init::ExistingRepo::Refuse).await?;
    let app = App::open(dir.path()).await?;
    // The benchmark fills the outbox directly: queueing is not what it measures.
    let store = dtap::store::Store::open(&app.workspace().config, &app.workspace().dir, false).await?;
    // The workspace writes mail to files; the mailers under test speak SMTP.
    let config = Config::parse(
        &format!("[mail]\ntransport = \"smtp\"\nsmtp_url = \"{smtp}\"\n"),
        Vec::<(String, String)>::new(),
    )
    .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let pooled = Mailer::from_config(&config, dir.path())?;
    let single = pooled.unpooled(&config)?;
    for (name, mailer) in [("pooled", &pooled), ("one connection per mail", &single)] {
        for i in 0..n {
            let mail = NewMail {
                kind: "invitation".into(),
                recipients: vec![format!("tester{}@example.org", i % 50)],
                subject: format!("Please test RFC-{i} in Acceptatie"),
                text: "Hello,\n\nYou are appointed to test this change.\n".repeat(5),
                html: "<p>Hello,</p><p>You are appointed to test this change.</p>".repeat(5),
            };
            store.enqueue_mail(&mail, "example.org").await?;
        }
        let start = Instant::now();
        let mut sent = 0;
        while sent < n {
            let r = app.deliver_outbox(mailer, 50).await?;
            if r.sent == 0 {
                anyhow::bail!("nothing was delivered: is the SMTP server at {smtp} running? ({r:?})");
            }
            sent += r.sent;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "RESULT transport={name:?} mails={n} seconds={secs:.2} mails_per_second={:.0}",
            n as f64 / secs
        );
    }
    Ok(())
}
