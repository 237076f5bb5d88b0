use std::path::Path;
use std::time::Duration;

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
    assert_eq!(c.web.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.signoff.link_ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(c.signoff.remind_after, Duration::from_secs(2 * 86_400));
    assert_eq!(c.signoff.escalate_after, Duration::from_secs(5 * 86_400));
    assert_eq!(c.emergency.review_within, Duration::from_secs(2 * 86_400));
    assert_eq!(c.mail.give_up_after, Duration::from_secs(4 * 86_400));
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
    assert_eq!(c.web.bind.to_string(), "0.0.0.0:9000");
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
    assert_eq!(c.repo.fresh_for, Duration::from_secs(30));
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
fn an_empty_repo_url_in_the_environment_means_the_local_repo() {
    let text = "[repo]\nurl = \"git://git.example.org/config.git\"\nallowed_hosts = \"git.example.org\"\n";
    assert!(Config::parse(text, no_env()).unwrap().repo.url.is_some());
    let env = vec![("DTAP_REPO_URL".to_string(), String::new())];
    let c = Config::parse(text, env).unwrap();
    assert!(c.repo.url.is_none());
    assert_eq!(
        c.repo_path(std::path::Path::new("/ws")),
        std::path::Path::new("/ws/.dtap/config.git")
    );
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
fn max_attachment_is_a_size_with_a_unit() {
    assert_eq!(
        Config::parse("", no_env()).unwrap().web.max_attachment,
        10 * 1024 * 1024
    );
    let c = Config::parse("[web]\nmax_attachment = \"300 KB\"\n", no_env()).unwrap();
    assert_eq!(c.web.max_attachment, 300 * 1024);
    let err = Config::parse("[web]\nmax_attachment = \"huge\"\n", no_env()).unwrap_err();
    assert_eq!(err[0].line, Some(2));
    assert!(err[0].message.contains("e.g. `10 MB`"), "{}", err[0]);
    let env = vec![("DTAP_WEB_MAX_ATTACHMENT".to_string(), "2 MB".to_string())];
    assert_eq!(Config::parse("", env).unwrap().web.max_attachment, 2 * 1024 * 1024);
}

#[test]
fn every_bad_value_is_reported_at_its_key_in_one_run() {
    let text = "[signoff]\nlink_ttl = \"a week\"\n[web]\nbind = \"localhost\"\ndev_user = \"me\"\nbase_url = \"ftp://x\"\n[mail]\ntransport = \"pigeon\"\n";
    let err = Config::parse(text, no_env()).unwrap_err();
    let lines: Vec<_> = err.iter().map(|p| (p.line, p.column, p.message.as_str())).collect();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert_eq!(lines[0].0, Some(2));
    assert_eq!(lines[0].1, Some(1));
    assert!(
        lines[0].2.starts_with("[signoff] link_ttl: invalid duration `a week`"),
        "{lines:?}"
    );
    assert_eq!(lines[1].0, Some(4));
    assert!(
        lines[1].2.starts_with("[web] bind: `localhost` is not an address"),
        "{lines:?}"
    );
    assert_eq!(lines[2].0, Some(5));
    assert_eq!(lines[2].2, "[web] dev_user: `me` is not an e-mail address");
    assert_eq!(lines[3].0, Some(6));
    assert!(
        lines[3].2.starts_with("[web] base_url: `ftp://x` must start"),
        "{lines:?}"
    );
    assert_eq!(lines[4].0, Some(8));
    assert!(
        lines[4].2.starts_with("[mail] transport:") && lines[4].2.contains("pigeon"),
        "{lines:?}"
    );
}

#[test]
fn durations_are_parsed_when_read() {
    let text = "[signoff]\nremind_after = \"36h\"\nescalate_after = \"1d12h\"\n[emergency]\nreview_within = \"90m\"\n[mail]\ngive_up_after = \"1w\"\n[repo]\nfresh_for = \"0s\"\n";
    let c = Config::parse(text, no_env()).unwrap();
    assert_eq!(c.signoff.remind_after, Duration::from_secs(36 * 3_600));
    assert_eq!(c.signoff.escalate_after, Duration::from_secs(36 * 3_600));
    assert_eq!(c.emergency.review_within, Duration::from_secs(90 * 60));
    assert_eq!(c.mail.give_up_after, Duration::from_secs(7 * 86_400));
    assert_eq!(c.repo.fresh_for, Duration::ZERO);
    let env = vec![("DTAP_SIGNOFF_LINK_TTL".to_string(), "3d".to_string())];
    assert_eq!(
        Config::parse(text, env).unwrap().signoff.link_ttl,
        Duration::from_secs(3 * 86_400)
    );
    for key in ["remind_after", "escalate_after", "link_ttl"] {
        let err = Config::parse(&format!("[signoff]\n{key} = 2\n"), no_env()).unwrap_err();
        assert_eq!(err[0].line, Some(2), "{err:?}");
        assert!(err[0].message.starts_with(&format!("[signoff] {key}: ")), "{err:?}");
    }
}

#[test]
fn a_bad_override_is_reported_under_its_variable() {
    let env = vec![("DTAP_SIGNOFF_REMIND_AFTER".to_string(), "2dayz".to_string())];
    let err = Config::parse("[signoff]\nremind_after = \"2d\"\n", env).unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    assert_eq!(err[0].file, "environment variable DTAP_SIGNOFF_REMIND_AFTER");
    assert_eq!(err[0].line, None);
    assert!(
        err[0]
            .message
            .starts_with("[signoff] remind_after: invalid duration `2dayz`"),
        "{}",
        err[0]
    );
    // The override replaces the file's value: a bad one there is never used.
    let env = vec![("DTAP_SIGNOFF_REMIND_AFTER".to_string(), "2d".to_string())];
    let c = Config::parse("[signoff]\nremind_after = \"2 dayz\"\n", env).unwrap();
    assert_eq!(c.signoff.remind_after, Duration::from_secs(2 * 86_400));
    let env = vec![("DTAP_WEB_BIND".to_string(), "localhost".to_string())];
    let err = Config::parse("", env).unwrap_err();
    assert_eq!(
        err[0].to_string(),
        "environment variable DTAP_WEB_BIND: [web] bind: `localhost` is not an address with a port, e.g. 127.0.0.1:8080"
    );
    let env = vec![("DTAP_WEB_BASE_URL".to_string(), "x".to_string())];
    let err = Config::parse("", env).unwrap_err();
    assert_eq!(err[0].file, "environment variable DTAP_WEB_BASE_URL", "{err:?}");
}

#[test]
fn the_token_variable_is_not_an_override() {
    let env = vec![("DTAP_REPO_TOKEN".to_string(), "ghp_secret".to_string())];
    let text = "[repo]\ntoken_env = \"DTAP_REPO_TOKEN\"\n";
    assert_eq!(
        Config::parse(text, env.clone()).unwrap().repo.token_env.as_deref(),
        Some("DTAP_REPO_TOKEN")
    );
    let mut both = env.clone();
    both.push(("DTAP_REPO_TOKEN_ENV".to_string(), "DTAP_REPO_TOKEN".to_string()));
    assert!(Config::parse("", both).is_ok());
    let err = Config::parse("", env).unwrap_err();
    assert!(err[0].message.contains("unknown key `token` in [repo]"), "{err:?}");
}

#[test]
fn web_values_are_typed() {
    let text = "[web]\ndev_user = \" Anna@Example.ORG \"\ntrusted_proxies = \"10.0.0.1, ::1\"\nproxy_header = \"X-Forwarded-User\"\n";
    let c = Config::parse(text, no_env()).unwrap();
    assert_eq!(c.web.dev_user.unwrap(), "anna@example.org");
    assert_eq!(c.web.trusted_proxies.len(), 2);
    assert_eq!(c.web.proxy_header.as_deref(), Some("X-Forwarded-User"));
    let err = Config::parse(
        "[web]\ntrusted_proxies = \"10.0.0.1, proxy\"\nproxy_header = \"X User\"\n",
        no_env(),
    )
    .unwrap_err();
    assert_eq!(err.len(), 2, "{err:?}");
    assert_eq!(err[0].message, "[web] trusted_proxies: `proxy` is not an IP address");
    assert_eq!(err[1].message, "[web] proxy_header: is not a valid header name");
    assert_eq!(err[1].line, Some(3));
}
