//! The config repo read with plain git (what a release manager can check
//! without dtap), and a real `git daemon` serving repos on loopback.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::workspace::TestWorkspace;

impl TestWorkspace {
    /// git in `cwd`; its stdout, trimmed.
    pub fn git_out(&self, cwd: &Path, args: &[&str]) -> String {
        self.git(cwd, args).trim().to_string()
    }

    /// git in the workspace's bare config repo; its trimmed stdout.
    pub fn repo_git(&self, args: &[&str]) -> String {
        self.git_out(&self.repo_path(), args)
    }

    /// The branch head of the config repo.
    pub fn head(&self) -> String {
        self.repo_git(&["rev-parse", "main"])
    }

    pub fn commit_count(&self) -> usize {
        self.repo_git(&["rev-list", "--count", "main"]).parse().unwrap()
    }

    /// The tree id of a folder on the branch head (`""`: the root).
    pub fn tree_of(&self, path: &str) -> String {
        self.repo_git(&["rev-parse", &format!("main:{path}")])
    }

    /// Points the workspace's `[repo]` at `url` (loopback allowed).
    pub fn use_remote(&self, url: &str, extra: &str) {
        self.edit(
            "dtap.toml",
            "[repo]\n",
            &format!("[repo]\nurl = \"{url}\"\nallowed_hosts = \"127.0.0.1\"\n{extra}"),
        );
    }

    /// Moves the workspace's bare repo out to `<tmp>/server/config.git`: the
    /// server's copy from now on.
    pub fn move_repo_to_server(&self) -> PathBuf {
        let server = self.tmp.path().join("server/config.git");
        std::fs::create_dir_all(server.parent().unwrap()).unwrap();
        std::fs::rename(self.repo_path(), &server).unwrap();
        server
    }

    /// Package folders in an environment folder of the branch head.
    pub fn packages_in(&self, env: &str) -> Vec<String> {
        self.repo_git(&["ls-tree", "-d", "--name-only", &format!("main:{env}")])
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// `git daemon` serving `base` on loopback, pushes enabled; stopped when dropped.
///
/// git daemon cannot be told to take any free port (it reads `--port=0` as
/// its default 9418), and picking a port for it by binding and releasing one
/// races with every other test. So the test holds the listening socket
/// itself and hands each connection to `git daemon --inetd`, the mode in
/// which inetd or systemd runs it: the daemon speaks the protocol and runs
/// receive-pack with its hooks as in its standalone mode.
pub struct GitDaemon {
    port: u16,
    stop: Arc<AtomicBool>,
    children: Arc<Mutex<Vec<Child>>>,
    accepter: Option<std::thread::JoinHandle<()>>,
}

impl GitDaemon {
    pub fn start(ws: &TestWorkspace, base: &Path) -> GitDaemon {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        // git-daemon itself, not the `git` wrapper: killing the wrapper would orphan it.
        let exec_path = PathBuf::from(ws.git(ws.tmp.path(), &["--exec-path"]).trim());
        let log = ws.tmp.path().join("git-daemon.log");
        let mut command = ws.isolated_command(exec_path.join("git-daemon"));
        command
            .args([
                "--inetd",
                "--export-all",
                "--enable=receive-pack",
                "--log-destination=stderr",
                &format!("--base-path={}", base.display()),
                &base.display().to_string(),
            ])
            .current_dir(ws.tmp.path());
        let stop = Arc::new(AtomicBool::new(false));
        let children: Arc<Mutex<Vec<Child>>> = Arc::default();
        let accepter = {
            let (stop, children) = (stop.clone(), children.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let errors = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&log)
                        .unwrap();
                    let input = OwnedFd::from(conn.try_clone().unwrap());
                    let child = command
                        .stdin(Stdio::from(input))
                        .stdout(Stdio::from(OwnedFd::from(conn)))
                        .stderr(errors)
                        .spawn()
                        .expect("start git daemon --inetd");
                    let mut all = children.lock().unwrap();
                    all.retain_mut(|c| c.try_wait().ok().flatten().is_none());
                    all.push(child);
                }
            })
        };
        GitDaemon {
            port,
            stop,
            children,
            accepter: Some(accepter),
        }
    }

    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(t) = self.accepter.take() {
            let _ = t.join();
        }
        for mut c in self.children.lock().unwrap().drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
