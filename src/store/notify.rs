//! Mail settings per address (language, preference) and the mails held for
//! a daily digest (issue 19). Plain SQL with binds, the same on both backends.

use sqlx::FromRow;

use super::{Conn, Result, Store, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct MailSettings {
    pub email: String,
    /// `en` or `nl`; none until the person chose or a browser told.
    pub locale: Option<String>,
    /// `choice` or `browser`.
    pub locale_from: String,
    /// `every`, `digest` or `needed`.
    pub preference: String,
    pub updated_at: String,
}

/// One held mail of a digest.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DigestItem {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub text_body: String,
    pub created_at: String,
}

/// The settings of each of `emails` that has any (addresses in lower case).
/// One short query per address: a mail has a handful of recipients.
pub async fn settings_of(conn: &mut Conn, emails: &[String]) -> Result<Vec<MailSettings>> {
    let mut out = Vec::new();
    for e in emails {
        let row: Option<MailSettings> = sqlx::query_as(
            "SELECT email, locale, locale_from, preference, updated_at FROM mail_settings WHERE email = $1",
        )
        .bind(e)
        .fetch_optional(&mut *conn)
        .await?;
        out.extend(row);
    }
    Ok(out)
}

/// Saves what a person chose on the settings page: preference and language.
pub async fn choose(conn: &mut WriteTx, email: &str, preference: &str, locale: &str) -> Result<()> {
    let at = conn.stamp();
    sqlx::query(
        "INSERT INTO mail_settings (email, locale, locale_from, preference, updated_at)
         VALUES ($1, $2, 'choice', $3, $4)
         ON CONFLICT (email) DO UPDATE SET locale = $2, locale_from = 'choice', preference = $3, updated_at = $4",
    )
    .bind(email)
    .bind(locale)
    .bind(preference)
    .bind(&at)
    .execute(&mut **conn)
    .await?;
    Ok(())
}

/// Remembers the language a person's pages are shown in: a `choice` (the
/// language switch) always; a `browser`'s language only where no choice was
/// made. Returns whether anything changed.
pub async fn remember_locale(conn: &mut WriteTx, email: &str, locale: &str, chosen: bool) -> Result<bool> {
    let at = conn.stamp();
    let from = if chosen { "choice" } else { "browser" };
    let done = sqlx::query(
        "INSERT INTO mail_settings (email, locale, locale_from, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (email) DO UPDATE SET locale = $2, locale_from = $3, updated_at = $4
         WHERE (mail_settings.locale IS NULL OR mail_settings.locale <> $2 OR mail_settings.locale_from <> $3)
           AND ($3 = 'choice' OR mail_settings.locale_from <> 'choice')",
    )
    .bind(email)
    .bind(locale)
    .bind(from)
    .bind(&at)
    .execute(&mut **conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The server secret, read inside the caller's transaction.
pub async fn secret_in(conn: &mut Conn) -> Result<Vec<u8>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = 'server_secret'")
        .fetch_optional(conn)
        .await?;
    let hexed = row
        .ok_or_else(|| super::StoreError::Corrupt("the server secret is missing: run `dtap migrate`".into()))?
        .0;
    hex::decode(hexed).map_err(|_| super::StoreError::Corrupt("the server secret in the database is damaged".into()))
}

/// Holds an event mail for `email`'s next digest.
pub async fn hold(conn: &mut WriteTx, email: &str, kind: &str, subject: &str, text: &str) -> Result<()> {
    let at = conn.stamp();
    sqlx::query("INSERT INTO mail_digest (email, kind, subject, text_body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(email)
        .bind(kind)
        .bind(subject)
        .bind(text)
        .bind(&at)
        .execute(&mut **conn)
        .await?;
    Ok(())
}

/// Claims `email`'s held mails from before `before` for one digest: marks
/// them sent in the caller's transaction (which queues the digest) and
/// returns them, oldest first. A second instance finds none.
pub async fn claim_digest(conn: &mut WriteTx, email: &str, before: &str) -> Result<Vec<DigestItem>> {
    let at = conn.stamp();
    let mut items: Vec<DigestItem> = sqlx::query_as(
        "UPDATE mail_digest SET sent_at = $1
         WHERE email = $2 AND sent_at IS NULL AND created_at < $3
         RETURNING id, kind, subject, text_body, created_at",
    )
    .bind(&at)
    .bind(email)
    .bind(before)
    .fetch_all(&mut **conn)
    .await?;
    items.sort_by_key(|i| i.id);
    Ok(items)
}

impl Store {
    /// One address's settings, if it has any.
    pub async fn mail_settings(&self, email: &str) -> Result<Option<MailSettings>> {
        let mut conn = self.pool().acquire().await?;
        Ok(settings_of(&mut conn, &[email.to_string()]).await?.pop())
    }

    /// The addresses with held mails from before `before`.
    pub async fn digests_due(&self, before: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT email FROM mail_digest WHERE sent_at IS NULL AND created_at < $1 ORDER BY email",
        )
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// Every tester appointed to an RFC, in any environment.
pub async fn testers_of(conn: &mut Conn, rfc: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT email FROM rfc_testers WHERE rfc_id = $1 ORDER BY email")
            .bind(rfc)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The testers (and environments) of an RFC whose link is still open at
/// `at`: the ones a rejection's end of the round leaves waiting.
pub async fn open_link_testers(conn: &mut Conn, rfc: i64, at: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT tester, environment FROM signoff_links
         WHERE rfc_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
         ORDER BY tester, environment",
    )
    .bind(rfc)
    .bind(at)
    .fetch_all(conn)
    .await?)
}

/// Why a sign-off link ended, when a tester's rejection ended its round:
/// who rejected, in which environment, with what comment.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EndedByRejection {
    pub rfc_id: i64,
    pub rejected_by: String,
    pub environment: String,
    pub comment: String,
}

impl Store {
    /// For a link (by its token's hash) that was revoked because a round of
    /// its RFC ended in a rejection: the rejection that ended it (recorded in
    /// the very transaction, so at the very moment, that ended the round).
    pub async fn ended_by_rejection(&self, token_hash: &str) -> Result<Option<EndedByRejection>> {
        Ok(sqlx::query_as(
            "SELECT s.rfc_id, s.tester AS rejected_by, s.environment, s.comment
             FROM signoff_links l
             JOIN signoff_rounds r ON r.id = l.round_id
             JOIN signoffs s ON s.rfc_id = l.rfc_id AND s.verdict = 'reject' AND s.at = r.ended_at
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.revoked_at IS NOT NULL
             ORDER BY s.id DESC LIMIT 1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?)
    }
}
