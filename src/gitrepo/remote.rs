//! A remote config repo (`[repo] url`): dtap works on a local bare cache
//! clone, fetches it from the remote, and pushes every commit it makes with
//! the expected old value of the branch (a push with lease). The push is the
//! point of truth: the cache's branch moves only after the server accepted it.
//!
//! Credentials come from an SSH key file or the ssh-agent, or for https from
//! a token in the environment variable `[repo] token_env` names; they are
//! never logged. SSH host keys are checked against a known_hosts file and
//! every host dtap connects to (also after a redirect) must be allowed.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use git2::{
    AutotagOption, CertificateCheckStatus, Cred, CredentialType, Direction, FetchOptions, Oid, PushOptions,
    RemoteCallbacks, Repository, RepositoryInitOptions,
};

use super::progress::{Progress, Watcher};
use super::write::CasOutcome;
use super::{ConfigRepo, RepoError, Result};
use crate::domain::remote_url::RemoteUrl;

/// How dtap reaches the remote config repo.
#[derive(Debug, Clone)]
pub struct RemoteSpec {
    pub url: RemoteUrl,
    /// Lower-cased host names dtap may connect to.
    pub allowed_hosts: Vec<String>,
    pub token_env: Option<String>,
    pub ssh_key: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub fresh_for: Duration,
}

impl RemoteSpec {
    /// The URL for messages: never holds a secret (passwords are refused at parse).
    pub fn shown(&self) -> &str {
        &self.url.text
    }
}

/// The file in the cache that records when it was last fetched (Unix milliseconds).
const STAMP: &str = "dtap-fetched-at";

/// What a callback found wrong: reported instead of libgit2's terser message.
#[derive(Default)]
struct Trouble {
    error: RefCell<Option<RepoError>>,
    auth_tries: Cell<u32>,
}

impl Trouble {
    fn fail<T>(&self, e: RepoError) -> std::result::Result<T, git2::Error> {
        let message = e.to_string();
        *self.error.borrow_mut() = Some(e);
        Err(git2::Error::from_str(&message))
    }

    /// The callback's own error when there was one, else the git error explained.
    fn explain(&self, spec: &RemoteSpec, doing: &str, e: git2::Error) -> RepoError {
        self.error.borrow_mut().take().unwrap_or_else(|| RepoError::Remote {
            url: spec.shown().to_string(),
            message: format!("{doing}: {}", e.message()),
        })
    }
}

/// Credentials, host checks and, when someone watches, progress.
fn callbacks<'a>(spec: &'a RemoteSpec, trouble: &'a Trouble, watcher: Option<&'a Watcher>) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |_url, user_from_url, allowed| {
        let tries = trouble.auth_tries.get() + 1;
        trouble.auth_tries.set(tries);
        let host = spec.url.host.clone().unwrap_or_default();
        if tries > 3 {
            return trouble.fail(RepoError::Auth {
                host,
                hint: auth_hint(spec),
            });
        }
        let user = user_from_url.or(spec.url.user.as_deref());
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(user.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            let user = user.unwrap_or("git");
            return match &spec.ssh_key {
                Some(key) => Cred::ssh_key(user, None, key, None),
                None => Cred::ssh_key_from_agent(user),
            };
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            let Some(var) = &spec.token_env else {
                return trouble.fail(RepoError::Auth {
                    host,
                    hint: "the server asks for a login: set [repo] token_env to the name of an environment variable holding an access token".into(),
                });
            };
            let token = match std::env::var(var) {
                Ok(t) if !t.is_empty() => t,
                _ => {
                    return trouble.fail(RepoError::Auth {
                        host,
                        hint: format!("[repo] token_env names {var}, but that environment variable is not set for dtap"),
                    });
                }
            };
            return Cred::userpass_plaintext(user.unwrap_or("x-access-token"), &token);
        }
        trouble.fail(RepoError::Auth {
            host,
            hint: "the server asks for a kind of credentials dtap does not offer (it offers an SSH key or agent, or a token over https)".into(),
        })
    });
    cb.certificate_check(move |cert, host| {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if !spec.allowed_hosts.contains(&host) {
            return trouble.fail(RepoError::HostNotAllowed { host });
        }
        match cert.as_hostkey() {
            Some(key) => match check_host_key(&spec.known_hosts, &host, spec.url.port, key.hostkey().unwrap_or(&[])) {
                Ok(()) => Ok(CertificateCheckStatus::CertificateOk),
                Err(e) => trouble.fail(e),
            },
            // An X.509 certificate: libgit2 has verified it against the system's roots.
            None => Ok(CertificateCheckStatus::CertificatePassthrough),
        }
    });
    if let Some(watcher) = watcher {
        cb.transfer_progress(move |p| {
            watcher.tell(Progress::Objects {
                received: p.received_objects() as u64,
                total: p.total_objects() as u64,
            });
            true
        });
    }
    cb
}

