//! https remotes through the system `git` program (as cargo's
//! `net.git-fetch-with-cli`): libgit2's own https would initialise OpenSSL,
//! which parses the whole system CA store, on every command, also those that
//! never touch the network.
//!
//! The token goes to git through its environment (`GIT_CONFIG_COUNT`,
//! setting `http.extraHeader`), never on a command line and never into the
//! cache clone's config. git runs without the user's or the system's git
//! config and without inherited `GIT_*` variables, asks nobody for a
//! password, and follows no redirects: the token reaches only the host in
//! `[repo] url`. `[repo] ca_file` becomes `http.sslCAInfo`. Whatever git
//! says is scrubbed of the token before it reaches a message.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use git2::Oid;

use super::RemoteSpec;
use super::push::{Attempt, server_words};
use crate::domain::base64;
use crate::gitrepo::{RepoError, Result};

/// What a transfer does with the repository: the token's rights depend on it.
#[derive(Clone, Copy)]
enum Access {
    Read,
    Write,
}

impl Access {
    /// The rights a token needs, as the common git hosts name them.
    fn scope(self) -> &'static str {
        match self {
            Access::Read => {
                "read the repository (Azure DevOps: scope \"Code (Read)\"; GitHub: \"Contents: Read-only\"; GitLab: \"read_repository\")"
            }
            Access::Write => {
                "read and write the repository (Azure DevOps: scope \"Code (Read & write)\"; GitHub: \"Contents: Read and write\"; GitLab: \"write_repository\")"
            }
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Access::Read => "fetch from",
            Access::Write => "push to",
        }
    }
}

/// `git` set up to talk to the remote, and the strings to scrub from what it says.
struct Git<'a> {
    spec: &'a RemoteSpec,
    access: Access,
    /// `Basic <base64 of user:token>`, when `[repo] token_env` is set.
    authorization: Option<String>,
    /// The token and its encoded header: never shown, whatever git says.
    secrets: Vec<String>,
}

