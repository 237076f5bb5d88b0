//! Test workspaces isolated from the developer's machine: their own temp
//! folder, HOME and git config (never ~/.gitconfig), on SQLite or, on the
//! PostgreSQL pass of scripts/test, on a fresh database of their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

use super::cli::text;
use super::db::{fresh_pg_database, on_postgres};

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

    /// `dtap init` run through the real binary. On the PostgreSQL pass of
    /// scripts/test the workspace gets a fresh database of its own on the
    /// private server, written into its dtap.toml.
    pub fn init() -> TestWorkspace {
        TestWorkspace::init_with(on_postgres())
    }

    /// `dtap init`, on a fresh PostgreSQL database when `postgres`.
    pub fn init_with(postgres: bool) -> TestWorkspace {
        let ws = TestWorkspace::empty();
        match postgres.then(fresh_pg_database) {
            Some(url) => {
                let out = ws.dtap_env(&["init", ws.dir.to_str().unwrap()], &[("DTAP_DATABASE_URL", &url)]);
                assert!(out.status.success(), "init failed: {}", text(&out));
                ws.edit(
                    "dtap.toml",
                    "url = \"sqlite://.dtap/dtap.db\"",
                    &format!("url = \"{url}\""),
                );
            }
            None => {
                let out = ws.dtap(&["init", ws.dir.to_str().unwrap()]);
                assert!(out.status.success(), "init failed: {}", text(&out));
            }
        }
        ws
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    pub fn gitconfig(&self) -> PathBuf {
        self.tmp.path().join("gitconfig")
    }

    /// Runs the dtap binary in this workspace with an isolated environment,
    /// as the release manager [`super::RM`]; see [`TestWorkspace::as_user`].
    pub fn dtap(&self, args: &[&str]) -> Output {
        self.dtap_env(args, &[])
    }

    pub fn dtap_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.dtap_command(super::RM, args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run dtap")
    }

    /// The dtap binary as `user`, not yet run: to spawn, to pipe, or to give
    /// extra variables. Runs in the test's temp folder so nothing (not even a
    /// core file) lands elsewhere.
    pub fn dtap_command(&self, user: &str, args: &[&str]) -> Command {
        let mut cmd = self.isolated_command(env!("CARGO_BIN_EXE_dtap"));
        cmd.args(["--workspace", self.dir.to_str().unwrap()])
            .args(args)
            .env("DTAP_USER", user)
            .current_dir(self.tmp.path());
        cmd
    }

    /// `program` with this workspace's isolated environment (own HOME and git
    /// config, no inherited DTAP_* or GIT_* variables), not yet run.
    pub fn isolated_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("DTAP_") || k.starts_with("GIT_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("HOME", self.home())
            .env("GIT_CONFIG_GLOBAL", self.gitconfig())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("XDG_CONFIG_HOME", self.home());
        cmd
    }

    /// git in `cwd`; its stdout, after insisting it succeeded.
    pub fn git(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self
            .isolated_command("git")
            .current_dir(cwd)
            .args(args)
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?} failed: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn repo_path(&self) -> PathBuf {
        self.dir.join(".dtap/config.git")
    }

    /// Commits files into the config repo through a real clone and push, as a
    /// CRM developer would. `files` are paths relative to the repo root.
    pub fn commit_files(&self, message: &str, files: &[(&str, &str)]) {
        let work = self.work_clone();
        for (rel, content) in files {
            let p = work.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        self.git(&work, &["add", "-A"]);
        self.git(&work, &["commit", "-q", "-m", message]);
        self.git(&work, &["push", "-q", "origin", "HEAD:main"]);
    }

    /// The developer's clone of the config repo, up to date.
    fn work_clone(&self) -> PathBuf {
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
        work
    }

    /// Deletes a folder from the config repo with a commit (a developer
    /// removing a package from develop), through the same clone.
    pub fn remove_folder(&self, message: &str, rel: &str) {
        self.remove_paths(message, &[rel]);
    }

    /// Deletes files or folders (paths relative to the repo root) with one commit.
    pub fn remove_paths(&self, message: &str, paths: &[&str]) {
        let work = self.work_clone();
        for rel in paths {
            let p = work.join(rel);
            let gone = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            gone.unwrap_or_else(|e| panic!("{rel}: {e}"));
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

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Replaces the first `from` by `to` in a workspace file, insisting it was there.
    #[track_caller]
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let content = self.read(rel);
        assert!(content.contains(from), "{rel} lacks `{from}`:\n{content}");
        self.write(rel, &content.replacen(from, to, 1));
    }

    /// Sets `[web] dev_user`, the user every web request and API call acts
    /// as, replacing one set before (`None` removes it). Takes effect when the
    /// next server starts.
    pub fn set_dev_user(&self, email: Option<&str>) {
        let toml = self.read("dtap.toml");
        let kept: Vec<&str> = toml
            .lines()
            .filter(|l| !l.trim_start().starts_with("dev_user"))
            .collect();
        let toml = format!("{}\n", kept.join("\n"));
        assert!(toml.contains("[web]\n"), "dtap.toml has a [web] section");
        let web = match email {
            Some(e) => format!("[web]\ndev_user = \"{e}\"\n"),
            None => "[web]\n".to_string(),
        };
        self.write("dtap.toml", &toml.replacen("[web]\n", &web, 1));
    }

    /// Mail over SMTP to 127.0.0.1:`port` instead of `.eml` files.
    pub fn use_smtp(&self, port: u16) {
        self.edit("dtap.toml", "transport = \"file\"", "transport = \"smtp\"");
        self.edit(
            "dtap.toml",
            "smtp_url = \"smtp://127.0.0.1:2525\"",
            &format!("smtp_url = \"smtp://127.0.0.1:{port}\""),
        );
    }

    /// `[web] base_url`, the address put in mailed links.
    pub fn set_base_url(&self, url: &str) {
        let toml = self.read("dtap.toml");
        let line = toml
            .lines()
            .find(|l| l.trim_start().starts_with("base_url"))
            .expect("dtap.toml has a base_url")
            .to_string();
        self.edit("dtap.toml", &line, &format!("base_url = \"{url}\""));
    }
}

/// A package manifest naming `rfcs`.
pub fn manifest(name: &str, version: &str, rfcs: &[&str]) -> String {
    format!(
        "name: {name}\nversion: {version}\nrfcs: [{}]\ndescription: Test package\n",
        rfcs.join(", ")
    )
}