fn auth_hint(spec: &RemoteSpec) -> String {
    match (&spec.token_env, &spec.ssh_key) {
        (Some(var), _) => format!("check the token in {var} and its rights on the repository"),
        (None, Some(key)) => format!("check that the key {} is allowed on the repository", key.display()),
        (None, None) => {
            "check that the ssh-agent holds a key allowed on the repository (ssh-add -l), or set [repo] ssh_key".into()
        }
    }
}

/// Checks an SSH host key against a known_hosts file (plain entries; hashed
/// `|1|` entries cannot be matched and are skipped).
pub fn check_host_key(file: &Path, host: &str, port: Option<u16>, key: &[u8]) -> Result<()> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let names: Vec<String> = match port {
        Some(p) if p != 22 => vec![format!("[{host}]:{p}")],
        _ => vec![host.to_string(), format!("[{host}]:22")],
    };
    let mut listed = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(hosts), Some(_kind), Some(b64)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if !hosts
            .split(',')
            .any(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        {
            continue;
        }
        listed = true;
        if base64_decode(b64).as_deref() == Some(key) {
            return Ok(());
        }
    }
    let known_hosts = file.display().to_string();
    let shown = names[0].clone();
    if listed {
        Err(RepoError::HostKeyMismatch {
            host: shown,
            known_hosts,
        })
    } else {
        Err(RepoError::UnknownHost {
            keyscan: match port {
                Some(p) if p != 22 => format!("ssh-keyscan -p {p} {host}"),
                _ => format!("ssh-keyscan {host}"),
            },
            host: shown,
            known_hosts,
        })
    }
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn write_stamp(repo_dir: &Path) {
    let _ = std::fs::write(repo_dir.join(STAMP), now_millis().to_string());
}

/// The result of one push attempt, before the server is asked where the branch is.
enum Attempt {
    Pushed,
    /// The branch on the server did not hold the expected value.
    LeaseBroken,
    /// The server refused the update, or the transfer broke off.
    NotPushed(String),
}

impl ConfigRepo {
    pub fn with_remote(mut self, spec: RemoteSpec) -> ConfigRepo {
        self.remote = Some(std::sync::Arc::new(spec));
        self
    }

    pub fn remote(&self) -> Option<&RemoteSpec> {
        self.remote.as_deref()
    }

    /// One transfer at a time per process on the cache.
    fn transfer_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.transfer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the cache was last fetched, if ever.
    pub fn last_fetch(&self) -> Option<SystemTime> {
        let text = std::fs::read_to_string(self.path.join(STAMP)).ok()?;
        let millis: u64 = text.trim().parse().ok()?;
        Some(UNIX_EPOCH + Duration::from_millis(millis))
    }

    /// Is the cache older than `[repo] fresh_for`? Never for a local repo.
    pub fn is_stale(&self) -> bool {
        let Some(spec) = self.remote() else { return false };
        self.last_fetch()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_none_or(|age| age >= spec.fresh_for)
    }

    /// Fetches the branch from the remote into the cache (forced: the remote
    /// is the truth). Does nothing for a local repo. With `only_if_stale`,
    /// nothing either when another request fetched while this one waited.
    pub fn fetch(&self, only_if_stale: bool) -> Result<()> {
        let Some(spec) = self.remote() else { return Ok(()) };
        let _one = self.transfer_lock();
        if only_if_stale && !self.is_stale() {
            return Ok(());
        }
        let git = self.open()?;
        self.fetch_into(&git, spec)?;
        write_stamp(&self.path);
        Ok(())
    }

