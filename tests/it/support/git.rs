//! The config repo read with plain git (what a release manager can check
//! without dtap), and a real `git daemon` serving repos on loopback.

use std::path::{Path, PathBuf};

use super::inetd::Inetd;
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
/// itself and hands each connection to `git daemon --inetd` ([`Inetd`]), the
/// mode in which inetd or systemd runs it: the daemon speaks the protocol and
/// runs receive-pack with its hooks as in its standalone mode.
pub struct GitDaemon {
    inetd: Inetd,
}

impl GitDaemon {
    pub fn start(ws: &TestWorkspace, base: &Path) -> GitDaemon {
        // git-daemon itself, not the `git` wrapper: killing the wrapper would orphan it.
        let exec_path = PathBuf::from(ws.git(ws.tmp.path(), &["--exec-path"]).trim());
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
        GitDaemon {
            inetd: Inetd::start(command, ws.tmp.path().join("git-daemon.log")),
        }
    }

    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.inetd.port)
    }
}
