//! The progress bar of fetches from a remote config repo, on stderr when it
//! is a terminal (`dtap serve` draws none).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::app::remote::{Progress, Watcher};

/// A watcher that draws a bar per transfer, or `None` when nobody watches a terminal.
pub(super) fn transfer_bar() -> Option<Watcher> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    Some(Watcher::new(move |p| {
        let mut bar = bar.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match p {
            Progress::Started(what) => {
                let b = ProgressBar::new(0);
                if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} objects") {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_message(what);
                *bar = Some(b);
            }
            Progress::Objects { received, total } => {
                if let Some(b) = bar.as_ref() {
                    b.set_length(total);
                    b.set_position(received);
                }
            }
            Progress::Finished => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
        }
    }))
}