impl<'a> Git<'a> {
    fn new(spec: &'a RemoteSpec, access: Access) -> Result<Git<'a>> {
        let mut git = Git {
            spec,
            access,
            authorization: None,
            secrets: Vec::new(),
        };
        if let Some(var) = &spec.token_env {
            let token = match std::env::var(var) {
                Ok(t) if !t.trim().is_empty() => t,
                _ => {
                    return Err(RepoError::Auth {
                        host: host(spec),
                        hint: format!(
                            "[repo] token_env names {var}, but that environment variable is not set for dtap: set it to an access token that may {}",
                            access.scope()
                        ),
                    });
                }
            };
            // Any user name goes with a token on Azure DevOps, GitHub and GitLab.
            let user = spec.url.user.as_deref().unwrap_or("x-access-token");
            let basic = base64::encode(format!("{user}:{token}").as_bytes());
            git.authorization = Some(format!("Basic {basic}"));
            git.secrets = vec![token, basic];
        }
        Ok(git)
    }

    /// Runs `git --git-dir <git_dir> <args>` and waits for it.
    fn run(&self, git_dir: &Path, args: &[&str]) -> Result<Output> {
        let mut settings: Vec<(&str, String)> = vec![
            // No stored or prompted credentials: the token below or nothing.
            ("credential.helper", String::new()),
            ("http.followRedirects", "false".into()),
            // A stalled transfer gives up instead of hanging a promotion.
            ("http.lowSpeedLimit", "1000".into()),
            ("http.lowSpeedTime", "60".into()),
            ("protocol.allow", "never".into()),
            ("protocol.https.allow", "always".into()),
            ("gc.auto", "0".into()),
            ("maintenance.auto", "false".into()),
            // The cache is dtap's own, whoever owns its folder (git refuses
            // "dubious ownership" otherwise, and the user's config is not read).
            ("safe.directory", git_dir.display().to_string()),
        ];
        if let Some(a) = &self.authorization {
            settings.push(("http.extraHeader", format!("Authorization: {a}")));
        }
        if let Some(ca) = &self.spec.ca_file {
            if std::fs::metadata(ca).is_err() {
                return Err(RepoError::UntrustedCertificate {
                    host: host(self.spec),
                    detail: format!("[repo] ca_file names {}, which cannot be read", ca.display()),
                    fix: "point repo.ca_file at the company CA's certificate (a PEM file), e.g. `dtap config set repo.ca_file /etc/ssl/company-ca.pem`".into(),
                });
            }
            settings.push(("http.sslCAInfo", ca.display().to_string()));
        }
        let mut cmd = Command::new("git");
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("GIT_")) {
                cmd.env_remove(name);
            }
        }
        cmd.env_remove("SSH_ASKPASS")
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_COUNT", settings.len().to_string());
        for (i, (key, value)) in settings.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
                .env(format!("GIT_CONFIG_VALUE_{i}"), value);
        }
        cmd.arg("--git-dir").arg(git_dir).args(args).stdin(Stdio::null());
        let out = cmd.output().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RepoError::GitProgramMissing,
            _ => RepoError::Remote {
                url: self.spec.shown().to_string(),
                message: format!("could not run git: {e}"),
            },
        })?;
        Ok(out)
    }

    /// What git wrote to stderr, without the token, without terminal escapes.
    fn said(&self, out: &Output) -> String {
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        for s in &self.secrets {
            text = text.replace(s.as_str(), "***");
        }
        text.chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect()
    }

    /// Why git failed, in dtap's words where dtap knows better.
    fn failure(&self, said: &str) -> RepoError {
        let host = host(self.spec);
        let lower = said.to_ascii_lowercase();
        let var = self.spec.token_env.as_deref();
        let scope = self.access.scope();
        let auth = |hint: String| RepoError::Auth {
            host: host.clone(),
            hint,
        };
        if lower.contains("terminal prompts disabled")
            || lower.contains("could not read username")
            || lower.contains("authentication failed")
            || lower.contains("returned error: 401")
        {
            return auth(match var {
                Some(var) => format!(
                    "the server did not accept the token in {var} (HTTP 401): it may be mistyped, expired or revoked. dtap needs a token that may {scope}"
                ),
                None => format!(
                    "the server asks for a login (HTTP 401): set [repo] token_env to the name of an environment variable holding an access token that may {scope}"
                ),
            });
        }
        if lower.contains("returned error: 403") {
            let verb = self.access.verb();
            return auth(match var {
                Some(var) => format!(
                    "the server accepted the token in {var} but refused to let it {verb} the repository (HTTP 403): give the token the right to {scope}"
                ),
                None => format!(
                    "the server refused to let dtap {verb} the repository without a token (HTTP 403): set [repo] token_env to the name of an environment variable holding an access token that may {scope}"
                ),
            });
        }
        if lower.contains("certificate") && (lower.contains("verif") || lower.contains("problem")) {
            let detail = last_fatal(said);
            return RepoError::UntrustedCertificate {
                fix: match &self.spec.ca_file {
                    Some(ca) => format!(
                        "it is not signed by a CA in [repo] ca_file ({}); get the right CA certificate (a PEM file) from the server's admins and point repo.ca_file at it",
                        ca.display()
                    ),
                    None => "if your company signs its servers' certificates, get its CA certificate (a PEM file) and run `dtap config set repo.ca_file /path/to/ca.pem`".into(),
                },
                host,
                detail,
            };
        }
        if let Some(code) = ["301", "302", "303", "307", "308"]
            .into_iter()
            .find(|c| lower.contains(&format!("returned error: {c}")))
        {
            return RepoError::Remote {
                url: self.spec.shown().to_string(),
                message: format!(
                    "the server redirects elsewhere (HTTP {code}) and dtap follows no redirects, so the token stays with {host}: put the repository's current address in [repo] url"
                ),
            };
        }
        RepoError::Remote {
            url: self.spec.shown().to_string(),
            message: last_fatal(said),
        }
    }
}

