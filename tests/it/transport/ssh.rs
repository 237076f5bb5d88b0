//! ssh against a private sshd: a known host with a key file; an unknown
//! host refused with how to add it; hashed known_hosts entries; a changed
//! host key; a key the server refuses and a missing key file, each named;
//! the ssh-agent.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::served_workspace;
use crate::remote::{hand_commit, rev};
use crate::support::programs::programs_or_skip;
use crate::support::sshd::{SshAgent, Sshd};
use crate::support::{RM, TestWorkspace, ok, stderr, stdout, text};

/// A served workspace reached over ssh://, with `[repo] known_hosts` in the
/// temp folder (empty) and no key file. `None` when OpenSSH is missing.
fn ssh_workspace(test: &str) -> Option<(TestWorkspace, PathBuf, Sshd, PathBuf)> {
    let programs = programs_or_skip(
        test,
        &["sshd", "ssh-keygen", "ssh-agent", "ssh-add"],
        "openssh-server openssh-client",
    )?;
    let (ws, server) = served_workspace();
    let sshd = Sshd::start(&ws, &programs[0]);
    let known_hosts = ws.tmp.path().join("known_hosts");
    std::fs::write(&known_hosts, "").unwrap();
    ws.use_remote(
        &sshd.url(&server),
        &format!("known_hosts = \"{}\"\nfresh_for = \"0s\"\n", known_hosts.display()),
    );
    Some((ws, server, sshd, known_hosts))
}

/// dtap with `[repo] ssh_key = key` (none: ask the agent at `agent`, if any).
fn run(ws: &TestWorkspace, key: Option<&Path>, agent: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = ws.dtap_command(RM, args);
    cmd.env_remove("SSH_AUTH_SOCK");
    if let Some(key) = key {
        cmd.env("DTAP_REPO_SSH_KEY", key);
    }
    if let Some(agent) = agent {
        cmd.env("SSH_AUTH_SOCK", agent);
    }
    cmd.output().unwrap()
}

#[test]
fn ssh_with_a_known_host_and_a_key_file_clones_promotes_and_fetches() {
    let Some((ws, server, sshd, known_hosts)) = ssh_workspace("ssh_with_a_known_host_and_a_key_file") else {
        return;
    };
    std::fs::write(&known_hosts, sshd.known_hosts_line()).unwrap();
    let key = Some(sshd.client_key.as_path());
    let status = ok(run(&ws, key, None, &["status"]));
    assert!(stdout(&status).contains("crm-core"), "{}", text(&status));
    let cache = ws.dir.join(".dtap/repo-cache.git");

    let out = ok(run(&ws, key, None, &["promote", "crm-core", "--to", "test"]));
    assert!(stdout(&out).contains("into test"), "{}", text(&out));
    assert_eq!(rev(&ws, &cache, "main"), rev(&ws, &server, "main"));
    assert_eq!(
        rev(&ws, &server, "main:test/crm-core"),
        rev(&ws, &server, "main:develop/crm-core")
    );

    hand_commit(&ws, &server, "dev", "notes", &[("develop/NOTES.md", "hello\n")], true);
    ok(run(&ws, key, None, &["history", "--json"]));
    assert_eq!(rev(&ws, &cache, "main"), rev(&ws, &server, "main"));
    assert!(sshd.log().contains("Accepted publickey"), "{}", sshd.log());
}

