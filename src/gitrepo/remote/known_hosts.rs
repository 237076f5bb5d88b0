//! SSH host keys checked against a known_hosts file: plain entries
//! (`host,host2 type key`) and hashed ones (`|1|salt|hash type key`, written
//! by `ssh-keygen -H` or `HashKnownHosts yes`).

use std::path::Path;

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::domain::base64;
use crate::gitrepo::{RepoError, Result};

/// Checks an SSH host key against a known_hosts file.
pub fn check_host_key(file: &Path, host: &str, port: Option<u16>, key: &[u8]) -> Result<()> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let names: Vec<String> = match port {
        Some(p) if p != 22 => vec![format!("[{host}]:{p}")],
        _ => vec![host.to_string(), format!("[{host}]:22")],
    };
    let mut listed = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(hosts), Some(_kind), Some(b64)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if !names.iter().any(|n| names_host(hosts, n)) {
            continue;
        }
        listed = true;
        if base64::decode(b64).as_deref() == Some(key) {
            return Ok(());
        }
    }
    let known_hosts = file.display().to_string();
    let shown = names[0].clone();
    if listed {
        Err(RepoError::HostKeyMismatch {
            host: shown,
            known_hosts,
        })
    } else {
        Err(RepoError::UnknownHost {
            keyscan: match port {
                Some(p) if p != 22 => format!("ssh-keyscan -p {p} {host}"),
                _ => format!("ssh-keyscan {host}"),
            },
            host: shown,
            known_hosts,
        })
    }
}

/// Does the host field of a known_hosts line name `name` (`host` or `[host]:port`)?
fn names_host(field: &str, name: &str) -> bool {
    match field.strip_prefix("|1|") {
        Some(hashed) => {
            let Some((salt, hash)) = hashed.split_once('|') else {
                return false;
            };
            let (Some(salt), Some(hash)) = (base64::decode(salt), base64::decode(hash)) else {
                return false;
            };
            let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
                return false;
            };
            mac.update(name.as_bytes());
            mac.verify_slice(&hash).is_ok()
        }
        None => field.split(',').any(|h| h.eq_ignore_ascii_case(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_are_matched_against_known_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        // "AAAAC3NzaC1lZDI1NTE5" is the start of every ed25519 key blob.
        std::fs::write(
            &file,
            "# comment\n|1|abc=|def= ssh-ed25519 AAAA\ngit.example.org,10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n[git.example.org]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\n",
        )
        .unwrap();
        let key = base64::decode("AAAAC3NzaC1lZDI1NTE5").unwrap();
        assert_eq!(&key[4..15], b"ssh-ed25519");
        assert!(check_host_key(&file, "git.example.org", None, &key).is_ok());
        assert!(check_host_key(&file, "10.0.0.1", Some(22), &key).is_ok());
        let e = check_host_key(&file, "git.example.org", Some(2222), &key).unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
        let e = check_host_key(&file, "other.example.org", Some(2200), &key).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("[other.example.org]:2200")
                && m.contains("ssh-keyscan -p 2200 other.example.org")
                && m.contains(&file.display().to_string()),
            "{m}"
        );
        let e = check_host_key(&dir.path().join("missing"), "h", None, &key).unwrap_err();
        assert!(matches!(e, RepoError::UnknownHost { .. }));
    }

    #[test]
    fn hashed_entries_match_their_host_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        // Written by `ssh-keygen -H` for "[127.0.0.1]:2222" and "git.example.org".
        let salt = [7u8; 20];
        let hashed = |name: &str| {
            let mut mac = Hmac::<Sha1>::new_from_slice(&salt).unwrap();
            mac.update(name.as_bytes());
            format!(
                "|1|{}|{}",
                base64::encode(&salt),
                base64::encode(&mac.finalize().into_bytes())
            )
        };
        std::fs::write(
            &file,
            format!(
                "{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\n",
                hashed("[127.0.0.1]:2222"),
                hashed("git.example.org")
            ),
        )
        .unwrap();
        let key = base64::decode("AAAAC3NzaC1lZDI1NTE5").unwrap();
        assert!(check_host_key(&file, "127.0.0.1", Some(2222), &key).is_ok());
        let e = check_host_key(&file, "127.0.0.1", Some(2223), &key).unwrap_err();
        assert!(matches!(e, RepoError::UnknownHost { .. }), "{e}");
        let e = check_host_key(&file, "git.example.org", None, &key).unwrap_err();
        assert!(matches!(e, RepoError::HostKeyMismatch { .. }), "{e}");
        // A known answer: RFC 2202's first HMAC-SHA1 test case.
        let mut mac = Hmac::<Sha1>::new_from_slice(&[0x0b; 20]).unwrap();
        mac.update(b"Hi There");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "b617318655057264e28bc0b6fb378c8ef146be00"
        );
    }
}
