//! A real SMTP server for the tests (DESIGN §11): aiosmtpd on loopback with
//! its `Mailbox` handler writing every accepted message to a maildir, and
//! the received messages decoded from MIME.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::TestWorkspace;

// ---------------------------------------------------------------- SMTP server

/// A real SMTP server on loopback: aiosmtpd with its `Mailbox` handler (or a
/// handler of the test's), every accepted message a file in a maildir.
pub struct Smtp {
    pub port: u16,
    pub maildir: PathBuf,
    pub log: PathBuf,
    pub child: Child,
}

/// A port nothing listens on (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Smtp {
    pub fn start(ws: &TestWorkspace, port: u16) -> Smtp {
        Smtp::start_with(ws, port, "aiosmtpd.handlers.Mailbox")
    }

    /// `handler` is a class path; modules written into the workspace's temp
    /// folder are importable.
    pub fn start_with(ws: &TestWorkspace, port: u16, handler: &str) -> Smtp {
        let maildir = ws.tmp.path().join(format!("maildir-{port}"));
        let log = ws.tmp.path().join(format!("smtp-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = ws
            .isolated_command("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                handler,
            ])
            .arg(&maildir)
            .env("PYTHONPATH", ws.tmp.path())
            .current_dir(ws.tmp.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start python3 -m aiosmtpd");
        let mut smtp = Smtp {
            port,
            maildir,
            log,
            child,
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        for _ in 0..200 {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return smtp;
            }
            if let Some(status) = smtp.child.try_wait().unwrap() {
                panic!("aiosmtpd exited ({status}): {}", smtp.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("aiosmtpd never listened on {addr}: {}", smtp.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .map(|e| {
                let p = e.unwrap().path();
                (std::fs::metadata(&p).unwrap().modified().unwrap(), p)
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| Mail::parse(&std::fs::read_to_string(p).unwrap()))
            .collect()
    }

    /// Messages whose envelope names `rcpt`.
    pub fn to(&self, rcpt: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.recipients().iter().any(|r| r == rcpt))
            .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- mail parsing

/// A received message, its MIME parts decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

pub fn parse_headers(block: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    headers
}

pub fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `boundary` of `multipart/alternative; boundary="x"`.
pub fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

pub fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable: soft line breaks joined, `=XX` decoded, as UTF-8.
pub fn decode_qp(s: &str) -> String {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_value(b[i + 1]), hex_value(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).expect("quoted-printable body is UTF-8")
}

pub fn decode_base64(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue; // line breaks and padding
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(out).expect("base64 body is UTF-8")
}

pub fn decode_body(encoding: Option<&str>, body: &str) -> String {
    match encoding.map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("quoted-printable") => decode_qp(body),
        Some("base64") => decode_base64(body),
        _ => body.to_string(),
    }
}

impl Mail {
    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let headers = parse_headers(head);
        let content_type = header_in(&headers, "content-type").unwrap_or("text/plain").to_string();
        let (mut text, mut html) = (String::new(), String::new());
        if let Some(boundary) = parameter(&content_type, "boundary") {
            for part in body.split(&format!("--{boundary}")).skip(1) {
                if part.starts_with("--") {
                    break;
                }
                let part = part.strip_prefix('\n').unwrap_or(part);
                let (ph, pb) = part.split_once("\n\n").unwrap_or((part, ""));
                let ph = parse_headers(ph);
                let decoded = decode_body(header_in(&ph, "content-transfer-encoding"), pb);
                let ct = header_in(&ph, "content-type")
                    .unwrap_or("text/plain")
                    .to_ascii_lowercase();
                if ct.starts_with("text/plain") {
                    text = decoded;
                } else if ct.starts_with("text/html") {
                    html = decoded;
                }
            }
        } else {
            text = decode_body(header_in(&headers, "content-transfer-encoding"), body);
        }
        Mail { headers, text, html }
    }

    pub fn header(&self, name: &str) -> &str {
        header_in(&self.headers, name).unwrap_or_else(|| panic!("no {name} header in {self:#?}"))
    }

    pub fn subject(&self) -> &str {
        self.header("Subject")
    }

    /// The envelope's recipients (aiosmtpd's `X-RcptTo`).
    pub fn recipients(&self) -> Vec<String> {
        self.header("X-RcptTo")
            .split(',')
            .map(|r| r.trim().to_string())
            .collect()
    }

    pub fn message_id(&self) -> &str {
        self.header("Message-ID")
    }

    /// The one sign-off link of the plain-text part.
    pub fn link(&self) -> String {
        let links: Vec<&str> = self
            .text
            .split_whitespace()
            .filter(|w| w.contains("/signoff/"))
            .collect();
        assert_eq!(links.len(), 1, "one link in {self:#?}");
        links[0].to_string()
    }

    pub fn token(&self) -> String {
        self.link().rsplit('/').next().unwrap().to_string()
    }
}
