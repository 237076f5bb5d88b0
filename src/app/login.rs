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
    /// matrix. Says nothing either way, so addresses cannot be probed.
    pub async fn request_login(&self, email: &str) -> Result<()> {
        let email = Email::parse(email).ok();
        let Some(email) = email.filter(|e| !self.workspace.access.roles_of(e).is_empty()) else {
            tracing::info!("login requested for an address without a role");
            return Ok(());
        };
        let token = crate::random::hex::<32>()?;
        let expires = self.now_utc() + time::Duration::minutes(LINK_TTL_MINUTES);
        self.store
            .create_login_link(
                &super::signoff::token_hash(&token),
                &email,
                &crate::domain::stamp::stamp(expires),
            )
            .await?;
        let ctx = context! {
            link => format!("{}/login/{token}", self.workspace.config.web.base_url.trim_end_matches('/')),
            minutes => LINK_TTL_MINUTES,
        };
        let mut tx = self.store.write_tx().await?;
        self.queue(&mut tx, "login", vec![email.into_string()], ctx).await?;
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
