//! `repo.url`: which git transports dtap accepts, and the parts of a URL it
//! checks (scheme, host, port, user). Anything that could run a command
//! (`ext::`, `fd::` and other `<transport>::` forms) or send a secret in clear
//! (`http://`, a password in the URL) is refused here, at config parse time.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Ssh,
    Https,
    /// `git://`: unauthenticated and unencrypted; for trusted networks only.
    Git,
    File,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ssh => "ssh",
            Scheme::Https => "https",
            Scheme::Git => "git",
            Scheme::File => "file",
        }
    }
}

/// A parsed, accepted remote URL. The original text is kept for libgit2.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    pub text: String,
    pub scheme: Scheme,
    /// Lower-cased; `None` for file://.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
}

impl fmt::Debug for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never holds a password (refused at parse), but print it as a URL anyway.
        write!(f, "RemoteUrl({:?})", self.text)
    }
}

const HELP: &str =
    "dtap talks to git servers over ssh://, https://, git:// or file:// only (or scp-like user@host:path for ssh)";

/// Parses and checks `repo.url`. The error says what is wrong and what to write instead.
pub fn parse(text: &str) -> Result<RemoteUrl, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is empty: leave it out to keep the config repo local".into());
    }
    let scheme_end = t.find("://");
    // `ext::sh -c ...`, `fd::17`: git's remote helpers, which run commands or use raw descriptors.
    if let Some(i) = t.find("::")
        && scheme_end.is_none_or(|s| i < s)
    {
        return Err(format!(
            "the transport `{}::` is not allowed (it can run arbitrary commands); {HELP}",
            &t[..i]
        ));
    }
    if t.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("`{t}` contains spaces or control characters"));
    }
    let Some(se) = scheme_end else {
        return scp_like(t);
    };
    let scheme = t[..se].to_ascii_lowercase();
    let rest = &t[se + 3..];
    let scheme = match scheme.as_str() {
        "ssh" | "git+ssh" | "ssh+git" => Scheme::Ssh,
        "https" => Scheme::Https,
        "git" => Scheme::Git,
        "file" => Scheme::File,
        "http" => {
            return Err("plain http:// would send the token unencrypted: use https://".into());
        }
        other => return Err(format!("the transport `{other}://` is not allowed; {HELP}")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if scheme == Scheme::File {
        if !(authority.is_empty() || authority.eq_ignore_ascii_case("localhost")) || path.len() < 2 {
            return Err(format!(
                "`{t}` is not a local repository URL: write file:///absolute/path/to/config.git"
            ));
        }
        return Ok(RemoteUrl {
            text: t.to_string(),
            scheme,
            host: None,
            port: None,
            user: None,
        });
    }
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = user
        && u.contains(':')
    {
        return Err(
            "the URL holds a password: remove it and put the token in the environment variable named by [repo] token_env"
                .into(),
        );
    }
    let (host, port) = split_host_port(hostport).ok_or_else(|| format!("`{t}` has no valid host[:port]"))?;
    if path.len() < 2 {
        return Err(format!("`{t}` names no repository path on {host}"));
    }
    Ok(RemoteUrl {
        text: t.to_string(),
        scheme,
        host: Some(host),
        port,
        user: user.filter(|u| !u.is_empty()).map(str::to_string),
    })
}

/// `user@host:path`, git's short form of ssh://.
fn scp_like(t: &str) -> Result<RemoteUrl, String> {
    let bad = || {
        format!(
            "`{t}` is neither a URL nor user@host:path; {HELP}. A local repository is written file:///absolute/path"
        )
    };
    let (before, path) = t.split_once(':').ok_or_else(bad)?;
    if before.contains('/') || path.is_empty() {
        return Err(bad());
    }
    let (user, host) = match before.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, before),
    };
    if !valid_host(host) {
        return Err(bad());
    }
    Ok(RemoteUrl {
        text: t.to_string(),
        scheme: Scheme::Ssh,
        host: Some(host.to_ascii_lowercase()),
        port: None,
        user: user.filter(|u| !u.is_empty()).map(str::to_string),
    })
}

fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (h.to_string(), port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
            None => (s.to_string(), None),
        }
    };
    (valid_host(&host) || host.parse::<std::net::Ipv6Addr>().is_ok()).then(|| (host.to_ascii_lowercase(), port))
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && !h.starts_with('-')
        && h.len() <= 253
        && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_four_transports() {
        let u = parse("ssh://git@git.example.org:2222/crm/config.git").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_deref(), u.port, u.user.as_deref()),
            (Scheme::Ssh, Some("git.example.org"), Some(2222), Some("git"))
        );
        let u = parse("git@Git.Example.org:crm/config.git").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_deref(), u.port),
            (Scheme::Ssh, Some("git.example.org"), None)
        );
        let u = parse("https://git.example.org/crm/config.git").unwrap();
        assert_eq!((u.scheme, u.user), (Scheme::Https, None));
        let u = parse("git://127.0.0.1:9418/config.git").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_deref(), u.port),
            (Scheme::Git, Some("127.0.0.1"), Some(9418))
        );
        let u = parse("file:///srv/git/config.git").unwrap();
        assert_eq!((u.scheme, u.host), (Scheme::File, None));
        let u = parse("ssh://[::1]:22/x.git").unwrap();
        assert_eq!(u.host.as_deref(), Some("::1"));
    }

    #[test]
    fn refuses_command_transports_with_a_reason() {
        for bad in [
            "ext::sh -c touch% /tmp/pwned",
            "ext::ssh -o x host",
            "fd::17",
            "foo::bar://x",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("is not allowed"), "{bad}: {e}");
        }
        let e = parse("ext::git-remote-x").unwrap_err();
        assert!(e.contains("`ext::`") && e.contains("ssh://, https://, git://"), "{e}");
    }

    #[test]
    fn refuses_cleartext_secrets_and_unknown_schemes() {
        let e = parse("http://git.example.org/config.git").unwrap_err();
        assert!(e.contains("use https://"), "{e}");
        let e = parse("https://bot:hunter2@git.example.org/config.git").unwrap_err();
        assert!(e.contains("token_env") && !e.contains("hunter2"), "{e}");
        assert!(parse("ftp://x/y").unwrap_err().contains("`ftp://`"));
        assert!(parse("/srv/config.git").unwrap_err().contains("file:///"));
        assert!(parse("file://otherhost/srv/x.git").unwrap_err().contains("file:///"));
        assert!(parse("ssh://-oProxyCommand=x/y").is_err());
        assert!(parse("-oProxyCommand=x:y").is_err());
        assert!(parse("https://host").is_err());
        assert!(parse("https://a b/x").is_err());
        assert!(parse("").is_err());
    }
}
