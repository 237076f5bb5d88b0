//! Who acts, and through which door: every use case takes a `Caller`.

use super::{AppError, Result};
use crate::domain::Email;
use crate::store::audit::Origin;

/// Who is asking, and through which door.
#[derive(Debug, Clone)]
pub struct Caller {
    pub email: Email,
    pub origin: Origin,
}

impl Caller {
    pub fn new(email: Email, origin: Origin) -> Caller {
        Caller { email, origin }
    }

    /// A caller read back from what dtap stored itself (an intent's actor, a
    /// link's tester): it was an address when written, so anything else is
    /// damage to report, not a user's mistake.
    pub(crate) fn stored(email: &str, origin: Origin) -> Result<Caller> {
        Ok(Caller {
            email: stored_email(email)?,
            origin,
        })
    }
}

/// An address read back from dtap's own records (sessions, tokens, links,
/// intents): it was checked when written, so a bad one is damage, not input.
pub(crate) fn stored_email(email: &str) -> Result<Email> {
    Email::parse(email).map_err(|e| AppError::Internal(format!("stored {e}")))
}
