//! Who gets which mail, in their language (issue 19). A mail is rendered in
//! every language before any transaction opens (no disk, no database); when
//! it is queued, each recipient's settings decide: their language, and
//! whether it goes now, waits for their daily digest, or is not sent
//! (`domain::notify::route`). Every mail ends with a line saying where to
//! change that: `/settings` for members of access.yaml (they sign in), a
//! signed per-address link for anyone else (DESIGN §15), which is why such
//! a recipient gets a mail of their own.

mod assessment;
mod comments;
mod digest;
mod footer;
mod rounds;
pub mod settings;

pub use comments::CommentView;
pub use rounds::EndedRound;

use std::collections::BTreeMap;

use crate::app::{App, AppError, Result};
use crate::domain::mail::NewMail;
use crate::domain::notify::{self, Preference, Route};
use crate::locale::Locale;
use crate::store::WriteTx;
use crate::store::notify as store;
use crate::store::outbox;

/// A mail rendered in every language, for its recipients; not yet queued.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub kind: String,
    pub recipients: Vec<String>,
    versions: Vec<(Locale, NewMail)>,
}

impl Rendered {
    /// The mail in `locale` (the other language if it did not render in it).
    pub fn in_locale(&self, locale: Locale) -> &NewMail {
        self.versions
            .iter()
            .find(|(l, _)| *l == locale)
            .or(self.versions.first())
            .map(|(_, m)| m)
            .expect("a rendered mail has at least one language")
    }
}

/// One recipient's settings as the outbox applies them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wishes {
    pub locale: Locale,
    pub preference: Preference,
}

impl App {
    /// The workspace's language: for addresses that never chose one.
    pub(crate) fn default_locale(&self) -> Locale {
        Locale::parse(&self.workspace.config.web.default_locale).unwrap_or_default()
    }

    /// Renders mail `kind` for `to` in every language (addresses that are
    /// not addresses are dropped; `None` when nobody is left).
    pub(crate) fn render_all(&self, kind: &str, to: Vec<String>, ctx: minijinja::Value) -> Result<Option<Rendered>> {
        let mut to: Vec<String> = to
            .into_iter()
            .filter(|t| crate::domain::names::is_email(t))
            .map(|t| crate::domain::names::normalise_email(&t))
            .collect();
        to.sort();
        to.dedup();
        if to.is_empty() {
            return Ok(None);
        }
        // A workspace's broken template in one language (`dtap check` names
        // it) must not stop a mail that reads well in the other: its readers
        // get that one. Only when no language renders is it an error.
        let mut versions = Vec::new();
        let mut failure = None;
        for locale in Locale::ALL {
            match self.mail_templates.render(locale.code(), kind, to.clone(), ctx.clone()) {
                Ok(mail) => versions.push((locale, mail)),
                Err(e) => {
                    tracing::warn!(kind, locale = locale.code(), error = %format!("{e:#}"), "mail template does not render");
                    failure = Some(e);
                }
            }
        }
        if let (true, Some(e)) = (versions.is_empty(), failure) {
            return Err(AppError::Internal(format!("mail template {kind}: {e:#}")));
        }
        Ok(Some(Rendered {
            kind: kind.to_string(),
            recipients: to,
            versions,
        }))
    }

    /// Each of `emails`' language and preference, inside the caller's transaction.
    pub(crate) async fn wishes(
        &self,
        conn: &mut crate::store::Conn,
        emails: &[String],
    ) -> Result<BTreeMap<String, Wishes>> {
        let stored = store::settings_of(conn, emails).await?;
        Ok(emails
            .iter()
            .map(|e| {
                let s = stored.iter().find(|s| &s.email == e);
                let wishes = Wishes {
                    locale: s
                        .and_then(|s| s.locale.as_deref())
                        .and_then(Locale::parse)
                        .unwrap_or_else(|| self.default_locale()),
                    preference: s.and_then(|s| Preference::parse(&s.preference)).unwrap_or_default(),
                };
                (e.clone(), wishes)
            })
            .collect())
    }

    /// Queues a rendered mail in the caller's transaction, as each
    /// recipient wishes: members of access.yaml who get it now share one
    /// mail per language; anyone else gets their own (their footer's link is
    /// theirs alone); digest readers' copies wait in the digest.
    pub(crate) async fn queue_rendered(&self, conn: &mut WriteTx, mail: &Rendered) -> Result<()> {
        let wishes = self.wishes(conn, &mail.recipients).await?;
        let mut members: BTreeMap<&'static str, (Locale, Vec<String>)> = BTreeMap::new();
        let mut others: Vec<(String, Locale)> = Vec::new();
        for (email, w) in &wishes {
            match notify::route(w.preference, &mail.kind) {
                Route::Skip => {}
                Route::Digest => {
                    let m = mail.in_locale(w.locale);
                    store::hold(conn, email, &mail.kind, &m.subject, &m.text).await?;
                }
                Route::Now if self.workspace.access.users.contains_key(email.as_str()) => {
                    members
                        .entry(w.locale.code())
                        .or_insert_with(|| (w.locale, Vec::new()))
                        .1
                        .push(email.clone());
                }
                Route::Now => others.push((email.clone(), w.locale)),
            }
        }
        let domain = self.mail_domain();
        for (locale, to) in members.into_values() {
            let link = format!("{}/settings", self.base_url());
            let out = footer::with_footer(mail.in_locale(locale), to, locale, &link);
            outbox::enqueue(conn, &out, &domain).await?;
        }
        if !others.is_empty() {
            let secret = store::secret_in(conn).await?;
            for (email, locale) in others {
                let link = settings::link(&self.base_url(), &secret, &email);
                let out = footer::with_footer(mail.in_locale(locale), vec![email], locale, &link);
                outbox::enqueue(conn, &out, &domain).await?;
            }
        }
        Ok(())
    }
}
