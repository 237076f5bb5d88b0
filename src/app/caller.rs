//! Who acts, and through which door: every use case takes a `Caller`.

use crate::domain::names;
pub use crate::domain::origin::Origin;

/// Who is asking, and through which door.
#[derive(Debug, Clone)]
pub struct Caller {
    pub email: String,
    pub origin: Origin,
}

impl Caller {
    pub fn new(email: &str, origin: Origin) -> Caller {
        Caller {
            email: names::normalise_email(email),
            origin,
        }
    }

    /// Whoever runs a read command on this machine: no identity needed, the
    /// file-system rights decide, as with git (DESIGN §8).
    pub fn local() -> Caller {
        Caller {
            email: String::new(),
            origin: Origin::Cli,
        }
    }
}

impl super::App {
    /// Reading the change board's pages (reports, audit, the matrix) needs
    /// `permission` on the web and the API; the CLI reads with the
    /// file-system rights of whoever runs it. The one place this is decided.
    pub fn may_read(&self, caller: &Caller, permission: &str) -> super::Result<()> {
        if caller.origin == Origin::Cli || self.workspace.access.can(&caller.email, permission) {
            Ok(())
        } else {
            Err(super::AppError::refused(format!(
                "this page needs permission {permission}: ask a change manager"
            )))
        }
    }
}
