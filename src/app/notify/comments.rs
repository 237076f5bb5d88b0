//! A comment mails the requester, the RFC's testers and anyone it mentions
//! (`@kim@example.org`, only addresses of access.yaml or the RFC's testers),
//! never its author; each as their settings say. A mention asks something
//! of the person (kind `mention`, always sent); the others are told of an
//! event (kind `comment`, which a preference may collect or hold back).

use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use crate::app::{App, Result};
use crate::domain::names::normalise_email;
use crate::domain::notify::{self, Part};
use crate::domain::rfc::{Comment, Rfc};
use crate::store::WriteTx;
use crate::store::notify as store;

/// A comment as the RFC page shows it: its text cut into plain parts and
/// mentions of people the page knows.
#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    #[serde(flatten)]
    pub comment: Comment,
    pub parts: Vec<Part>,
}

impl App {
    /// Is `address` someone a comment on an RFC with `testers` may mention?
    fn mentionable(&self, address: &str, testers: &[String]) -> bool {
        self.workspace.access.users.contains_key(address) || testers.iter().any(|t| t == address)
    }

    /// Queues the mails of a new comment, in the caller's transaction.
    /// Mails a comment; `files` names the files sent with it (they are
    /// downloaded from the RFC's page, never sent in the mail).
    pub(crate) async fn notify_comment(
        &self,
        conn: &mut WriteTx,
        rfc: &Rfc,
        author: &str,
        body: &str,
        files: &[&str],
    ) -> Result<()> {
        let testers = store::testers_of(conn, rfc.id.0).await?;
        let author = normalise_email(author);
        let mut mentioned: Vec<String> = notify::mentions(body)
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| self.mentionable(a, &testers) && *a != author)
            .collect();
        mentioned.sort();
        mentioned.dedup();
        let told: Vec<String> = testers
            .iter()
            .cloned()
            .chain([normalise_email(&rfc.requester)])
            .filter(|a| *a != author && !mentioned.contains(a))
            .collect();
        let ctx = context! {
            rfc => Serde(rfc), by => author, body, files => Serde(files),
            rfc_url => format!("{}/rfcs/{}", self.base_url(), rfc.id),
        };
        for (kind, to) in [("mention", mentioned), ("comment", told)] {
            if let Some(mail) = self.render_all(kind, to, ctx.clone())? {
                self.queue_rendered(conn, &mail).await?;
            }
        }
        Ok(())
    }

    /// The comments of an RFC with `testers`, their mentions marked.
    pub fn comment_views(&self, comments: &[Comment], testers: &[String]) -> Vec<CommentView> {
        let testers: Vec<String> = testers.iter().map(|t| normalise_email(t)).collect();
        comments
            .iter()
            .map(|c| CommentView {
                parts: notify::parts(&c.body, |a| self.mentionable(a, &testers)),
                comment: c.clone(),
            })
            .collect()
    }
}
