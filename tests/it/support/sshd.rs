//! A private OpenSSH server on loopback (DESIGN §11): Debian's sshd with its
//! own config, host key and authorized key, all in the test's temp folder,
//! serving the bare repos of the user running the tests through git-shell
//! (only git-upload-pack and git-receive-pack run). Started per connection
//! as `sshd -i` ([`Inetd`]): the test holds the port, so no other test takes it.
//! Also an ssh-agent of the test's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::inetd::Inetd;
use super::workspace::TestWorkspace;

pub struct Sshd {
    inetd: Inetd,
    pub dir: PathBuf,
    /// The private key whose public half is in authorized_keys.
    pub client_key: PathBuf,
    user: String,
}

impl Sshd {
    /// `sshd` is the program (from [`super::programs::programs_or_skip`]).
    pub fn start(ws: &TestWorkspace, sshd: &Path) -> Sshd {
        let dir = ws.tmp.path().join("sshd");
        std::fs::create_dir_all(&dir).unwrap();
        let host_key = ws.ssh_keygen(&dir, "host_key");
        let client_key = ws.ssh_keygen(&dir, "client_key");
        std::fs::copy(client_key.with_extension("pub"), dir.join("authorized_keys")).unwrap();
        // Only git runs, with no git config but the test's.
        let exec_path = PathBuf::from(ws.git(&dir, &["--exec-path"]).trim());
        let serve = dir.join("git-serve");
        std::fs::write(
            &serve,
            format!(
                "#!/bin/sh\nexport GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME='{d}' PATH='{x}:/usr/bin:/bin'\nexec '{x}/git-shell' -c \"$SSH_ORIGINAL_COMMAND\"\n",
                d = dir.display(),
                x = exec_path.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&serve, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "HostKey {host}\nAuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\n\
                 PidFile {d}/sshd.pid\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowTcpForwarding no\n\
                 X11Forwarding no\nPermitTTY no\nLogLevel VERBOSE\nForceCommand {serve}\n",
                host = host_key.display(),
                d = dir.display(),
                serve = serve.display()
            ),
        )
        .unwrap();
        // sshd started by root separates privileges into this (empty) folder.
        if ws.command_out("id", &["-u"]) == "0" {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let mut command = ws.isolated_command(sshd);
        command.arg("-i").arg("-e").arg("-f").arg(&config);
        Sshd {
            inetd: Inetd::start(command, dir.join("sshd.log")),
            client_key,
            user: ws.command_out("id", &["-un"]),
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.inetd.port
    }

    /// The ssh:// URL of the bare repo at `repo`, as the user running the tests.
    pub fn url(&self, repo: &Path) -> String {
        format!("ssh://{}@127.0.0.1:{}{}", self.user, self.port(), repo.display())
    }

    /// The server's known_hosts line, as `ssh-keyscan -p PORT 127.0.0.1` prints it.
    pub fn known_hosts_line(&self) -> String {
        let public = std::fs::read_to_string(self.dir.join("host_key.pub")).unwrap();
        let mut fields = public.split_whitespace();
        let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
        format!("[127.0.0.1]:{} {kind} {key}\n", self.port())
    }

    /// What sshd logged: why it turned a key away, among others.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

/// `ssh-agent -D` on a socket in the temp folder; killed when dropped.
pub struct SshAgent {
    child: Child,
    pub socket: PathBuf,
}

impl SshAgent {
    pub fn start(ws: &TestWorkspace) -> SshAgent {
        let socket = ws.tmp.path().join("agent.sock");
        let child = ws
            .isolated_command("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let agent = SshAgent { child, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !agent.socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent never made its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// `ssh-add key`.
    pub fn add(&self, ws: &TestWorkspace, key: &Path) {
        let out = ws
            .isolated_command("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh-add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestWorkspace {
    /// A new ed25519 key pair without passphrase at `dir/name` (+ `.pub`).
    pub fn ssh_keygen(&self, dir: &Path, name: &str) -> PathBuf {
        let key = dir.join(name);
        let out = self
            .isolated_command("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh-keygen: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        key
    }

    /// `program args`: its trimmed stdout, after insisting it succeeded.
    pub fn command_out(&self, program: &str, args: &[&str]) -> String {
        let out = self.isolated_command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}
