//! `dtap.toml`, parsed once into typed structs. Every key can be overridden by
//! an environment variable `DTAP_<SECTION>_<KEY>`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::domain::{Pos, Problem, duration, remote_url};

pub const FILE: &str = "dtap.toml";

/// Sections and their keys; also what environment overrides may name.
const KEYS: &[(&str, &[&str])] = &[
    ("database", &["url"]),
    (
        "repo",
        &[
            "path",
            "url",
            "branch",
            "cache",
            "fresh_for",
            "token_env",
            "ssh_key",
            "known_hosts",
            "allowed_hosts",
        ],
    ),
    ("mail", &["transport", "dir", "smtp_url", "from", "give_up_after"]),
    (
        "web",
        &[
            "bind",
            "base_url",
            "dev_user",
            "proxy_header",
            "trusted_proxies",
            "default_locale",
        ],
    ),
    ("signoff", &["link_ttl", "remind_after", "escalate_after"]),
    ("emergency", &["review_within"]),
];

/// A string that may hold a password (a database or SMTP URL). Its Debug and
/// Display never show the password.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(s: impl Into<String>) -> Self {
        SecretUrl(s.into())
    }
    /// The URL with its password; only for handing to a driver.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}
impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `scheme://user:password@host` → `scheme://user:***@host`; also hides
/// `password=` query parameters.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = rest_start + colon + 1;
                out.replace_range(start..rest_start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("token") => {
                    format!("{k}=***")
                }
                _ => kv.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{query}");
    }
    out
}

