//! Who acts, and through which door: every use case takes a `Caller`.

use crate::domain::names;
use crate::store::audit::Origin;

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
}
