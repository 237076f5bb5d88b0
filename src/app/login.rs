//! Web login by mailed link: no stored passwords.

use minijinja::context;

use super::caller::stored_email;
use super::{App, Result};
use crate::domain::Email;

pub const LINK_TTL_MINUTES: i64 = 15;
pub const SESSION_IDLE_MINUTES: i64 = 60;
pub const SESSION_HOURS: i64 = 12;

impl App {
    /// Mails a single-use login link when `email` is in the authorization
    /// matrix and has not had [`super::ratelimit::LOGIN_MAILS_PER_HOUR`]
    /// this hour. Says nothing either way, and does the same work either
    /// way (count the request against the address, draw a token, render the
    /// mail, write the link in one transaction), so neither the answer nor
    /// its timing tells whether an address is known. An unknown address's
    /// link is dead when written, and its mail is not queued.
    pub async fn request_login(&self, email: &str) -> Result<()> {
        // The address's form is no secret: nothing to hide there.
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let within = self.allow_login_mail(email.as_str()).await?;
        let known = !self.workspace.access.roles_of(&email).is_empty();
        let send = known && within;
        if !send {
            tracing::info!(
                known,
                "login link not sent (an address without a role, or too many asked)"
            );
        }
        let token = crate::random::hex::<32>()?;
        let now = self.now_utc();
        let expires = if send {
            now + time::Duration::minutes(LINK_TTL_MINUTES)
        } else {
            now
        };
        let ctx = context! {
            link => format!("{}/login/{token}", self.workspace.config.web.base_url.trim_end_matches('/')),
            minutes => LINK_TTL_MINUTES,
        };
        let mail = self.render_mail("login", vec![email.to_string()], ctx)?;
        let mut tx = self.store.write_tx().await?;
        crate::store::sessions::create_login_link(
            &mut tx,
            &super::signoff::token_hash(&token),
            &email,
            &crate::domain::stamp::stamp(expires),
        )
        .await?;
        if send {
            self.enqueue(&mut tx, mail.as_ref()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The address an open login link signs in (for the confirmation page).
    pub async fn login_link(&self, token: &str) -> Result<Option<String>> {
        Ok(self.store.login_link(&super::signoff::token_hash(token)).await?)
    }

    /// Uses a login link: returns the new session id (for the cookie) and the user.
    /// A fresh id at every login: no session fixation.
    pub async fn complete_login(&self, token: &str) -> Result<Option<(String, String)>> {
        let session = crate::random::hex::<32>()?;
        let expires = self.now_utc() + time::Duration::hours(SESSION_HOURS);
        let user = self
            .store
            .consume_login_link(
                &super::signoff::token_hash(token),
                &super::signoff::token_hash(&session),
                &crate::domain::stamp::stamp(expires),
            )
            .await?;
        Ok(user.map(|u| (session, u)))
    }

    pub async fn session_user(&self, session: &str) -> Result<Option<Email>> {
        let idle = self.now_utc() - time::Duration::minutes(SESSION_IDLE_MINUTES);
        self.store
            .session_user(&super::signoff::token_hash(session), &crate::domain::stamp::stamp(idle))
            .await?
            .as_deref()
            .map(stored_email)
            .transpose()
    }

    pub async fn logout(&self, session: &str) -> Result<()> {
        Ok(self.store.end_session(&super::signoff::token_hash(session)).await?)
    }
}
