//! Reading mail: a real SMTP server for the tests (DESIGN §11), aiosmtpd
//! with its `Mailbox` handler writing every accepted message to a maildir,
//! or the `.eml` files of the file transport (`[mail] transport = "file"`,
//! what `dtap mail flush` writes by default); either way as [`Mail`],
//! decoded from MIME, with the links it carries.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::workspace::TestWorkspace;

// ---------------------------------------------------------------- SMTP server

/// A real SMTP server on loopback: aiosmtpd with its `Mailbox` handler (or a
/// handler of the test's), every accepted message a file in a maildir.
///
/// The test binds the listening socket (port 0: any free port) and hands it
/// to aiosmtpd as its standard input, so the port is known before the server
/// starts and no other process can take it in between.
pub struct Smtp {
    pub port: u16,
    pub maildir: PathBuf,
    pub log: PathBuf,
    pub child: Child,
}

/// A loopback port held for an SMTP server that is down: bound, not
/// listening, so a connection is refused until [`Smtp::start_on`] serves it.
pub struct ReservedPort {
    socket: tokio::net::TcpSocket,
    pub port: u16,
}

impl ReservedPort {
    pub fn new() -> ReservedPort {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((Ipv4Addr::LOCALHOST, 0).into()).unwrap();
        let port = socket.local_addr().unwrap().port();
        ReservedPort { socket, port }
    }
}

/// aiosmtpd's own command line (`python -m aiosmtpd -n -c HANDLER ARGS`)
/// builds the handler and the SMTP protocol exactly as there; only the
/// socket is the one on standard input instead of one bound by host and port.
const AIOSMTPD: &str = r#"
import asyncio, logging, socket, sys
from functools import partial
from aiosmtpd.main import parseargs
from aiosmtpd.smtp import SMTP

parser, ns = parseargs(["-n", "-c", *sys.argv[1:]])
factory = partial(SMTP, ns.handler, data_size_limit=ns.size, enable_SMTPUTF8=ns.smtputf8,
                  tls_context=None, require_starttls=ns.requiretls)
logging.basicConfig(level=logging.ERROR)
loop = asyncio.new_event_loop()
server = loop.run_until_complete(loop.create_server(factory, sock=socket.socket(fileno=0)))
print("aiosmtpd is serving", flush=True)
loop.run_forever()
"#;

impl Smtp {
    pub fn start(ws: &TestWorkspace) -> Smtp {
        Smtp::start_with(ws, "aiosmtpd.handlers.Mailbox")
    }

    /// `handler` is a class path; modules written into the workspace's temp
    /// folder are importable.
    pub fn start_with(ws: &TestWorkspace, handler: &str) -> Smtp {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        Smtp::serve(ws, OwnedFd::from(listener), port, handler)
    }

    /// The server comes up on the port held for it.
    pub fn start_on(ws: &TestWorkspace, port: ReservedPort, handler: &str) -> Smtp {
        let fd = port.socket.as_fd().try_clone_to_owned().unwrap();
        Smtp::serve(ws, fd, port.port, handler)
    }

