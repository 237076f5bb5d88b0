//! Reminders and escalations of open sign-off links. Each claim (a link's
//! `reminded_at` or `escalated_at`) is written in the same transaction as
//! the mail it stands for, so a crash loses both or neither (DESIGN §6);
//! the mail is rendered before that transaction opens.

use minijinja::context;
use minijinja::value::Serde;

use super::renew::RoundMail;
use crate::app::{App, Result, failpoint};
use crate::domain::stamp::Stamp;
use crate::store::signoff as links;

impl App {
    /// Reminds testers who have not answered after `[signoff] remind_after`
    /// (with a fresh link; the old one stops working) and tells the release
    /// managers after `escalate_after`. Returns (reminded, escalated).
    pub async fn remind(&self) -> Result<(usize, usize)> {
        let cfg = &self.workspace.config.signoff;
        let (remind_after, escalate_after) = (cfg.remind_after, cfg.escalate_after);
        let (mut reminded, mut escalated) = (0, 0);
        let links = self.store.open_links().await?;
        // The RFCs of every open link in one query, not one per link.
        let numbers: Vec<i64> = links.iter().map(|l| l.rfc_id).collect();
        let rfcs: std::collections::HashMap<i64, crate::domain::rfc::Rfc> = self
            .store
            .rfcs_by_number(&numbers)
            .await?
            .into_iter()
            .map(|r| (r.id.0, r))
            .collect();
        for link in links {
            let (created, invited, expires) = (link.created_at, link.invited_at, link.expires_at);
            if expires <= self.now() {
                continue;
            }
            let Some(rfc) = rfcs.get(&link.rfc_id) else {
                continue;
            };
            let mut link = link.clone();
            if link.escalated_at.is_none()
                && self.now() - invited >= time::Duration::seconds(escalate_after.as_secs() as i64)
            {
                let next = self
                    .workspace
                    .pipeline
                    .next(&link.environment)
                    .map(|e| e.name.clone())
                    .unwrap_or_default();
                let managers: Vec<String> = self
                    .workspace
                    .access
                    .users
                    .keys()
                    .filter(|u| self.workspace.access.can(u, &format!("promote.{next}")))
                    .map(|u| u.to_string())
                    .collect();
                let ctx = context! {
                    rfc => Serde(&rfc), tester => link.tester.clone(), invited => invited.day(),
                    environment_label => self.env_label(&link.environment), package => link.package.clone(),
                    version => link.version.clone(), rfc_url => format!("{}/rfcs/{}", self.base_url(), rfc.id),
                };
                let mail = self.render_mail("escalation", managers, ctx)?;
                let mut tx = self.store.write_tx().await?;
                if links::claim_escalation(&mut tx, link.id).await? {
                    failpoint("after-escalation-claim");
                    self.enqueue(&mut tx, mail.as_ref()).await?;
                    tx.commit().await?;
                    escalated += 1;
                } else {
                    // Another instance escalated it meanwhile (or it was answered).
                    tx.rollback().await?;
                }
                // Either way it is escalated now: a reminder's new link must
                // carry that, or the next sweep would escalate it again.
                link.escalated_at = Some(self.now());
            }
            if link.reminded_at.is_none()
                && self.now() - created >= time::Duration::seconds(remind_after.as_secs() as i64)
            {
                // A link outside any round (older than rounds) is not renewed.
                let Some(round) = self.round_of(&link).await? else {
                    continue;
                };
                let packages = round.carriers();
                let round = RoundMail {
                    id: round.id,
                    packages: &packages,
                    reason: "reminder",
                };
                let cases: Vec<(String, String, String)> = self
                    .store
                    .rfc_test_cases(rfc.id)
                    .await?
                    .into_iter()
                    .filter(|c| c.environment == link.environment)
                    .map(|c| (c.title, c.steps, c.expected))
                    .collect();
                let prepared = self.prepare_link(
                    rfc,
                    &link.environment,
                    &link.tester,
                    &round,
                    expires,
                    &cases,
                    "reminder",
                )?;
                let mut tx = self.store.write_tx().await?;
                if !links::claim_reminder(&mut tx, link.id).await? {
                    tx.rollback().await?;
                    continue; // another instance reminded this tester meanwhile
                }
                self.write_link(
                    &mut tx,
                    rfc,
                    &link.environment,
                    &link.tester,
                    &round,
                    expires,
                    Some(&link),
                    prepared,
                )
                .await?;
                tx.commit().await?;
                reminded += 1;
            }
        }
        Ok((reminded, escalated))
    }

    /// The round a link belongs to, if it has one.
    pub(crate) async fn round_of(&self, link: &links::SignoffLink) -> Result<Option<crate::store::rounds::Round>> {
        match link.round_id {
            Some(id) => Ok(self.store.round(id).await?),
            None => Ok(None),
        }
    }

    /// Pending sign-offs per environment: (environment, count, oldest invitation).
    pub async fn pending_signoffs(&self) -> Result<Vec<(String, usize, Stamp)>> {
        let mut by_env: std::collections::BTreeMap<String, (usize, Stamp)> = Default::default();
        for l in self.store.open_links().await? {
            if l.expires_at > self.now() {
                let e = by_env.entry(l.environment.clone()).or_insert((0, l.invited_at));
                e.0 += 1;
                e.1 = e.1.min(l.invited_at);
            }
        }
        Ok(by_env.into_iter().map(|(env, (n, oldest))| (env, n, oldest)).collect())
    }
}
