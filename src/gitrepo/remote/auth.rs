//! What every transfer answers the server with: credentials (SSH key, agent
//! or token), the allowed-hosts and host key checks, and progress for a
//! watcher; and the error a failed callback leaves behind.

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
}

impl Trouble {
    pub(super) fn fail<T>(&self, e: RepoError) -> std::result::Result<T, git2::Error> {
        let message = e.to_string();
        *self.error.borrow_mut() = Some(e);
        Err(git2::Error::from_str(&message))
    }

    /// The callback's own error when there was one, else the git error explained.
    pub(super) fn explain(&self, spec: &RemoteSpec, doing: &str, e: git2::Error) -> RepoError {
        self.error.borrow_mut().take().unwrap_or_else(|| RepoError::Remote {
            url: spec.shown().to_string(),
            message: format!("{doing}: {}", e.message()),
        })
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
