//! https with a token: clone, fetch and push through a company CA; a
//! read-only token's push refused; a wrong or missing token named by its
//! variable, never shown; an untrusted certificate explained, and fixed the
//! way the message says.

use std::path::PathBuf;

use super::{assert_never_shown, served_workspace};
use crate::remote::{hand_commit, mails_to_kim, promotions_in_history, rev};
use crate::support::https_git::{HttpsGit, RO_TOKEN, RW_TOKEN};
use crate::support::programs::programs_or_skip;
use crate::support::{TestWorkspace, ok, stderr, stdout, text};

const VAR: &str = "DTAP_REPO_TOKEN";

/// A served workspace behind nginx over https, `[repo] token_env` set, and
/// `ca_file` too when `trusted`. `None` when nginx or fcgiwrap is missing.
fn https_workspace(test: &str, trusted: bool) -> Option<(TestWorkspace, PathBuf, HttpsGit)> {
    let programs = programs_or_skip(test, &["nginx", "fcgiwrap"], "nginx fcgiwrap")?;
    let (ws, server) = served_workspace();
    let https = HttpsGit::start(&ws, server.parent().unwrap(), &programs[0], &programs[1]);
    let mut extra = format!("token_env = \"{VAR}\"\nfresh_for = \"0s\"\n");
    if trusted {
        extra += &format!("ca_file = \"{}\"\n", https.ca_file.display());
    }
    ws.use_remote(&https.url("config.git"), &extra);
    Some((ws, server, https))
}

fn with_token(ws: &TestWorkspace, token: &str, args: &[&str]) -> std::process::Output {
    ws.dtap_env(args, &[(VAR, token)])
}

#[test]
fn https_with_a_token_clones_promotes_and_fetches_through_a_company_ca() {
    let Some((ws, server, https)) = https_workspace("https_with_a_token_clones_promotes_and_fetches", true) else {
        return;
    };
    let status = ok(with_token(&ws, RW_TOKEN, &["status"]));
    assert!(stdout(&status).contains("crm-core"), "{}", text(&status));
    let cache = ws.dir.join(".dtap/repo-cache.git");

    let promoted = ok(with_token(&ws, RW_TOKEN, &["promote", "crm-core", "--to", "test"]));
    assert!(stdout(&promoted).contains("into test"), "{}", text(&promoted));
    assert_eq!(rev(&ws, &cache, "main"), rev(&ws, &server, "main"));
    assert_eq!(
        rev(&ws, &server, "main:test/crm-core"),
        rev(&ws, &server, "main:develop/crm-core")
    );
    // Without the token a read cannot fetch, and shows the cache as it is.
    assert_eq!(promotions_in_history(&ws).len(), 1);

    // A colleague's push: the next read fetches it.
    hand_commit(&ws, &server, "dev", "notes", &[("develop/NOTES.md", "hello\n")], true);
    let history = ok(with_token(&ws, RW_TOKEN, &["history", "--json"]));
    assert_eq!(rev(&ws, &cache, "main"), rev(&ws, &server, "main"));

    // Both directions went over https with the writer's token.
    let log = https.access_log();
    assert!(
        log.contains("GET /config.git/info/refs?service=git-upload-pack")
            && log.contains("POST /config.git/git-receive-pack HTTP/1.1\" 200"),
        "{log}"
    );
    // The token is in no output, not in the cache's config, in no file at all.
    let config = std::fs::read_to_string(cache.join("config")).unwrap();
    assert!(
        !config.contains(RW_TOKEN) && !config.contains("extraheader"),
        "{config}"
    );
    assert_never_shown(&ws, &[&status, &promoted, &history], RW_TOKEN);
}

#[test]
fn a_read_only_token_fetches_but_its_push_is_refused_naming_the_variable_and_the_rights() {
    let Some((ws, server, _https)) = https_workspace("a_read_only_token_fetches_but_its_push_is_refused", true) else {
        return;
    };
    ok(with_token(&ws, RO_TOKEN, &["status"]));
    let before = rev(&ws, &server, "main");

    let out = with_token(&ws, RO_TOKEN, &["promote", "crm-core", "--to", "test"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "the server accepted the token in {VAR} but refused to let it push to the repository (HTTP 403)"
        )) && err.contains("Azure DevOps: scope \"Code (Read & write)\"")
            && err.contains("GitHub: \"Contents: Read and write\"")
            && err.contains("GitLab: \"write_repository\""),
        "{err}"
    );
    assert_never_shown(&ws, &[&out], RO_TOKEN);
    // Nothing moved, nothing claims it did.
    assert_eq!(rev(&ws, &server, "main"), before);
    assert!(promotions_in_history(&ws).is_empty());
    assert_eq!(mails_to_kim(&ws), 0);

    // With the writer's token the same promotion goes through.
    ok(with_token(&ws, RW_TOKEN, &["promote", "crm-core", "--to", "test"]));
    assert_eq!(
        rev(&ws, &server, "main:test/crm-core"),
        rev(&ws, &server, "main:develop/crm-core")
    );
}