fn host(spec: &RemoteSpec) -> String {
    spec.url.host.clone().unwrap_or_default()
}

/// git's own explanation: its `fatal:`/`error:` lines, else everything it said.
fn last_fatal(said: &str) -> String {
    let lines: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .collect();
    let text = if lines.is_empty() {
        said.trim().to_string()
    } else {
        lines.join("; ")
    };
    let text = text.replace("fatal: ", "").replace("error: ", "");
    if text.is_empty() {
        "git ended without saying why".into()
    } else {
        text
    }
}

/// Fetches `branch_ref` (forced) from the remote into the repo at `git_dir`.
/// Nothing, and no error, when the remote has no such branch yet.
pub(super) fn fetch(spec: &RemoteSpec, git_dir: &Path, branch_ref: &str) -> Result<()> {
    let git = Git::new(spec, Access::Read)?;
    let refspec = format!("+{branch_ref}:{branch_ref}");
    let args = [
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--update-head-ok",
        "--no-recurse-submodules",
        spec.url.text.as_str(),
        refspec.as_str(),
    ];
    let mut tries = 0;
    loop {
        let out = git.run(git_dir, &args)?;
        if out.status.success() {
            return Ok(());
        }
        let said = git.said(&out);
        if said.contains("couldn't find remote ref") {
            return Ok(());
        }
        // Another process updates the same ref this instant: its fetch serves us too.
        if (said.contains("cannot lock ref") || said.contains(".lock'")) && tries < 5 {
            tries += 1;
            std::thread::sleep(Duration::from_millis(20 * tries));
            continue;
        }
        return Err(git.failure(&said));
    }
}

/// Pushes `source` (a ref in the repo at `git_dir`) to `branch_ref` on the
/// remote, only if the remote's branch holds `expected` (`None`: it must
/// not exist).
pub(super) fn push(
    spec: &RemoteSpec,
    git_dir: &Path,
    source: &str,
    branch_ref: &str,
    expected: Option<Oid>,
) -> Result<Attempt> {
    let git = Git::new(spec, Access::Write)?;
    let lease = format!(
        "--force-with-lease={branch_ref}:{}",
        expected.map(|o| o.to_string()).unwrap_or_default()
    );
    let refspec = format!("{source}:{branch_ref}");
    let out = git.run(
        git_dir,
        &[
            "push",
            "--porcelain",
            "--no-verify",
            &lease,
            spec.url.text.as_str(),
            refspec.as_str(),
        ],
    )?;
    let said = git.said(&out);
    // `<flag>\t<from>:<to>\t<summary>` per ref (git-push(1), --porcelain).
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| {
        let mut fields = l.split('\t');
        let flag = fields.next()?;
        let to = fields.next()?;
        to.ends_with(&format!(":{branch_ref}"))
            .then(|| (flag.to_string(), fields.next().unwrap_or("").to_string()))
    });
    let from_server: String = said
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("remote:"))
        .collect::<Vec<_>>()
        .join("\n");
    let with_output = |reason: String| {
        let server_said = server_words(&from_server);
        if server_said.is_empty() {
            reason
        } else {
            format!("{reason} (the server said: {server_said})")
        }
    };
    Ok(match line {
        Some((flag, summary)) if flag.trim() == "!" => {
            if summary.contains("stale info") {
                Attempt::LeaseBroken
            } else {
                Attempt::NotPushed(with_output(summary.trim().to_string()))
            }
        }
        Some(_) => Attempt::Pushed,
        None if out.status.success() => Attempt::Pushed,
        None => match git.failure(&said) {
            // git's "unable to access" comes from its first request, which
            // sends nothing: the server was never reached, or refused us.
            e @ RepoError::Remote { .. } if said.contains("unable to access") => return Err(e),
            RepoError::Remote { message, .. } => Attempt::NotPushed(with_output(message)),
            e => return Err(e),
        },
    })
}
