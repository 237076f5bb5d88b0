//! The mails of sign-off and promotion: invitations with a personal link,
//! reminders, the notify list. Rendering uses the templates the app loaded
//! at open, never the disk.

use minijinja::context;
use minijinja::value::Serde;

use super::renew::RoundMail;
use super::{Moved, token_hash};
use crate::app::notify::Rendered;
use crate::app::{App, Result};
use crate::domain::rfc::Rfc;
use crate::domain::round::{self, Carrier};
use crate::domain::stamp::Stamp;
use crate::store::WriteTx;
use crate::store::signoff::{self as links, NewLink, SignoffLink};

/// The packages' names (or versions) in one line, in the round's order: the
/// `package` and `version` that templates made before rounds still show.
fn joined(packages: &[Carrier], part: impl Fn(&Carrier) -> &String) -> String {
    packages.iter().map(part).cloned().collect::<Vec<_>>().join(", ")
}

/// A sign-off link about to be written, with its mail already rendered.
pub(super) struct PreparedLink {
    token: String,
    mail: Option<Rendered>,
}

impl App {
    /// Renders mail `kind` for `to` in every language (addresses that are
    /// not addresses are dropped; `None` when nobody is left). Needs no disk
    /// and no database, so a use case that claims something renders first
    /// and opens its transaction after.
    pub(crate) fn render_mail(&self, kind: &str, to: Vec<String>, ctx: minijinja::Value) -> Result<Option<Rendered>> {
        self.render_all(kind, to, ctx)
    }

    /// Puts a rendered mail in the outbox, in the caller's transaction: in
    /// each recipient's language, as their settings say (`app::notify`).
    pub(crate) async fn enqueue(&self, conn: &mut WriteTx, mail: Option<&Rendered>) -> Result<()> {
        if let Some(mail) = mail {
            self.queue_rendered(conn, mail).await?;
        }
        Ok(())
    }

    /// Renders and queues a mail in the caller's transaction.
    pub(crate) async fn queue(
        &self,
        conn: &mut WriteTx,
        kind: &str,
        to: Vec<String>,
        ctx: minijinja::Value,
    ) -> Result<()> {
        let mail = self.render_mail(kind, to, ctx)?;
        self.enqueue(conn, mail.as_ref()).await
    }

    /// Draws the token of a new link and renders its mail (`invitation` or
    /// `reminder`), before any transaction.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn prepare_link(
        &self,
        rfc: &Rfc,
        env: &str,
        tester: &str,
        round: &RoundMail<'_>,
        expires: Stamp,
        cases: &[(String, String, String)],
        kind: &str,
    ) -> Result<PreparedLink> {
        let token = crate::random::hex::<32>()?;
        let cases: Vec<_> = cases
            .iter()
            .map(|(title, steps, expected)| context! { title, steps, expected })
            .collect();
        let ctx = context! {
            rfc => Serde(rfc),
            summary => self.summary_of(rfc),
            environment => env,
            environment_label => self.env_label(env),
            package => joined(round.packages, |c| &c.package),
            version => joined(round.packages, |c| &c.version),
            packages => Serde(round.packages),
            round_change => round.reason,
            cases,
            deadline => expires.date().to_string(),
            link => format!("{}/signoff/{token}", self.base_url()),
        };
        let mail = self.render_mail(kind, vec![tester.to_string()], ctx)?;
        Ok(PreparedLink { token, mail })
    }

    /// Writes a prepared link and queues its mail in the caller's
    /// transaction. A reminder (`previous`) keeps the first invitation's
    /// date and escalation.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn write_link(
        &self,
        conn: &mut WriteTx,
        rfc: &Rfc,
        env: &str,
        tester: &str,
        round: &RoundMail<'_>,
        expires: Stamp,
        previous: Option<&SignoffLink>,
        prepared: PreparedLink,
    ) -> Result<()> {
        // The transaction's own moment, like every row it writes.
        let now_s = conn.stamp();
        let invited = previous.map(|p| p.invited_at.to_string());
        let escalated = previous.and_then(|p| p.escalated_at.map(|s| s.to_string()));
        links::create_link(
            conn,
            &NewLink {
                token_hash: &token_hash(&prepared.token),
                rfc_id: rfc.id.0,
                environment: env,
                tester,
                package: &joined(round.packages, |c| &c.package),
                version: &joined(round.packages, |c| &c.version),
                tree: &round::to_json(&round::trees_of(round.packages)),
                expires_at: &expires.to_string(),
                invited_at: invited.as_deref().unwrap_or(&now_s),
                reminded_at: previous.map(|_| now_s.as_str()),
                escalated_at: escalated.as_deref(),
                round_id: round.id,
            },
        )
        .await?;
        self.enqueue(conn, prepared.mail.as_ref()).await
    }

    /// Tells an environment's `notify` list about a promotion into it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn notify_promotion(
        &self,
        conn: &mut WriteTx,
        env: &str,
        moved: &[Moved],
        by: &str,
        commit: &str,
        reason: &str,
        emergency: bool,
    ) -> Result<()> {
        let Some(e) = self.workspace.pipeline.get(env) else {
            return Ok(());
        };
        if e.notify.is_empty() || moved.is_empty() {
            return Ok(());
        }
        let summary = match moved {
            [one] => format!("{} {} promoted to {}", one.package, one.version, e.label),
            many => format!("{} packages promoted to {}", many.len(), e.label),
        };
        let removals = self
            .removals(env, commit, moved.iter().map(|m| m.package.as_str()))
            .await?;
        let removed_total: usize = removals.iter().map(|r| r.files.len()).sum();
        let ctx = context! {
            summary, by, environment => env, environment_label => e.label.clone(), packages => Serde(moved),
            commit => commit.chars().take(12).collect::<String>(), reason, emergency,
            removals => Serde(&removals), removed_total,
        };
        self.queue(conn, "promotion", e.notify.clone(), ctx).await
    }
}
