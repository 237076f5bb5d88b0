//! SSH host keys checked against a known_hosts file.

use std::path::Path;

use crate::gitrepo::{RepoError, Result};

/// Checks an SSH host key against a known_hosts file (plain entries; hashed
/// `|1|` entries cannot be matched and are skipped).
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
        if !hosts
            .split(',')
            .any(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        {
            continue;
        }
        listed = true;
        if base64_decode(b64).as_deref() == Some(key) {
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

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
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
        let key = base64_decode("AAAAC3NzaC1lZDI1NTE5").unwrap();
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
}
