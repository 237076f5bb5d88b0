//! How far a transfer with the remote config repo got, told to whoever
//! shows it. gitrepo draws nothing itself: the CLI draws a bar on a
//! terminal, `serve` and the web show nothing.

use std::sync::Arc;

/// One step of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A transfer begins; says what it is, e.g. "fetching the config repo".
    Started(&'static str),
    /// Objects received so far, of the total the server announced.
    Objects { received: u64, total: u64 },
    /// The transfer ended, whether or not it succeeded.
    Finished,
}

/// A callback for [`Progress`]; called from the blocking thread that transfers.
#[derive(Clone)]
pub struct Watcher(Arc<dyn Fn(Progress) + Send + Sync>);

impl Watcher {
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> Watcher {
        Watcher(Arc::new(f))
    }

    pub fn tell(&self, p: Progress) {
        (self.0)(p)
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watcher")
    }
}