    fn fetch_into(&self, git: &Repository, spec: &RemoteSpec) -> Result<()> {
        let refspec = format!("+{b}:{b}", b = self.branch_ref());
        let mut tries = 0;
        loop {
            let trouble = Trouble::default();
            let watcher = self.progress.as_ref();
            if let Some(w) = watcher {
                w.tell(Progress::Started("fetching the config repo"));
            }
            let mut options = FetchOptions::new();
            options
                .remote_callbacks(callbacks(spec, &trouble, watcher))
                .download_tags(AutotagOption::None)
                .update_fetchhead(false);
            let mut remote = git.remote_anonymous(&spec.url.text)?;
            let result = remote.fetch(&[&refspec], Some(&mut options), Some("dtap: fetch"));
            drop(options);
            if let Some(w) = watcher {
                w.tell(Progress::Finished);
            }
            match result {
                Ok(()) => return Ok(()),
                // Another process updates the same ref this instant: its fetch serves us too.
                Err(e) if e.code() == git2::ErrorCode::Locked && tries < 5 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20 * tries));
                }
                Err(e) => return Err(trouble.explain(spec, "fetch", e)),
            }
        }
    }

    /// Creates the cache by fetching the remote, built beside its place and
    /// renamed into it. `false` (and nothing created) when the remote has no
    /// branch yet.
    pub fn clone_cache(&self) -> Result<bool> {
        let Some(spec) = self.remote() else { return Ok(false) };
        let _one = self.transfer_lock();
        let tmp = self.scratch_path()?;
        let mut opts = RepositoryInitOptions::new();
        opts.bare(true).initial_head(&self.branch_ref()).mkpath(true);
        let found = {
            let git = Repository::init_opts(&tmp, &opts)?;
            let fetched = self.fetch_into(&git, spec);
            if let Err(e) = fetched {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
            git.refname_to_id(&self.branch_ref()).is_ok()
        };
        if !found {
            let _ = std::fs::remove_dir_all(&tmp);
            return Ok(false);
        }
        write_stamp(&tmp);
        if let Err(source) = std::fs::rename(&tmp, &self.path) {
            let _ = std::fs::remove_dir_all(&tmp);
            // Another process (a second command started at the same moment)
            // made the cache first: theirs is as good as ours.
            if self.path.join("HEAD").exists() {
                return Ok(true);
            }
            return Err(RepoError::Io {
                path: self.path.display().to_string(),
                source,
            });
        }
        Ok(true)
    }

    /// A fresh temporary folder beside the repo, for building it before a rename.
    pub(crate) fn scratch_path(&self) -> Result<PathBuf> {
        let parent = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|source| RepoError::Io {
            path: parent.display().to_string(),
            source,
        })?;
        let tmp = parent.join(format!(
            ".{}.tmp-{}",
            self.path.file_name().and_then(|n| n.to_str()).unwrap_or("config.git"),
            std::process::id()
        ));
        if tmp.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        Ok(tmp)
    }

    /// Pushes `commit` to the remote branch only if the branch there still
    /// holds `expected` (`None`: the branch must not exist), then moves the
    /// cache's branch. `Moved` (after a fetch) when the server's branch had
    /// moved on; `PushRejected` when the server refused for another reason.
    pub(crate) fn push_cas(&self, git: &Repository, expected: Option<Oid>, commit: Oid) -> Result<CasOutcome> {
        let Some(spec) = self.remote() else {
            return Err(RepoError::Git(git2::Error::from_str("push without a remote")));
        };
        let _one = self.transfer_lock();
        // libgit2 pushes references, not bare commits: name it for the push.
        let temp = format!("refs/dtap/push/{commit}");
        git.reference(&temp, commit, true, "dtap: push")?;
        let attempt = self.push_once(git, spec, &temp, expected);
        if let Ok(mut r) = git.find_reference(&temp) {
            let _ = r.delete();
        }
        let reason = match attempt? {
            Attempt::Pushed => {
                self.set_cache_branch(git, expected, commit)?;
                write_stamp(&self.path);
                return Ok(CasOutcome::Committed(commit));
            }
            Attempt::LeaseBroken => None,
            Attempt::NotPushed(reason) => Some(reason),
        };
        // Where is the branch now? Only the server can say.
        self.fetch_into(git, spec).map_err(|e| RepoError::PushUnknown {
            url: spec.shown().to_string(),
            reason: reason.clone().unwrap_or_default(),
            fetch: e.to_string(),
        })?;
        write_stamp(&self.path);
        let tip = git.refname_to_id(&self.branch_ref()).ok();
        if tip == Some(commit) {
            return Ok(CasOutcome::Committed(commit));
        }
        if tip != expected {
            return Ok(CasOutcome::Moved);
        }
        Err(RepoError::PushRejected {
            url: spec.shown().to_string(),
            branch: self.branch.clone(),
            reason: reason.unwrap_or_else(|| "no reason given".into()),
        })
    }

    fn push_once(&self, git: &Repository, spec: &RemoteSpec, temp: &str, expected: Option<Oid>) -> Result<Attempt> {
        let branch = self.branch_ref();
        let mut remote = git.remote_anonymous(&spec.url.text)?;
        let trouble = Trouble::default();
        // Connect first: a failure here means nothing was sent.
        let mut conn = remote
            .connect_auth(Direction::Push, Some(callbacks(spec, &trouble, None)), None)
            .map_err(|e| trouble.explain(spec, "connect", e))?;
        let lease_broken = Cell::new(false);
        let status: RefCell<Option<String>> = RefCell::new(None);
        let said = RefCell::new(String::new());
        let mut cb = callbacks(spec, &trouble, None);
        cb.push_negotiation(|updates| {
            for u in updates {
                if u.dst_refname().ok() == Some(branch.as_str()) && u.src() != expected.unwrap_or(Oid::ZERO_SHA1) {
                    lease_broken.set(true);
                    return Err(git2::Error::from_str("the branch on the server moved on"));
                }
            }
            Ok(())
        });
        cb.push_update_reference(|name, st| {
            if let Some(s) = st
                && name == branch
            {
                *status.borrow_mut() = Some(s.to_string());
            }
            Ok(())
        });
        // What the server's hooks print ("remote: ..."), for the error message.
        cb.sideband_progress(|bytes| {
            let mut s = said.borrow_mut();
            if s.len() < 4000 {
                s.push_str(&String::from_utf8_lossy(bytes));
            }
            true
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(cb);
        let result = conn.remote().push(&[format!("{temp}:{branch}")], Some(&mut options));
        drop(options);
        drop(conn);
        if lease_broken.get() {
            return Ok(Attempt::LeaseBroken);
        }
        if let Some(e) = trouble.error.borrow_mut().take() {
            return Err(e);
        }
        // The server's words go to a terminal: no escape sequences.
        let printable = |t: &str| -> String { t.chars().map(|c| if c.is_control() { ' ' } else { c }).collect() };
        let server_said = said
            .borrow()
            .lines()
            .map(printable)
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let with_output = |reason: String| {
            if server_said.is_empty() {
                reason
            } else {
                format!("{reason} (the server said: {server_said})")
            }
        };
        Ok(match (result, status.take()) {
            (Ok(()), None) => Attempt::Pushed,
            (Ok(()), Some(s)) => Attempt::NotPushed(with_output(printable(&s))),
            (Err(e), _) => Attempt::NotPushed(with_output(e.message().to_string())),
        })
    }

    /// After a successful push: the cache's branch follows the server's.
    fn set_cache_branch(&self, git: &Repository, expected: Option<Oid>, commit: Oid) -> Result<()> {
        let branch = self.branch_ref();
        let moved = match expected {
            Some(e) => git.reference_matching(&branch, commit, true, e, "dtap: pushed"),
            None => git.reference(&branch, commit, false, "dtap: pushed"),
        };
        if moved.is_err() {
            // A fetch ran meanwhile; keep what it brought if it already holds the commit.
            let now = git.refname_to_id(&branch).ok();
            let holds = now.is_some_and(|n| n == commit || git.graph_descendant_of(n, commit).unwrap_or(false));
            if !holds {
                git.reference(&branch, commit, true, "dtap: pushed")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_are_matched_against_known_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        // "AAAAC3NzaC1lZDI1NTE5" is the start of every ed25519 key blob.
        std::fs::write(
            &file,
            "# comment\n|1|abc=|def= ssh-ed25519 AAAA\ngit.example.org,10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n[git.example.org]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\n",
        )
        .unwrap();
        let key = base64_decode("AAAAC3NzaC1lZDI1NTE5").unwrap();
        assert_eq!(&key[4..15], b"ssh-ed25519");
        assert!(check_host_key(&file, "git.example.org", None, &key).is_ok());
        assert!(check_host_key(&file, "10.0.0.1", Some(22), &key).is_ok());
        let e = check_host_key(&file, "git.example.org", Some(2222), &key).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        let e = check_host_key(&file, "other.example.org", Some(2200), &key).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("[other.example.org]:2200")
                && m.contains("ssh-keyscan -p 2200 other.example.org")
                && m.contains(&file.display().to_string()),
            "{m}"
        );
        let e = check_host_key(&dir.path().join("missing"), "h", None, &key).unwrap_err();
        assert!(matches!(e, RepoError::UnknownHost { .. }));
    }
}