#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Deserialize)]
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
    pub fresh_for: String,
    /// The environment variable holding an https token (never the token itself).
    pub token_env: Option<String>,
    /// An SSH private key file; without it the ssh-agent is asked.
    pub ssh_key: Option<String>,
    /// SSH host keys are checked against this file (`~` is the home folder).
    pub known_hosts: String,
    /// Comma-separated hosts `url` may name (ssh, https, git).
    pub allowed_hosts: String,
}
impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            path: ".dtap/config.git".into(),
            url: None,
            branch: "main".into(),
            cache: ".dtap/repo-cache.git".into(),
            fresh_for: "30s".into(),
            token_env: None,
            ssh_key: None,
            known_hosts: "~/.ssh/known_hosts".into(),
            allowed_hosts: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub dir: String,
    pub smtp_url: SecretUrl,
    pub from: String,
    pub give_up_after: String,
}
impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: MailTransport::File,
            dir: ".dtap/mail".into(),
            smtp_url: SecretUrl::new("smtp://127.0.0.1:2525"),
            from: "dtap <dtap@example.org>".into(),
            give_up_after: "4d".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    pub bind: String,
    pub base_url: String,
    /// Every web request acts as this user: for local trials on loopback only.
    pub dev_user: Option<String>,
    /// A header set by a trusted reverse proxy naming the signed-in user,
    /// e.g. `X-Forwarded-User`; off when empty.
    pub proxy_header: Option<String>,
    /// Comma-separated addresses the proxy header is accepted from.
    pub trusted_proxies: String,
    /// The language of pages when the browser states none we have, and of mails: `en` or `nl`.
    pub default_locale: String,
}
impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            dev_user: None,
            proxy_header: None,
            trusted_proxies: String::new(),
            default_locale: "en".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignoffConfig {
    pub link_ttl: String,
    pub remind_after: String,
    pub escalate_after: String,
}
impl Default for SignoffConfig {
    fn default() -> Self {
        SignoffConfig {
            link_ttl: "7d".into(),
            remind_after: "2d".into(),
            escalate_after: "5d".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyConfig {
    pub review_within: String,
}
impl Default for EmergencyConfig {
    fn default() -> Self {
        EmergencyConfig {
            review_within: "2d".into(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub repo: RepoConfig,
    pub mail: MailConfig,
    pub web: WebConfig,
    pub signoff: SignoffConfig,
    pub emergency: EmergencyConfig,
}

impl Config {
    /// Parses `text` (the content of `dtap.toml`) and applies the overrides
    /// found in `vars` (normally `std::env::vars()`).
    pub fn parse(text: &str, vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, Vec<Problem>> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| vec![toml_problem(text, &e)])?;
        let mut problems = Vec::new();
        for (var, value) in vars {
            let Some(rest) = var.strip_prefix("DTAP_") else {
                continue;
            };
            let rest = rest.to_ascii_lowercase();
            let Some((section, key)) = rest.split_once('_') else {
                continue;
            };
            let Some((_, keys)) = KEYS.iter().find(|(s, _)| *s == section) else {
                continue;
            };
            if !keys.contains(&key) {
                problems.push(Problem::file(
                    format!("environment variable {var}"),
                    format!("unknown key `{key}` in [{section}]; known keys: {}", keys.join(", ")),
                ));
                continue;
            }
            let entry = table
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                t.insert(key.to_string(), toml::Value::String(value));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let config: Config = table.try_into().map_err(|e: toml::de::Error| {
            // The merged table has no spans; find the offending key in the text for a line.
            vec![locate_key_problem(text, &e)]
        })?;
        config.validate(text)?;
        Ok(config)
    }

    fn validate(&self, text: &str) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let mut bad = |section: &str, key: &str, message: String| {
            problems.push(Problem::at(
                FILE,
                find_key(text, section, key),
                format!("[{section}] {key}: {message}"),
            ));
        };
        for (section, key, value) in [
            ("mail", "give_up_after", &self.mail.give_up_after),
            ("signoff", "link_ttl", &self.signoff.link_ttl),
            ("signoff", "remind_after", &self.signoff.remind_after),
            ("signoff", "escalate_after", &self.signoff.escalate_after),
            ("emergency", "review_within", &self.emergency.review_within),
            ("repo", "fresh_for", &self.repo.fresh_for),
        ] {
            if let Err(e) = duration::parse(value) {
                bad(section, key, e.to_string());
            }
        }
        if self.web.bind.parse::<SocketAddr>().is_err() {
            bad(
                "web",
                "bind",
                format!("`{}` is not an address with a port, e.g. 127.0.0.1:8080", self.web.bind),
            );
        }
        if !(self.web.base_url.starts_with("http://") || self.web.base_url.starts_with("https://")) {
            bad(
                "web",
                "base_url",
                format!("`{}` must start with http:// or https://", self.web.base_url),
            );
        }
        if !["en", "nl"].contains(&self.web.default_locale.as_str()) {
            bad(
                "web",
                "default_locale",
                format!(
                    "`{}` is not a language dtap speaks: use \"en\" or \"nl\"",
                    self.web.default_locale
                ),
            );
        }
        if let Some(u) = &self.web.dev_user
            && !crate::domain::names::is_email(u)
        {
            bad("web", "dev_user", format!("`{u}` is not an e-mail address"));
        }
        for p in self
            .web
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if p.parse::<std::net::IpAddr>().is_err() {
                bad("web", "trusted_proxies", format!("`{p}` is not an IP address"));
            }
        }
        if self
            .web
            .proxy_header
            .as_deref()
            .is_some_and(|h| axum::http::HeaderName::from_bytes(h.as_bytes()).is_err())
        {
            bad("web", "proxy_header", "is not a valid header name".into());
        }
        let db = self.database.url.expose();
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            bad(
                "database",
                "url",
                format!("`{}` is not a sqlite: or postgres:// URL", self.database.url),
            );
        }
        if self.repo.branch.trim().is_empty() || git_ref_unsafe(&self.repo.branch) {
            bad(
                "repo",
                "branch",
                format!("`{}` is not a valid branch name", self.repo.branch),
            );
        }
        for (key, message) in self.repo_problems() {
            bad("repo", key, message);
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// What is wrong with the remote settings of `[repo]`, key by key.
    fn repo_problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let r = &self.repo;
        if let Some(name) = &r.token_env
            && (name.is_empty()
                || name.starts_with(|c: char| c.is_ascii_digit())
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            out.push((
                "token_env",
                format!("`{name}` is not an environment variable name, e.g. DTAP_REPO_TOKEN (the token itself goes in that variable, never in dtap.toml)"),
            ));
        }
        let Some(url) = &r.url else { return out };
        let parsed = match remote_url::parse(url.expose()) {
            Ok(u) => u,
            Err(e) => {
                out.push(("url", e));
                return out;
            }
        };
        if parsed.scheme == remote_url::Scheme::Https && !cfg!(feature = "https") {
            // libgit2 with OpenSSL parses the whole system CA store when it
            // starts: ~20 ms on every command, so https is a build option.
            out.push((
                "url",
                "https:// needs dtap built with `cargo build --release --features https`; \
                 or use ssh:// (a deploy key) or git:// on a trusted network"
                    .into(),
            ));
        }
        if let Some(host) = &parsed.host
            && !self.allowed_hosts().iter().any(|h| h == host)
        {
            out.push((
                "url",
                format!("the host `{host}` is not in [repo] allowed_hosts: add it there (allowed_hosts = \"{host}\") if dtap may push to it"),
            ));
        }
        if r.cache.trim().is_empty() {
            out.push(("cache", "is empty: name a folder for the local cache clone".into()));
        }
        out
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

    /// The parsed `repo.url`, when the config repo is remote (validated at parse).
    pub fn remote_url(&self) -> Option<remote_url::RemoteUrl> {
        self.repo.url.as_ref().and_then(|u| remote_url::parse(u.expose()).ok())
    }

    pub fn fresh_for(&self) -> Duration {
        duration::parse(&self.repo.fresh_for).unwrap_or(Duration::from_secs(30))
    }

    /// A path that may start with `~/`, resolved against the home folder, then the workspace.
    pub fn resolve_home(workspace: &Path, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => Self::resolve(workspace, path),
        }
    }

    /// The addresses a proxy header is accepted from.
    pub fn trusted_proxies(&self) -> Vec<std::net::IpAddr> {
        self.web
            .trusted_proxies
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    }

    pub fn link_ttl(&self) -> Duration {
        duration::parse(&self.signoff.link_ttl).unwrap_or(Duration::from_secs(7 * 86_400))
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

fn git_ref_unsafe(b: &str) -> bool {
    b.contains("..")
        || b.contains(' ')
        || b.contains('~')
        || b.contains('^')
        || b.contains(':')
        || b.starts_with('-')
        || b.ends_with('/')
}

fn toml_problem(text: &str, e: &toml::de::Error) -> Problem {
    let pos = e.span().map(|s| offset_to_pos(text, s.start)).unwrap_or_default();
    Problem::at(FILE, pos, e.message().trim().to_string())
}

fn locate_key_problem(text: &str, e: &toml::de::Error) -> Problem {
    let message = e.message().trim().to_string();
    // "unknown field `x`, expected ..." names the key: point at its line.
    let key = message.split('`').nth(1).unwrap_or("");
    let pos = text
        .lines()
        .enumerate()
        .find(|(_, l)| {
            let t = l.trim_start();
            !key.is_empty()
                && (t.starts_with(&format!("{key} ")) || t.starts_with(&format!("{key}=")) || t == format!("[{key}]"))
        })
        .map(|(i, l)| Pos::new(i as u32 + 1, (l.len() - l.trim_start().len()) as u32 + 1))
        .unwrap_or_default();
    let message = if message.starts_with("unknown field") {
        message.replacen("unknown field", "unknown key", 1)
    } else {
        message
    };
    Problem::at(FILE, pos, message)
}

/// Where `key` is set inside `[section]`, for pointing at a bad value.
fn find_key(text: &str, section: &str, key: &str) -> Pos {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            current = t.trim_matches(['[', ']']).trim().to_string();
        } else if current == section && t.split('=').next().map(str::trim) == Some(key) {
            return Pos::new(i as u32 + 1, (line.len() - line.trim_start().len()) as u32 + 1);
        }
    }
    Pos::default()
}

pub fn offset_to_pos(text: &str, offset: usize) -> Pos {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    Pos::new(line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env() -> Vec<(String, String)> {
        vec![]
    }

    #[test]
    fn defaults_need_no_server() {
        let c = Config::parse("", no_env()).unwrap();
        assert_eq!(c.database.url.expose(), "sqlite://.dtap/dtap.db");
        assert_eq!(c.repo.path, ".dtap/config.git");
        assert_eq!(c.repo.branch, "main");
        assert_eq!(c.mail.transport, MailTransport::File);
        assert_eq!(c.mail.dir, ".dtap/mail");
        assert_eq!(c.web.bind, "127.0.0.1:8080");
        assert_eq!(c.link_ttl(), Duration::from_secs(7 * 86_400));
        assert_eq!(c.sqlite_path(Path::new("/w")).unwrap(), Path::new("/w/.dtap/dtap.db"));
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let err = Config::parse("[web]\nbind = \"127.0.0.1:9000\"\nport = 9000\n", no_env()).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].line, Some(3));
        assert!(err[0].message.contains("unknown key `port`"), "{}", err[0]);
        let err = Config::parse("[webb]\n", no_env()).unwrap_err();
        assert!(err[0].message.contains("`webb`"), "{}", err[0]);
        assert_eq!(err[0].line, Some(1));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = Config::parse("[web]\nbind = \n", no_env()).unwrap_err();
        assert_eq!(err[0].file, "dtap.toml");
        assert_eq!(err[0].line, Some(2));
    }

    #[test]
    fn environment_overrides_every_key() {
        let env = vec![
            ("DTAP_MAIL_SMTP_URL".to_string(), "smtp://u:pw@mail:25".to_string()),
            ("DTAP_MAIL_TRANSPORT".to_string(), "smtp".to_string()),
            ("DTAP_WEB_BIND".to_string(), "0.0.0.0:9000".to_string()),
            (
                "DTAP_DATABASE_URL".to_string(),
                "postgres://dtap:secret@db/dtap".to_string(),
            ),
            ("DTAP_WORKSPACE".to_string(), "/elsewhere".to_string()),
            ("DTAP_USER".to_string(), "anna@example.org".to_string()),
        ];
        let c = Config::parse("[web]\nbind = \"127.0.0.1:1\"\n", env).unwrap();
        assert_eq!(c.mail.smtp_url.expose(), "smtp://u:pw@mail:25");
        assert_eq!(c.mail.transport, MailTransport::Smtp);
        assert_eq!(c.web.bind, "0.0.0.0:9000");
        let err = Config::parse("", vec![("DTAP_WEB_PORT".to_string(), "1".to_string())]).unwrap_err();
        assert_eq!(err[0].file, "environment variable DTAP_WEB_PORT");
        assert!(err[0].message.contains("unknown key `port` in [web]"));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = Config::parse(
            "[database]\nurl = \"postgres://dtap:hunter2@db/dtap?password=other\"\n[mail]\nsmtp_url = \"smtps://bot:s3cret@mail.example.org:465\"\n",
            no_env(),
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cret") && !debug.contains("other"),
            "{debug}"
        );
        assert!(debug.contains("postgres://dtap:***@db/dtap?password=***"), "{debug}");
        assert!(debug.contains("smtps://bot:***@mail.example.org:465"));
    }

    #[test]
    fn remote_repo_settings_are_checked_at_parse_time() {
        let c = Config::parse(
            "[repo]\nurl = \"ssh://git@git.example.org/crm/config.git\"\nallowed_hosts = \"git.example.org, backup.example.org\"\n",
            no_env(),
        )
        .unwrap();
        assert_eq!(c.repo_path(Path::new("/w")), Path::new("/w/.dtap/repo-cache.git"));
        assert_eq!(c.fresh_for(), Duration::from_secs(30));
        assert_eq!(c.allowed_hosts(), vec!["git.example.org", "backup.example.org"]);
        let local = Config::parse("", no_env()).unwrap();
        assert_eq!(local.repo_path(Path::new("/w")), Path::new("/w/.dtap/config.git"));
        assert!(local.remote_url().is_none());

        let err = Config::parse("[repo]\nbranch = \"main\"\nurl = \"ext::sh -c evil\"\n", no_env()).unwrap_err();
        assert_eq!(err[0].line, Some(3), "{err:?}");
        assert!(
            err[0]
                .message
                .contains("[repo] url: the transport `ext::` is not allowed"),
            "{}",
            err[0]
        );
        let err = Config::parse("[repo]\nurl = \"git://evil.example.org/x.git\"\n", no_env()).unwrap_err();
        assert!(
            err[0].message.contains("allowed_hosts = \"evil.example.org\""),
            "{}",
            err[0]
        );
        let err = Config::parse(
            "[repo]\nurl = \"file:///srv/x.git\"\nfresh_for = \"soon\"\ntoken_env = \"ghp_abc-123\"\n",
            no_env(),
        )
        .unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        let env = vec![("DTAP_REPO_URL".to_string(), "ext::x".to_string())];
        assert!(Config::parse("", env).unwrap_err()[0].message.contains("`ext::`"));
    }

    #[test]
    fn default_locale_is_en_or_nl() {
        assert_eq!(Config::parse("", no_env()).unwrap().web.default_locale, "en");
        let c = Config::parse("[web]\ndefault_locale = \"nl\"\n", no_env()).unwrap();
        assert_eq!(c.web.default_locale, "nl");
        let err = Config::parse("[web]\nbind = \"127.0.0.1:1\"\ndefault_locale = \"fr\"\n", no_env()).unwrap_err();
        assert_eq!(err[0].line, Some(3));
        assert!(err[0].message.contains("[web] default_locale: `fr`"), "{}", err[0]);
        let env = vec![("DTAP_WEB_DEFAULT_LOCALE".to_string(), "nl".to_string())];
        assert_eq!(Config::parse("", env).unwrap().web.default_locale, "nl");
    }

    #[test]
    fn bad_values_point_at_their_key() {
        let text = "[signoff]\nlink_ttl = \"a week\"\n[web]\nbind = \"localhost\"\ndev_user = \"me\"\n[mail]\ntransport = \"pigeon\"\n";
        let err = Config::parse(text, no_env()).unwrap_err();
        assert!(err[0].message.contains("pigeon"), "{err:?}");
        let text = "[signoff]\nlink_ttl = \"a week\"\n[web]\nbind = \"localhost\"\ndev_user = \"me\"\n";
        let err = Config::parse(text, no_env()).unwrap_err();
        let lines: Vec<_> = err.iter().map(|p| (p.line, p.message.clone())).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0].0, Some(2));
        assert!(lines[0].1.contains("[signoff] link_ttl: invalid duration"));
        assert_eq!(lines[1].0, Some(4));
        assert_eq!(lines[2].0, Some(5));
    }
}
