//! What `dtap check` reports about settings that parse but cannot work, each
//! put where its value was set (a line of dtap.toml or a variable).

use super::Config;
use super::source::Document;
use crate::domain::{Problem, remote_url};

pub(super) fn problems(config: &Config, doc: &Document<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut bad = |section: &str, key: &str, message: String| out.push(doc.problem(section, key, message));
    let web = &config.web;
    if !(web.base_url.starts_with("http://") || web.base_url.starts_with("https://")) {
        bad(
            "web",
            "base_url",
            format!("`{}` must start with http:// or https://", web.base_url),
        );
    }
    if !["en", "nl"].contains(&web.default_locale.as_str()) {
        bad(
            "web",
            "default_locale",
            format!(
                "`{}` is not a language dtap speaks: use \"en\" or \"nl\"",
                web.default_locale
            ),
        );
    }
    if let Some(h) = &web.proxy_header
        && !is_header_name(h)
    {
        bad("web", "proxy_header", "is not a valid header name".into());
    }
    let db = config.database.url.expose();
    if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
        bad(
            "database",
            "url",
            format!("`{}` is not a sqlite: or postgres:// URL", config.database.url),
        );
    }
    if config.repo.branch.trim().is_empty() || git_ref_unsafe(&config.repo.branch) {
        bad(
            "repo",
            "branch",
            format!("`{}` is not a valid branch name", config.repo.branch),
        );
    }
    for (key, message) in repo_problems(config) {
        bad("repo", key, message);
    }
    out
}

/// What is wrong with the remote settings of `[repo]`, key by key.
fn repo_problems(config: &Config) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let r = &config.repo;
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
    if let Some(host) = &parsed.host
        && !config.allowed_hosts().iter().any(|h| h == host)
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

/// An HTTP field name: one or more RFC 7230 token characters. Empty means
/// "no proxy header", which is allowed.
fn is_header_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
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

#[cfg(test)]
mod tests {
    use super::is_header_name;

    #[test]
    fn header_names_are_tokens() {
        for ok in [
            "X-Forwarded-User",
            "x-remote-user",
            "Remote_User",
            "a!#$%&'*+-.^_`|~1",
            "",
        ] {
            assert!(is_header_name(ok), "{ok}");
        }
        for bad in ["X Forwarded", "X-User:", "(x)", "x\u{e9}", "x\n", "a/b", "\"a\""] {
            assert!(!is_header_name(bad), "{bad}");
        }
    }
}
