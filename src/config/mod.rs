//! `dtap.toml`, parsed once into typed values: durations, addresses and
//! e-mail addresses are checked when the file is read, never where they are
//! used. Every key can be overridden by an environment variable
//! `DTAP_<SECTION>_<KEY>` (env.rs); what `dtap check` reports beyond values
//! that do not parse is in validate.rs.

pub mod edit;
mod env;
mod secrets;
mod source;
#[cfg(test)]
mod tests;
mod validate;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{Email, Problem, duration, remote_url, size};

pub use secrets::{SecretUrl, redact_url};
pub use source::offset_to_pos;

pub const FILE: &str = "dtap.toml";

const DAY: Duration = Duration::from_secs(86_400);

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub url: SecretUrl,
}
impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: SecretUrl::new("sqlite://.dtap/dtap.db"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepoConfig {
    /// The local bare repository, when there is no `url`.
    pub path: String,
    /// A remote config repo (ssh, https, git or file); dtap then works on a
    /// local cache clone at `cache` and pushes every promotion.
    pub url: Option<SecretUrl>,
    pub branch: String,
    pub cache: String,
    /// Reads fetch first when the cache was last fetched longer ago than this.
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub fresh_for: Duration,
    /// The environment variable holding an https token (never the token itself).
    pub token_env: Option<String>,
    /// An SSH private key file; without it the ssh-agent is asked.
    pub ssh_key: Option<String>,
    /// SSH host keys are checked against this file (`~` is the home folder).
    pub known_hosts: String,
    /// Comma-separated hosts `url` may name (ssh, https, git).
    pub allowed_hosts: String,
    /// https: a PEM file of the CA(s) that sign the git server's certificate
    /// (a company CA), used instead of the system's roots.
    pub ca_file: Option<String>,
}
impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            path: ".dtap/config.git".into(),
            url: None,
            branch: "main".into(),
            cache: ".dtap/repo-cache.git".into(),
            fresh_for: Duration::from_secs(30),
            token_env: None,
            ssh_key: None,
            known_hosts: "~/.ssh/known_hosts".into(),
            allowed_hosts: String::new(),
            ca_file: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub dir: String,
    pub smtp_url: SecretUrl,
    pub from: String,
    /// A mail not delivered by then is given up (dead).
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub give_up_after: Duration,
}
impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: MailTransport::File,
            dir: ".dtap/mail".into(),
            smtp_url: SecretUrl::new("smtp://127.0.0.1:2525"),
            from: "dtap <dtap@example.org>".into(),
            give_up_after: DAY * 4,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    #[serde(deserialize_with = "socket_addr", serialize_with = "shown_socket_addr")]
    pub bind: SocketAddr,
    pub base_url: String,
    /// Every web request acts as this user: for local trials on loopback only.
    pub dev_user: Option<Email>,
    /// A header set by a trusted reverse proxy naming the signed-in user,
    /// e.g. `X-Forwarded-User`; off when empty.
    pub proxy_header: Option<String>,
    /// The addresses the proxy header (and X-Forwarded-For) is accepted
    /// from: a list, or one comma-separated string.
    #[serde(deserialize_with = "ip_list", serialize_with = "shown_ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
    /// The language of pages when the browser states none we have, and of mails: `en` or `nl`.
    pub default_locale: String,
    /// The largest attachment accepted: `"10 MB"`, `"512 KB"` (a KB is 1024 bytes).
    #[serde(deserialize_with = "size::deserialize", serialize_with = "shown_size")]
    pub max_attachment: u64,
}
impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: "http://127.0.0.1:8080".into(),
            dev_user: None,
            proxy_header: None,
            trusted_proxies: Vec::new(),
            default_locale: "en".into(),
            max_attachment: 10 * 1024 * 1024,
        }
    }
}