#[test]
fn a_wrong_or_missing_token_is_named_by_its_variable_and_never_shown() {
    let Some((ws, _server, _https)) = https_workspace("a_wrong_or_missing_token_is_named", true) else {
        return;
    };
    let wrong = "wrong-token-5d2c9a0b";
    let out = with_token(&ws, wrong, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "authentication to 127.0.0.1 failed: the server did not accept the token in {VAR} (HTTP 401)"
        )) && err.contains("Azure DevOps: scope \"Code (Read)\""),
        "{err}"
    );
    assert_never_shown(&ws, &[&out], wrong);
    assert!(!ws.dir.join(".dtap/repo-cache.git").exists(), "no half-made cache");

    // No variable at all: said before anything is sent.
    let out = ws.dtap(&["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "[repo] token_env names {VAR}, but that environment variable is not set for dtap"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn an_untrusted_certificate_names_the_host_and_how_to_trust_the_company_ca() {
    let Some((ws, _server, https)) = https_workspace("an_untrusted_certificate_names_the_host", false) else {
        return;
    };
    let out = with_token(&ws, RW_TOKEN, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the TLS certificate of 127.0.0.1 is not trusted")
            && err.contains("run `dtap config set repo.ca_file /path/to/ca.pem`"),
        "{err}"
    );
    assert_never_shown(&ws, &[&out], RW_TOKEN);

    // A CA file that is not there is named as such.
    let gone = ws.tmp.path().join("no-such-ca.pem");
    let out = ws.dtap_env(
        &["status"],
        &[(VAR, RW_TOKEN), ("DTAP_REPO_CA_FILE", gone.to_str().unwrap())],
    );
    assert!(
        stderr(&out).contains(&format!(
            "[repo] ca_file names {}, which cannot be read",
            gone.display()
        )),
        "{}",
        text(&out)
    );

    // Doing what the message says is enough.
    ok(ws.dtap(&["config", "set", "repo.ca_file", https.ca_file.to_str().unwrap()]));
    let status = ok(with_token(&ws, RW_TOKEN, &["status"]));
    assert!(stdout(&status).contains("crm-core"), "{}", text(&status));
}

#[test]
fn init_against_an_empty_https_repo_pushes_the_first_commit() {
    let Some(programs) = programs_or_skip(
        "init_against_an_empty_https_repo",
        &["nginx", "fcgiwrap"],
        "nginx fcgiwrap",
    ) else {
        return;
    };
    let ws = TestWorkspace::empty();
    let server = ws.tmp.path().join("server/config.git");
    ws.git_out(ws.tmp.path(), &["init", "-q", "--bare", server.to_str().unwrap()]);
    let https = HttpsGit::start(&ws, server.parent().unwrap(), &programs[0], &programs[1]);
    let url = https.url("config.git");
    let ca = https.ca_file.display().to_string();
    let out = ws.dtap_env(
        &["init", ws.dir.to_str().unwrap()],
        &[
            ("DTAP_REPO_URL", url.as_str()),
            ("DTAP_REPO_ALLOWED_HOSTS", "127.0.0.1"),
            ("DTAP_REPO_TOKEN_ENV", VAR),
            ("DTAP_REPO_CA_FILE", ca.as_str()),
            (VAR, RW_TOKEN),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        ws.git_out(&server, &["log", "-1", "--format=%B", "main"])
            .contains("Dtap-Action: init")
    );
    assert_eq!(
        rev(&ws, &server, "main"),
        rev(&ws, &ws.dir.join(".dtap/repo-cache.git"), "main")
    );
    // The settings were written into dtap.toml; the token was not.
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    assert!(
        toml.contains(&format!("token_env = \"{VAR}\"")) && toml.contains("ca_file"),
        "{toml}"
    );
    assert_never_shown(&ws, &[&out], RW_TOKEN);
}
