//! The real browser for end-to-end tests (DESIGN §11): Debian's chromium
//! driven by its chromedriver. Whether a missing browser skips or fails a
//! test is decided here and nowhere else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::workspace::TestWorkspace;

/// The chromium and chromedriver to drive.
pub struct BrowserBinaries {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// True when the browser tests must run: CI (.ci/run) sets
/// `DTAP_REQUIRE_BROWSER=1`; any value but empty or `0` counts.
fn browser_required() -> bool {
    std::env::var("DTAP_REQUIRE_BROWSER").is_ok_and(|v| !v.trim().is_empty() && v.trim() != "0")
}

/// The browser binaries, or `None` after saying loudly that `test` is
/// skipped. Fails the test instead of skipping it when the browser is
/// required (`DTAP_REQUIRE_BROWSER`) or when `DTAP_CHROMIUM` /
/// `DTAP_CHROMEDRIVER` name a file that is not there: a test that was asked
/// for the browser never passes without one.
pub fn browser_or_skip(test: &str) -> Option<BrowserBinaries> {
    let found = |var: &str, names: &[&str]| -> Result<PathBuf, String> {
        if let Some(p) = std::env::var_os(var) {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(format!("{var}={} is not a file", p.display()))
            };
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/bin")])
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("no {} on PATH or in /usr/bin", names.join(" or ")))
    };
    let chromium = found("DTAP_CHROMIUM", &["chromium", "chromium-browser"]);
    let chromedriver = found("DTAP_CHROMEDRIVER", &["chromedriver"]);
    let named = std::env::var_os("DTAP_CHROMIUM").is_some() || std::env::var_os("DTAP_CHROMEDRIVER").is_some();
    match (chromium, chromedriver) {
        (Ok(chromium), Ok(chromedriver)) => Some(BrowserBinaries { chromium, chromedriver }),
        (a, b) => {
            let missing: Vec<String> = [a.err(), b.err()].into_iter().flatten().collect();
            let missing = missing.join("; ");
            assert!(
                !browser_required() && !named,
                "{test} needs the browser and it is missing ({missing}): \
                 apt-get install chromium chromium-driver, or set DTAP_CHROMIUM / DTAP_CHROMEDRIVER \
                 (the test is required because DTAP_REQUIRE_BROWSER or one of those variables is set)"
            );
            // Straight to the process's stderr: libtest captures eprintln! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED {test}: {missing}.\n\
                 !!!!!!!! Install chromium and chromium-driver, or set DTAP_REQUIRE_BROWSER=1 to fail instead.\n"
            );
            None
        }
    }
}

/// chromedriver on a free port of its own choosing (`--port=0`), read from
/// what it reports ("ChromeDriver was started successfully on port N.");
/// killed when dropped.
pub struct ChromeDriver {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl ChromeDriver {
    pub fn start(ws: &TestWorkspace, chromedriver: &Path) -> ChromeDriver {
        let log = ws.tmp.path().join("chromedriver.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = ws
            .isolated_command(chromedriver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start chromedriver: {e}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            let said = read(&log);
            if let Some(port) = said
                .split("started successfully on port ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse::<u16>().ok())
                .filter(|p| *p != 0)
            {
                break port;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("chromedriver exited ({status}): {said}");
            }
            assert!(Instant::now() < deadline, "chromedriver never said its port: {said}");
            std::thread::sleep(Duration::from_millis(50));
        };
        ChromeDriver { child, port, log }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
