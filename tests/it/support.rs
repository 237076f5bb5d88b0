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
                let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
                let patched = toml.replacen("url = \"sqlite://.dtap/dtap.db\"", &format!("url = \"{url}\""), 1);
                assert_ne!(toml, patched, "dtap.toml has no default database url to replace");
                std::fs::write(ws.dir.join("dtap.toml"), patched).unwrap();
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

/// The private PostgreSQL server of scripts/test, if it started one.
pub fn pg_server() -> Option<String> {
    std::env::var("DTAP_TEST_PG_URL").ok().filter(|u| !u.is_empty())
}

/// True on the pass of scripts/test that runs every test against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("DTAP_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A new, empty database on the private server; its URL.
pub fn fresh_pg_database() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let server = pg_server().expect("DTAP_TEST_PG_URL is not set: run the tests with scripts/test");
    let name = format!("t{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let hostport = server.rsplit('@').next().unwrap();
    let (host, port) = hostport.split_once(':').unwrap();
    let out = Command::new("createdb")
        .args(["-h", host, "-p", port, "-U", "dtap", &name])
        .output()
        .expect("createdb (PostgreSQL client) on PATH");
    assert!(out.status.success(), "createdb failed: {}", text(&out));
    format!("{server}/{name}")
}

/// The workspace's database URL from its dtap.toml, a SQLite path made absolute.
pub fn db_url(ws: &TestWorkspace) -> String {
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    let url = toml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("url"))
        .filter_map(|rest| rest.trim_start().strip_prefix('='))
        .map(|v| v.split('#').next().unwrap().trim().trim_matches('"').to_string())
        .next()
        .expect("dtap.toml names a database url");
    match url.strip_prefix("sqlite://") {
        Some(rel) if !rel.starts_with('/') => format!("sqlite://{}", ws.dir.join(rel).display()),
        _ => url,
    }
}

/// A connection to the workspace's database, whichever backend it is.
pub async fn db_connect(ws: &TestWorkspace) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(&db_url(ws)).await.unwrap()
}

/// Every row of every table, table by table, as text: compare two dumps to
/// prove nothing changed. `skip` leaves out tables whose name starts with it.
pub async fn db_dump(ws: &TestWorkspace, skip: Option<&str>) -> String {
    use sqlx::Connection;
    let mut conn = db_connect(ws).await;
    let postgres = conn.backend_name() == "PostgreSQL";
    let tables: Vec<(String,)> = sqlx::query_as(if postgres {
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
    })
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut out = String::new();
    for (table,) in tables {
        if skip.is_some_and(|s| table.starts_with(s)) {
            continue;
        }
        let sql = if postgres {
            format!("SELECT row_to_json(t)::text FROM \"{table}\" t")
        } else {
            let cols: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let row = cols
                .iter()
                .map(|(c,)| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            format!("SELECT {row} FROM \"{table}\"")
        };
        let mut rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        rows.sort();
        out.push_str(&format!("== {table}: {} rows\n", rows.len()));
        for (r,) in rows {
            out.push_str(&r);
            out.push('\n');
        }
    }
    conn.close().await.unwrap();
    out
}
