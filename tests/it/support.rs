//! Test workspaces isolated from the developer's machine: their own temp
//! folder, HOME and git config (never ~/.gitconfig).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub const USER: &str = "rm@example.org";

pub struct TestWorkspace {
    pub tmp: TempDir,
    pub dir: PathBuf,
}

impl TestWorkspace {
    /// A fresh folder, not yet a workspace.
    pub fn empty() -> TestWorkspace {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("ws");
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        std::fs::write(
            tmp.path().join("gitconfig"),
            "[user]\n\tname = Test Developer\n\temail = dev@example.org\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        TestWorkspace { tmp, dir }
    }

    /// `dtap init` run through the real binary.
    pub fn init() -> TestWorkspace {
        let ws = TestWorkspace::empty();
        let out = ws.dtap(&["init", ws.dir.to_str().unwrap()]);
        assert!(out.status.success(), "init failed: {}", text(&out));
        ws
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    pub fn gitconfig(&self) -> PathBuf {
        self.tmp.path().join("gitconfig")
    }

    /// Runs the dtap binary in this workspace with an isolated environment.
    pub fn dtap(&self, args: &[&str]) -> Output {
        self.dtap_env(args, &[])
    }

    pub fn dtap_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dtap"));
        cmd.args(["--workspace", self.dir.to_str().unwrap()]).args(args);
        self.isolate(&mut cmd);
        cmd.env("DTAP_USER", USER);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run dtap")
    }

    fn isolate(&self, cmd: &mut Command) {
        for (k, _) in std::env::vars() {
            if k.starts_with("DTAP_") || k.starts_with("GIT_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("HOME", self.home())
            .env("GIT_CONFIG_GLOBAL", self.gitconfig())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("XDG_CONFIG_HOME", self.home());
    }

    pub fn git(&self, cwd: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.current_dir(cwd).args(args);
        self.isolate(&mut cmd);
        let out = cmd.output().expect("run git");
        assert!(out.status.success(), "git {args:?} failed: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn repo_path(&self) -> PathBuf {
        self.dir.join(".dtap/config.git")
    }

    /// Commits files into the config repo through a real clone and push, as a
    /// CRM developer would. `files` are paths relative to the repo root.
    pub fn commit_files(&self, message: &str, files: &[(&str, &str)]) {
        let work = self.tmp.path().join("clone");
        if !work.exists() {
            self.git(
                self.tmp.path(),
                &[
                    "clone",
                    "-q",
                    self.repo_path().to_str().unwrap(),
                    work.to_str().unwrap(),
                ],
            );
        } else {
            self.git(&work, &["pull", "-q", "--ff-only"]);
        }
        for (rel, content) in files {
            let p = work.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        self.git(&work, &["add", "-A"]);
        self.git(&work, &["commit", "-q", "-m", message]);
        self.git(&work, &["push", "-q", "origin", "HEAD:main"]);
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

pub fn manifest(name: &str, version: &str, rfcs: &[&str]) -> String {
    format!(
        "name: {name}\nversion: {version}\nrfcs: [{}]\ndescription: Test package\n",
        rfcs.join(", ")
    )
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Sets `[web] dev_user`, the user the web app and the API act as, replacing
/// one set before. Takes effect when the next server starts.
pub fn set_dev_user(ws: &TestWorkspace, email: &str) {
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    let kept: Vec<&str> = toml
        .lines()
        .filter(|l| !l.trim_start().starts_with("dev_user"))
        .collect();
    let toml = format!("{}\n", kept.join("\n"));
    assert!(toml.contains("[web]\n"), "dtap.toml has a [web] section");
    ws.write(
        "dtap.toml",
        &toml.replace("[web]\n", &format!("[web]\ndev_user = \"{email}\"\n")),
    );
}

/// The value of the first hidden `csrf_token` input of a page.
pub fn csrf_token_in(html: &str) -> String {
    let key = "name=\"csrf_token\" value=\"";
    let start = html
        .find(key)
        .unwrap_or_else(|| panic!("no csrf_token in the page:\n{html}"))
        + key.len();
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_string()
}

/// An HTTP client that shows redirects instead of following them.
pub fn http_no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Text as the web app's templates escape it (minijinja's HTML escaping).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            '/' => out.push_str("&#x2f;"),
            c => out.push(c),
        }
    }
    out
}

impl TestWorkspace {
    /// `program` with this workspace's isolated environment (own HOME and git
    /// config, no inherited DTAP_* or GIT_* variables), not yet run: for
    /// spawning processes in parallel, piping stdin or adding variables.
    pub fn isolated_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        self.isolate(&mut cmd);
        cmd
    }
}
