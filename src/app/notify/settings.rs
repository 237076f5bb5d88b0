//! A person's mail settings: their language and which mails they want.
//! Members change them at `/settings` (signed in); anyone else through the
//! signed per-address link in every mail they get (DESIGN §15): an HMAC of
//! the address with the server secret, for this purpose only. It changes
//! these settings and nothing else, and works on every instance.

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;

use crate::app::rfcs::Caller;
use crate::app::{App, AppError, Result};
use crate::domain::notify::Preference;
use crate::domain::rfc::FieldError;
use crate::locale::Locale;
use crate::store::audit::{self, NewAuditEvent};
use crate::store::notify as store;

const PURPOSE: &str = "mail-settings";

fn mac(secret: &[u8], email: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(PURPOSE.as_bytes());
    mac.update(&[0]);
    mac.update(email.as_bytes());
    mac
}

/// The signature of `email`'s settings link.
pub fn signature(secret: &[u8], email: &str) -> String {
    hex::encode(mac(secret, email).finalize().into_bytes())
}

/// Does `sig` sign `email`? In constant time.
pub fn verify(secret: &[u8], email: &str, sig: &str) -> bool {
    hex::decode(sig.trim()).is_ok_and(|given| mac(secret, email).verify_slice(&given).is_ok())
}

/// Percent-encodes all but the unreserved characters (RFC 3986).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The settings link of `email`, under `base` (the configured base URL).
pub fn link(base: &str, secret: &[u8], email: &str) -> String {
    format!(
        "{base}/settings/mail?address={}&sig={}",
        encode(email),
        signature(secret, email)
    )
}

/// What the settings page shows.
#[derive(Debug, Clone, Serialize)]
pub struct MailSettingsView {
    pub email: String,
    pub locale: &'static str,
    pub preference: &'static str,
}

impl App {
    /// `email`'s settings, the defaults where they chose nothing.
    pub async fn mail_settings(&self, email: &str) -> Result<MailSettingsView> {
        let email = crate::domain::names::normalise_email(email);
        let stored = self.store.mail_settings(&email).await?;
        let locale = stored
            .as_ref()
            .and_then(|s| s.locale.as_deref())
            .and_then(Locale::parse)
            .unwrap_or_else(|| self.default_locale());
        let preference = stored
            .as_ref()
            .and_then(|s| Preference::parse(&s.preference))
            .unwrap_or_default();
        Ok(MailSettingsView {
            email,
            locale: locale.code(),
            preference: preference.code(),
        })
    }

    /// Is `sig` the signature of `email`'s settings link?
    pub async fn settings_link_valid(&self, email: &str, sig: &str) -> Result<bool> {
        let email = crate::domain::names::normalise_email(email);
        Ok(crate::domain::names::is_email(&email) && verify(&self.server_secret().await?, &email, sig))
    }

    /// Saves a person's choice of mails and language (audited).
    pub async fn choose_mail_settings(&self, caller: &Caller, preference: &str, locale: &str) -> Result<()> {
        let mut errors = Vec::new();
        let preference = Preference::parse(preference);
        if preference.is_none() {
            errors.push(FieldError::new(
                "preference",
                crate::msg!("choose which mails you want"),
            ));
        }
        let locale = Locale::parse(locale);
        if locale.is_none() {
            errors.push(FieldError::new("locale", crate::msg!("choose a language")));
        }
        let (Some(preference), Some(locale)) = (preference, locale) else {
            return Err(AppError::Invalid(errors));
        };
        let email = crate::domain::names::normalise_email(&caller.email);
        let mut tx = self.store.write_tx().await?;
        store::choose(&mut tx, &email, preference.code(), locale.code()).await?;
        audit::append(
            &mut tx,
            &NewAuditEvent {
                actor: email.clone(),
                action: "mail.settings".into(),
                object: email.clone(),
                outcome: "ok".into(),
                origin: caller.origin,
                detail: json!({ "preference": preference.code(), "locale": locale.code() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers the language a signed-in person sees the pages in, for
    /// their mails: `chosen` by the language switch, else their browser's
    /// at sign-in (which never overrides a choice: `store::notify` keeps
    /// that rule). Runs on a click of the switch or a sign-in, not per page.
    pub async fn remember_language(&self, email: &str, locale: Locale, chosen: bool) -> Result<()> {
        let email = crate::domain::names::normalise_email(email);
        let mut tx = self.store.write_tx().await?;
        store::remember_locale(&mut tx, &email, locale.code(), chosen).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_signed_for_one_address() {
        let secret = b"s3cret";
        let l = link("https://dtap.example.org", secret, "kim+t@example.org");
        let sig = signature(secret, "kim+t@example.org");
        assert_eq!(
            l,
            format!("https://dtap.example.org/settings/mail?address=kim%2Bt%40example.org&sig={sig}")
        );
        assert!(verify(secret, "kim+t@example.org", &sig));
        assert!(!verify(secret, "lee@example.org", &sig));
        assert!(!verify(b"other", "kim+t@example.org", &sig));
        assert!(!verify(secret, "kim+t@example.org", "zz"));
    }
}