    fn serve(ws: &TestWorkspace, socket: OwnedFd, port: u16, handler: &str) -> Smtp {
        let maildir = ws.tmp.path().join(format!("maildir-{port}"));
        let log = ws.tmp.path().join(format!("smtp-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = ws
            .isolated_command("python3")
            .args(["-c", AIOSMTPD, handler])
            .arg(&maildir)
            .env("PYTHONPATH", ws.tmp.path())
            .current_dir(ws.tmp.path())
            .stdin(Stdio::from(socket))
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start python3 with aiosmtpd");
        let mut smtp = Smtp {
            port,
            maildir,
            log,
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !smtp.log_text().contains("aiosmtpd is serving") {
            if let Some(status) = smtp.child.try_wait().unwrap() {
                panic!("aiosmtpd exited ({status}): {}", smtp.log_text());
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start: {}", smtp.log_text());
            std::thread::sleep(Duration::from_millis(20));
        }
        smtp
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        read_mails(&self.maildir.join("new"), None)
    }

    /// Messages whose envelope names `rcpt`.
    pub fn to(&self, rcpt: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.recipients().iter().any(|r| r == rcpt))
            .collect()
    }

    /// The newest invitation (or reminder) `tester` got.
    #[track_caller]
    pub fn latest_link_mail(&self, tester: &str) -> Mail {
        newest_link_mail(self.to(tester), "/signoff/")
            .unwrap_or_else(|| panic!("no sign-off mail for {tester}: {:#?}", self.messages()))
    }

    /// Waits up to `timeout` for a mail to `rcpt` carrying a link that starts
    /// with `prefix` and is not in `used`; marks it used and returns it with
    /// its mail.
    pub fn wait_new_link(
        &self,
        rcpt: &str,
        prefix: &str,
        used: &mut HashSet<String>,
        timeout: Duration,
    ) -> Option<(String, Mail)> {
        let deadline = Instant::now() + timeout;
        loop {
            for mail in self.to(rcpt) {
                for link in mail.links(prefix) {
                    if used.insert(link.clone()) {
                        return Some((link, mail));
                    }
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the file transport

impl TestWorkspace {
    /// Every mail the file transport wrote (`.dtap/mail/*.eml`), oldest first.
    pub fn mailbox(&self) -> Vec<Mail> {
        read_mails(&self.dir.join(".dtap/mail"), Some("eml"))
    }

    /// The newest mail the file transport wrote to `rcpt` with a link under
    /// `prefix` (`/signoff/`, `/login/`); deliver the outbox first.
    #[track_caller]
    pub fn latest_mail_with_link(&self, rcpt: &str, prefix: &str) -> Mail {
        let to: Vec<Mail> = self
            .mailbox()
            .into_iter()
            .filter(|m| m.recipients().iter().any(|r| r == rcpt))
            .collect();
        newest_link_mail(to, prefix).unwrap_or_else(|| panic!("no mail with a {prefix} link to {rcpt} in .dtap/mail"))
    }
}

/// The files of `dir` (with extension `ext`) as mails, oldest first.
fn read_mails(dir: &Path, ext: Option<&str>) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .map(|p| (std::fs::metadata(&p).unwrap().modified().unwrap(), p))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, p)| Mail::parse(&std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// The newest of `mails` with a link under `prefix`.
fn newest_link_mail(mails: Vec<Mail>, prefix: &str) -> Option<Mail> {
    mails.into_iter().rev().find(|m| !m.links(prefix).is_empty())
}

// ---------------------------------------------------------------- mail parsing

/// A received message, its MIME parts decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

fn parse_headers(block: &str) -> Vec<(String, String)> {
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
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Quoted-printable: soft line breaks joined, `=XX` decoded, as UTF-8.
fn decode_qp(s: &str) -> String {
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

/// Base64 (line breaks and padding ignored).
pub fn decode_base64(s: &str) -> Vec<u8> {
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
    out
}

fn decode_body(encoding: Option<&str>, body: &str) -> String {
    match encoding.map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("quoted-printable") => decode_qp(body),
        Some("base64") => String::from_utf8(decode_base64(body)).expect("base64 body is UTF-8"),
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

    /// The envelope's recipients (aiosmtpd's `X-RcptTo`); for a mail of the
    /// file transport, which has no envelope, its `To`.
    pub fn recipients(&self) -> Vec<String> {
        header_in(&self.headers, "X-RcptTo")
            .unwrap_or_else(|| self.header("To"))
            .split(',')
            .map(|r| r.trim().trim_start_matches('<').trim_end_matches('>').to_string())
            .collect()
    }

    pub fn message_id(&self) -> &str {
        self.header("Message-ID")
    }

    /// The links of the plain-text part whose path starts with `prefix`
    /// (`/signoff/`, `/login/`), or that start with `prefix` when it is a
    /// whole address.
    pub fn links(&self, prefix: &str) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|w| w.starts_with("http") && w.contains(prefix))
            .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_string())
            .collect()
    }

    /// The one sign-off link of the plain-text part.
    #[track_caller]
    pub fn link(&self) -> String {
        let links = self.links("/signoff/");
        assert_eq!(links.len(), 1, "one link in {self:#?}");
        links[0].clone()
    }

    pub fn token(&self) -> String {
        self.link().rsplit('/').next().unwrap().to_string()
    }
}
