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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::gitrepo::ConfigRepo;
    use crate::gitrepo::remote::RemoteSpec;

    #[test]
    fn a_fetch_tells_its_watcher_from_start_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let origin = ConfigRepo::new(dir.path().join("origin.git"), "main".into());
        let folder = crate::gitrepo::EnvironmentFolder {
            path: "develop",
            name: "develop",
            label: "Develop",
        };
        origin
            .create(&[folder], &crate::gitrepo::Identity::from_email("dev@example.org"))
            .unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let spec = RemoteSpec {
            url: crate::domain::remote_url::parse(&format!("file://{}", origin.path().display())).unwrap(),
            allowed_hosts: vec![],
            token_env: None,
            ssh_key: None,
            known_hosts: dir.path().join("known_hosts"),
            ca_file: None,
            fresh_for: Duration::ZERO,
        };
        let cache = ConfigRepo::new(dir.path().join("cache.git"), "main".into())
            .with_remote(spec)
            .with_progress(Watcher::new(move |p| log.lock().unwrap().push(p)));
        assert!(cache.clone_cache().unwrap());
        let seen = seen.lock().unwrap();
        assert_eq!(seen.first(), Some(&Progress::Started("fetching the config repo")));
        assert_eq!(seen.last(), Some(&Progress::Finished));
        assert!(
            seen.iter()
                .any(|p| matches!(p, Progress::Objects { received, total } if received == total && *total > 0)),
            "{seen:?}"
        );
    }
}