impl WebConfig {
    /// Is `base_url` the default one (absent, or as `dtap init` writes it)?
    /// Then `serve` puts the address it is bound to in mailed links.
    pub fn base_url_is_default(&self) -> bool {
        self.base_url.trim_end_matches('/') == WebConfig::default().base_url
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignoffConfig {
    /// How long a tester's personal link works.
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub link_ttl: Duration,
    /// A tester who has not answered by then gets a reminder with a fresh link.
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub remind_after: Duration,
    /// Unanswered by then, the release managers of the next environment are told.
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub escalate_after: Duration,
}
impl Default for SignoffConfig {
    fn default() -> Self {
        SignoffConfig {
            link_ttl: DAY * 7,
            remind_after: DAY * 2,
            escalate_after: DAY * 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyConfig {
    /// An emergency promotion is reviewed within this, or escalated.
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub review_within: Duration,
}
impl Default for EmergencyConfig {
    fn default() -> Self {
        EmergencyConfig { review_within: DAY * 2 }
    }
}

/// `[deploy]`: who runs deployments and what they may reach (DESIGN §14).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeploySettings {
    /// Comma-separated hosts that `http` steps may call.
    pub allowed_hosts: String,
    /// A TOML file of secret values (`CRM_TOKEN = "..."`), readable by its owner only.
    pub secrets_file: Option<String>,
    /// A runner's claim on a deployment lasts this long unless renewed.
    #[serde(deserialize_with = "duration::deserialize", serialize_with = "shown_duration")]
    pub lease: Duration,
    /// `dtap serve` checks live drift (the CRM against its folder) this often; unset: never.
    #[serde(deserialize_with = "optional_duration", serialize_with = "shown_optional_duration")]
    pub live_drift_every: Option<Duration>,
}
impl Default for DeploySettings {
    fn default() -> Self {
        DeploySettings {
            allowed_hosts: String::new(),
            secrets_file: None,
            lease: Duration::from_secs(30),
            live_drift_every: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub repo: RepoConfig,
    pub mail: MailConfig,
    pub web: WebConfig,
    pub signoff: SignoffConfig,
    pub emergency: EmergencyConfig,
    pub deploy: DeploySettings,
}

impl Config {
    /// Parses `text` (the content of `dtap.toml`) and applies the overrides
    /// found in `vars` (normally `std::env::vars()`). Every problem is
    /// reported, each at the line or variable that set the value.
    pub fn parse(text: &str, vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, Vec<Problem>> {
        let mut doc = source::Document::parse(text).map_err(|p| vec![p])?;
        env::apply(&mut doc, vars);
        let mut problems = doc.take_bad();
        match doc.config() {
            Ok(mut config) => {
                // An empty url (`DTAP_REPO_URL=`) means no remote: the local
                // bare repo at `path`, as a restore drill reads its bundle.
                if config.repo.url.as_ref().is_some_and(|u| u.expose().trim().is_empty()) {
                    config.repo.url = None;
                }
                problems.extend(validate::problems(&config, &doc));
                if problems.is_empty() {
                    return Ok(config);
                }
            }
            Err(p) => problems.push(p),
        }
        problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        Err(problems)
    }

    /// `[repo] allowed_hosts`, lower-cased.
    pub fn allowed_hosts(&self) -> Vec<String> {
        self.repo
            .allowed_hosts
            .split(',')
            .map(|h| {
                h.trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_ascii_lowercase()
            })
            .filter(|h| !h.is_empty())
            .collect()
    }

    /// Hosts `http` deploy steps may call: `[deploy] allowed_hosts`, lower-cased.
    pub fn deploy_hosts(&self) -> Vec<String> {
        self.deploy
            .allowed_hosts
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    }

    /// The parsed `repo.url`, when the config repo is remote (validated at parse).
    pub fn remote_url(&self) -> Option<remote_url::RemoteUrl> {
        self.repo.url.as_ref().and_then(|u| remote_url::parse(u.expose()).ok())
    }

    /// A path that may start with `~/`, resolved against the home folder, then the workspace.
    pub fn resolve_home(workspace: &Path, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => Self::resolve(workspace, path),
        }
    }

    /// Resolves a path from the config against the workspace folder.
    pub fn resolve(workspace: &Path, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            workspace.join(p)
        }
    }

    /// The SQLite file for a `sqlite:` URL, resolved against the workspace.
    pub fn sqlite_path(&self, workspace: &Path) -> Option<PathBuf> {
        let url = self.database.url.expose();
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let file = rest.split('?').next().unwrap_or(rest);
        Some(Self::resolve(workspace, file))
    }

    /// The repository dtap reads and writes: the local bare repo, or the
    /// cache clone of a remote one.
    pub fn repo_path(&self, workspace: &Path) -> PathBuf {
        if self.repo.url.is_some() {
            Self::resolve(workspace, &self.repo.cache)
        } else {
            Self::resolve(workspace, &self.repo.path)
        }
    }

    pub fn mail_dir(&self, workspace: &Path) -> PathBuf {
        Self::resolve(workspace, &self.mail.dir)
    }
}

fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse()
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not an address with a port, e.g. 127.0.0.1:8080")))
}

/// `trusted_proxies`: a list (`["127.0.0.1", "10.0.0.2"]`) or one
/// comma-separated string (`"127.0.0.1, 10.0.0.2"`, as `DTAP_*` variables
/// and `dtap config set` write it).
fn ip_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        List(Vec<String>),
    }
    let parts: Vec<String> = match Written::deserialize(d)? {
        Written::Text(text) => text.split(',').map(str::to_string).collect(),
        Written::List(list) => list,
    };
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|_| serde::de::Error::custom(format!("`{p}` is not an IP address")))
        })
        .collect()
}

fn shown_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&duration::format(*d))
}

fn optional_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration::deserialize(d).map(Some)
}

fn shown_optional_duration<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&duration::format(*d)),
        None => s.serialize_none(),
    }
}

fn shown_size<S: Serializer>(bytes: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&size::format(*bytes))
}

fn shown_socket_addr<S: Serializer>(a: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(a)
}

fn shown_ip_list<S: Serializer>(list: &[IpAddr], s: S) -> Result<S::Ok, S::Error> {
    let text: Vec<String> = list.iter().map(IpAddr::to_string).collect();
    s.serialize_str(&text.join(", "))
}
