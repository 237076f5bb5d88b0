//! What every libgit2 transfer (ssh, git://, file://) answers the server
//! with: credentials (an SSH key file or the agent), the allowed-hosts and
//! host key checks, and progress for a watcher; and the error a failed
//! callback leaves behind. https goes through git itself (https.rs).

use std::cell::{Cell, RefCell};

use git2::{CertificateCheckStatus, Cred, CredentialType, RemoteCallbacks};

use super::RemoteSpec;
use super::known_hosts::check_host_key;
use crate::gitrepo::RepoError;
use crate::gitrepo::progress::{Progress, Watcher};

/// What a callback found wrong: reported instead of libgit2's terser message.
#[derive(Default)]
pub(super) struct Trouble {
    pub(super) error: RefCell<Option<RepoError>>,
    auth_tries: Cell<u32>,
    /// An SSH key (file or agent) was offered once.
    key_offered: Cell<bool>,
}

impl Trouble {
    pub(super) fn fail<T>(&self, e: RepoError) -> std::result::Result<T, git2::Error> {
        let message = e.to_string();
        *self.error.borrow_mut() = Some(e);
        Err(git2::Error::from_str(&message))
    }

    /// The callback's own error when there was one, else the git error explained.
    pub(super) fn explain(&self, spec: &RemoteSpec, doing: &str, e: git2::Error) -> RepoError {
        if let Some(mine) = self.error.borrow_mut().take() {
            return mine;
        }
        // libssh2 could not read the key file (before anything was offered).
        if let Some(key) = &spec.ssh_key
            && e.message().contains("private key")
        {
            return RepoError::Auth {
                host: spec.url.host.clone().unwrap_or_default(),
                hint: format!(
                    "dtap could not use the key {} ([repo] ssh_key): {}. A key protected by a passphrase cannot be read by dtap: load it into ssh-agent with ssh-add and leave ssh_key unset",
                    key.display(),
                    e.message()
                ),
            };
        }
        RepoError::Remote {
            url: spec.shown().to_string(),
            message: format!("{doing}: {}", e.message()),
        }
    }
}

/// Credentials, host checks and, when someone watches, progress.
pub(super) fn callbacks<'a>(
    spec: &'a RemoteSpec,
    trouble: &'a Trouble,
    watcher: Option<&'a Watcher>,
) -> RemoteCallbacks<'a> {
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |_url, user_from_url, allowed| {
        let tries = trouble.auth_tries.get() + 1;
        trouble.auth_tries.set(tries);
        let host = spec.url.host.clone().unwrap_or_default();
        let fail = |hint: String| trouble.fail(RepoError::Auth { host: host.clone(), hint });
        if tries > 3 {
            return fail(refused_hint(spec));
        }
        let user = user_from_url.or(spec.url.user.as_deref()).unwrap_or("git");
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(user);
        }
        if !allowed.contains(CredentialType::SSH_KEY) {
            return fail(
                "the server asks for a kind of credentials dtap does not offer over ssh (it offers an SSH key file or the ssh-agent)".into(),
            );
        }
        // Asked again: the server refused what the first answer offered.
        if trouble.key_offered.replace(true) {
            return fail(refused_hint(spec));
        }
        match &spec.ssh_key {
            Some(key) if !key.is_file() => fail(format!(
                "[repo] ssh_key names {}, which does not exist: point it at the private key whose public half the server knows",
                key.display()
            )),
            Some(key) => Cred::ssh_key(user, None, key, None),
            None if std::env::var_os("SSH_AUTH_SOCK").is_none_or(|s| s.is_empty()) => fail(
                "no [repo] ssh_key is set and no ssh-agent runs for dtap (SSH_AUTH_SOCK is not set): set [repo] ssh_key to the private key file the server knows, or start ssh-agent and ssh-add that key".into(),
            ),
            None => Cred::ssh_key_from_agent(user),
        }
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
            // Not an SSH host key: libgit2 here speaks no TLS (https goes through git).
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

/// The server turned the offered key (or every key of the agent) away.
fn refused_hint(spec: &RemoteSpec) -> String {
    match &spec.ssh_key {
        Some(key) => format!(
            "the server refused the key {} ([repo] ssh_key): add its public half ({}.pub) to the repository's deploy keys, or point ssh_key at the key the server knows",
            key.display(),
            key.display()
        ),
        None => "the server refused every key the ssh-agent offered (see `ssh-add -l`): add the right key with ssh-add, or set [repo] ssh_key to its file".into(),
    }
}
