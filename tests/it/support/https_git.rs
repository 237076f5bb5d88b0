//! A git server over https on loopback, as teams run one: Debian's nginx
//! terminating TLS (a certificate signed by a CA made in the test, like a
//! company CA) and checking the token of HTTP basic auth, in front of
//! `git http-backend` (ships with git) through fcgiwrap. nginx decodes
//! chunked request bodies, which git sends for large pushes.
//!
//! Two tokens: [`RW_TOKEN`] may push, [`RO_TOKEN`] only fetch (its push is
//! refused with 403, as GitHub or Azure DevOps refuse a read-only token).
//! Everything (config, pid, logs, temp files, socket) lives in the test's
//! temp folder; nothing runs as a service.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::workspace::TestWorkspace;

pub const RW_TOKEN: &str = "rw-token-6b1f0c2e9d";
pub const RO_TOKEN: &str = "ro-token-83a7d45c1e";
/// The user name dtap sends with a token when the URL names none.
const TOKEN_USER: &str = "x-access-token";

pub struct HttpsGit {
    _nginx: KillOnDrop,
    _fcgiwrap: KillOnDrop,
    pub port: u16,
    /// The CA that signed the server's certificate (PEM): what `[repo] ca_file` names.
    pub ca_file: PathBuf,
    pub dir: PathBuf,
}

/// A server process, stopped when dropped (also when a test panics).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl HttpsGit {
    /// Serves the bare repos under `base` (`nginx` and `fcgiwrap` are the programs).
    pub fn start(ws: &TestWorkspace, base: &Path, nginx: &Path, fcgiwrap: &Path) -> HttpsGit {
        let dir = ws.tmp.path().join("https-server");
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = make_certificates(ws, &dir);
        let socket = dir.join("fcgiwrap.sock");
        let fcgiwrap = KillOnDrop(
            ws.isolated_command(fcgiwrap)
                .arg("-s")
                .arg(format!("unix:{}", socket.display()))
                .stdin(Stdio::null())
                .stderr(std::fs::File::create(dir.join("fcgiwrap.log")).unwrap())
                .spawn()
                .expect("start fcgiwrap"),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "fcgiwrap never made {}", socket.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        // nginx binds its port itself: take a free one, and another if a
        // parallel test took it in between.
        for _ in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let conf = dir.join("nginx.conf");
            std::fs::write(&conf, nginx_conf(ws, &dir, base, port)).unwrap();
            let errors = dir.join("error.log");
            let mut nginx = KillOnDrop(
                ws.isolated_command(nginx)
                    .arg("-p")
                    .arg(&dir)
                    .arg("-e")
                    .arg(&errors)
                    .arg("-c")
                    .arg(&conf)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(dir.join("nginx.out")).unwrap())
                    .spawn()
                    .expect("start nginx"),
            );
            loop {
                if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                    return HttpsGit {
                        _nginx: nginx,
                        _fcgiwrap: fcgiwrap,
                        port,
                        ca_file,
                        dir,
                    };
                }
                if let Some(status) = nginx.0.try_wait().unwrap() {
                    let said = std::fs::read_to_string(&errors).unwrap_or_default()
                        + &std::fs::read_to_string(dir.join("nginx.out")).unwrap_or_default();
                    assert!(
                        said.contains("Address already in use"),
                        "nginx exited ({status}): {said}"
                    );
                    break;
                }
                assert!(Instant::now() < deadline, "nginx never listened on {port}");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("nginx found no free port in five tries");
    }

    pub fn url(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/{name}", self.port)
    }

    /// The requests nginx served, one line each (method, path, status).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }
}

/// A CA, and a certificate for 127.0.0.1 signed by it; returns the CA's file.
fn make_certificates(ws: &TestWorkspace, dir: &Path) -> PathBuf {
    let openssl = |args: &[&str]| {
        let out = ws
            .isolated_command("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=dtap test company CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &["-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    dir.join("ca.pem")
}

fn basic(token: &str) -> String {
    let bytes = format!("{TOKEN_USER}:{token}").into_bytes();
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    format!("Basic {out}")
}

/// nginx in one foreground process, all its files in `dir`. The token is
/// checked from the Authorization header (a map: nginx's htpasswd files hold
/// one password per user name, and both tokens come with the same name).
fn nginx_conf(ws: &TestWorkspace, dir: &Path, base: &Path, port: u16) -> String {
    let d = dir.display();
    let backend = PathBuf::from(ws.git(dir, &["--exec-path"]).trim()).join("git-http-backend");
    format!(
        r#"daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
  access_log {d}/access.log;
  map_hash_bucket_size 256;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  map $http_authorization $token_user {{
    "{rw}" writer;
    "{ro}" reader;
    default "";
  }}
  map "$token_user $arg_service$uri" $refused {{
    "~^reader .*receive-pack" 1;
    default 0;
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {d}/server.pem;
    ssl_certificate_key {d}/server.key;
    client_max_body_size 0;
    location / {{
      if ($token_user = "") {{
        add_header WWW-Authenticate 'Basic realm="git"' always;
        return 401;
      }}
      if ($refused) {{
        return 403;
      }}
      fastcgi_pass unix:{d}/fcgiwrap.sock;
      fastcgi_param SCRIPT_FILENAME {backend};
      fastcgi_param GIT_PROJECT_ROOT {base};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO $uri;
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param REMOTE_USER $token_user;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param GIT_CONFIG_NOSYSTEM 1;
      fastcgi_param GIT_CONFIG_GLOBAL /dev/null;
      fastcgi_param HOME {d};
    }}
  }}
}}
"#,
        rw = basic(RW_TOKEN),
        ro = basic(RO_TOKEN),
        backend = backend.display(),
        base = base.display(),
    )
}
