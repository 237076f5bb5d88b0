//! Who acts, and through which door: every use case takes a `Caller`.

use super::{AppError, Result};
use crate::domain::Email;
pub use crate::domain::origin::Origin;
use crate::msg;

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

    /// Whoever runs a read command on this machine: no identity needed, the
    /// file-system rights decide, as with git (DESIGN §8).
    pub fn local() -> Caller {
        Caller {
            email: Email::nobody(),
            origin: Origin::Cli,
        }
    }
}

impl super::App {
    /// Reading the change board's pages (reports, audit, the matrix) needs
    /// `permission` on the web and the API; the CLI reads with the
    /// file-system rights of whoever runs it. The one place this is decided.
    pub fn may_read(&self, caller: &Caller, permission: &str) -> Result<()> {
        if caller.origin == Origin::Cli || self.workspace.access.can(&caller.email, permission) {
            Ok(())
        } else {
            Err(AppError::refused(msg!(
                "this page needs permission {permission}: ask a change manager",
                permission
            )))
        }
    }
}

/// An address read back from dtap's own records (sessions, tokens, links,
/// intents): it was checked when written, so a bad one is damage, not input.
pub(crate) fn stored_email(email: &str) -> Result<Email> {
    Email::parse(email).map_err(|e| AppError::Internal(format!("stored {e}")))
}