#[test]
fn known_hosts_an_unknown_host_is_refused_with_how_to_add_it_and_hashed_entries_count() {
    let Some((ws, _server, sshd, known_hosts)) = ssh_workspace("known_hosts_unknown_and_hashed") else {
        return;
    };
    let key = Some(sshd.client_key.as_path());
    let out = run(&ws, key, None, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let port = sshd.port();
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "the SSH host key of [127.0.0.1]:{port} is not in {}",
            known_hosts.display()
        )) && err.contains(&format!("ssh-keyscan -p {port} 127.0.0.1")),
        "{err}"
    );
    assert!(!ws.dir.join(".dtap/repo-cache.git").exists());

    // Another key under the server's name: refused as a possible impersonation.
    let other = std::fs::read_to_string(sshd.client_key.with_extension("pub")).unwrap();
    let impostor: Vec<&str> = other.split_whitespace().take(2).collect();
    std::fs::write(&known_hosts, format!("[127.0.0.1]:{port} {}\n", impostor.join(" "))).unwrap();
    let out = run(&ws, key, None, &["status"]);
    assert!(stderr(&out).contains("does not match the one in"), "{}", text(&out));

    // Hashed by ssh-keygen -H, as HashKnownHosts writes it: the name is not readable, and it counts.
    std::fs::write(&known_hosts, sshd.known_hosts_line()).unwrap();
    ok(ws
        .isolated_command("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known_hosts)
        .output()
        .unwrap());
    let hashed = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(hashed.starts_with("|1|") && !hashed.contains("127.0.0.1"), "{hashed}");
    let status = ok(run(&ws, key, None, &["status"]));
    assert!(stdout(&status).contains("crm-core"), "{}", text(&status));
}

#[test]
fn a_key_the_server_refuses_a_locked_key_and_a_missing_key_file_are_named() {
    let Some((ws, _server, sshd, known_hosts)) = ssh_workspace("a_refused_or_missing_key_is_named") else {
        return;
    };
    std::fs::write(&known_hosts, sshd.known_hosts_line()).unwrap();
    let stranger = ws.ssh_keygen(ws.tmp.path(), "stranger_key");
    let out = run(&ws, Some(&stranger), None, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the server refused the key {} ([repo] ssh_key): add its public half ({}.pub)",
            stranger.display(),
            stranger.display()
        )),
        "{}",
        text(&out)
    );

    let locked = ws.tmp.path().join("locked_key");
    ok(ws
        .isolated_command("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret phrase", "-f"])
        .arg(&locked)
        .output()
        .unwrap());
    std::fs::copy(locked.with_extension("pub"), sshd.dir.join("authorized_keys")).unwrap();
    // dtap asks for no passphrase: such a key is named, with the way out.
    let out = run(&ws, Some(&locked), None, &["status"]);
    assert!(
        stderr(&out).contains(&format!(
            "dtap could not use the key {} ([repo] ssh_key)",
            locked.display()
        )) && stderr(&out).contains("load it into ssh-agent with ssh-add and leave ssh_key unset"),
        "{}",
        text(&out)
    );

    let missing = ws.tmp.path().join("no_such_key");
    let out = run(&ws, Some(&missing), None, &["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(&format!(
            "[repo] ssh_key names {}, which does not exist",
            missing.display()
        )),
        "{}",
        text(&out)
    );
    assert!(!ws.dir.join(".dtap/repo-cache.git").exists());
}

#[test]
fn without_a_key_file_the_ssh_agent_offers_its_keys() {
    let Some((ws, server, sshd, known_hosts)) = ssh_workspace("the_ssh_agent_offers_its_keys") else {
        return;
    };
    std::fs::write(&known_hosts, sshd.known_hosts_line()).unwrap();
    let out = run(&ws, None, None, &["status"]);
    assert!(
        stderr(&out).contains("no [repo] ssh_key is set and no ssh-agent runs for dtap (SSH_AUTH_SOCK is not set)"),
        "{}",
        text(&out)
    );

    let agent = SshAgent::start(&ws);
    agent.add(&ws, &ws.ssh_keygen(ws.tmp.path(), "stranger_key"));
    let out = run(&ws, None, Some(&agent.socket), &["status"]);
    assert!(
        stderr(&out).contains("the server refused every key the ssh-agent offered"),
        "{}",
        text(&out)
    );

    agent.add(&ws, &sshd.client_key);
    let status = ok(run(&ws, None, Some(&agent.socket), &["status"]));
    assert!(stdout(&status).contains("crm-core"), "{}", text(&status));
    ok(run(
        &ws,
        None,
        Some(&agent.socket),
        &["promote", "crm-core", "--to", "test"],
    ));
    assert_eq!(
        rev(&ws, &server, "main:test/crm-core"),
        rev(&ws, &server, "main:develop/crm-core")
    );
}
