//! The daily digest: event mails held for people who chose it go out as
//! one mail once their day (UTC) is over. The worker's sweep runs this;
//! the held rows are claimed in the transaction that queues the digest, so
//! several `serve` instances send it once.

use minijinja::context;

use crate::app::{App, Result};
use crate::domain::stamp::Stamp;
use crate::store::notify as store;

impl App {
    /// Queues one digest for every address with mails held from before
    /// today (UTC). Returns how many digests were queued.
    pub async fn send_digests(&self) -> Result<usize> {
        let midnight = self.now_utc().replace_time(time::Time::MIDNIGHT);
        let before = Stamp::from_datetime(midnight).to_string();
        let mut sent = 0;
        for email in self.store.digests_due(&before).await? {
            let mut tx = self.store.write_tx().await?;
            let items = store::claim_digest(&mut tx, &email, &before).await?;
            if items.is_empty() {
                // Another instance sent it meanwhile.
                tx.rollback().await?;
                continue;
            }
            let items: Vec<_> = items
                .iter()
                .map(|i| context! { subject => i.subject.clone(), text => i.text_body.trim().to_string(), at => i.created_at.clone() })
                .collect();
            let ctx = context! { count => items.len(), items, url => format!("{}/", self.base_url()) };
            if let Some(mail) = self.render_all("digest", vec![email.clone()], ctx)? {
                self.queue_rendered(&mut tx, &mail).await?;
            }
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}
