//! Crash consistency: many promotions (and some rollbacks), each process
//! killed with SIGKILL at a random moment or aborted at a named fail point
//! after one of its write steps. After every one: the environment folder
//! holds the old or the new tree (never a mix), `dtap doctor` finds the
//! database and the repo in agreement once it has repaired what it says it
//! repaired, `git fsck --full` is clean and `dtap audit verify` passes.
//!
//! `DTAP_CRASH_COUNT` promotions (default 200); `DTAP_CRASH_SEED` replays a
//! run (the seed is printed at the start and in every failure).

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TestWorkspace, USER, db_connect, db_execute, manifest, text};

const FAILPOINTS: [&str; 6] = [
    "after-intent",
    "after-commit-object",
    "after-dtap-commit",
    "after-ref-update",
    "before-completion-commit",
    "after-completion",
];

/// xorshift64*: small, deterministic, good enough to pick moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    match std::env::var("DTAP_CRASH_SEED") {
        Ok(s) => s.trim().parse().expect("DTAP_CRASH_SEED must be a number"),
        Err(_) => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64;
            t | 1
        }
    }
}

fn count() -> usize {
    std::env::var("DTAP_CRASH_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

struct Crash {
    ws: TestWorkspace,
    seed: u64,
    step: usize,
    version: u64,
    /// What each kind of ending happened, for the closing line.
    tally: std::collections::BTreeMap<String, usize>,
    /// Repairs doctor reported, per check.
    repairs: std::collections::BTreeMap<String, usize>,
}

impl Crash {
    fn ctx(&self) -> String {
        format!("[DTAP_CRASH_SEED={} step {}]", self.seed, self.step)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.ws.dtap_command(USER, args);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    #[track_caller]
    fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.cmd(args).output().unwrap();
        assert!(out.status.success(), "{} dtap {args:?}: {}", self.ctx(), text(&out));
        out
    }

    fn git(&self, args: &[&str]) -> Output {
        self.ws
            .isolated_command("git")
            .current_dir(self.ws.repo_path())
            .args(args)
            .output()
            .unwrap()
    }

    /// The tree id of a folder on the branch, or "" when it is absent.
    fn tree(&self, path: &str) -> String {
        let out = self.git(&["rev-parse", "--verify", "--quiet", &format!("main:{path}")]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A CRM developer's next version of crm-core in develop, written straight
    /// into the bare repo (no dtap trailers: an ordinary hand-made commit).
    fn next_develop_version(&mut self, rfc: &str) {
        use dtap::gitrepo::write::Entry;
        self.version += 1;
        let v = format!("1.{}.0", self.version);
        let repo = dtap::gitrepo::ConfigRepo::new(self.ws.repo_path(), "main".into());
        let files = vec![
            (
                "develop/crm-core/package.yaml".to_string(),
                Entry::Blob(manifest("crm-core", &v, &[rfc]).into_bytes()),
            ),
            (
                "develop/crm-core/entities/contact.xml".to_string(),
                Entry::Blob(format!("<entity name=\"contact\" version=\"{v}\"/>\n").into_bytes()),
            ),
        ];
        repo.commit_changes(
            &files,
            &format!("crm-core {v}"),
            &dtap::gitrepo::Identity::from_email("dev@example.org"),
            // No Dtap-Action: a hand-made commit, whose anchor counts for nothing.
            &dtap::domain::anchor::AuditHead::genesis(),
        )
        .unwrap_or_else(|e| panic!("{} committing {v} into develop: {e}", self.ctx()));
    }

    /// Runs one dtap process to its end, or kills it after `kill_after`.
    fn run_maybe_killed(&self, args: &[&str], failpoint: Option<&str>, kill_after: Option<Duration>) -> (Output, bool) {
        let mut cmd = self.cmd(args);
        if let Some(f) = failpoint {
            cmd.env("DTAP_FAILPOINT", f);
        }
        let mut child: Child = cmd.spawn().unwrap();
        let start = Instant::now();
        let mut killed = false;
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if let Some(d) = kill_after
                && start.elapsed() >= d
            {
                // SIGKILL on unix: no destructor, no flush, no unwinding.
                child.kill().unwrap();
                killed = true;
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} dtap {args:?} hangs",
                self.ctx()
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        (child.wait_with_output().unwrap(), killed)
    }

    fn doctor(&self, repair: bool) -> (Option<i32>, Value) {
        let mut args = vec!["doctor", "--json", "--stale-lock", "0"];
        if repair {
            args.push("--repair");
        }
        let out = self.cmd(&args).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{} doctor printed no JSON ({e}): {}", self.ctx(), text(&out)));
        (out.status.code(), v)
    }

    /// Everything that must hold after any ending of any process.
    fn check_consistency(&mut self) {
        let (code, before) = self.doctor(false);
        let problems: Vec<&Value> = findings(&before, "problem");
        assert_eq!(
            code,
            Some(if problems.is_empty() { 0 } else { 3 }),
            "{} doctor's exit code must say whether problems remain: {before:#}",
            self.ctx()
        );
        let (code, after) = self.doctor(true);
        assert_eq!(code, Some(0), "{} doctor --repair left problems: {after:#}", self.ctx());
        let repaired = findings(&after, "repaired");
        // Every problem found is repaired, and doctor says how.
        for p in &problems {
            assert!(
                repaired.iter().any(|r| r["check"] == p["check"]),
                "{} problem {p} was not repaired: {after:#}",
                self.ctx()
            );
        }
        for r in &repaired {
            *self
                .repairs
                .entry(r["check"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
        if !repaired.is_empty() {
            let (code, again) = self.doctor(false);
            assert_eq!(code, Some(0), "{} still disagrees after repair: {again:#}", self.ctx());
            assert!(findings(&again, "problem").is_empty(), "{} {again:#}", self.ctx());
        }
        let fsck = self.git(&["fsck", "--full", "--strict", "--no-dangling", "--no-progress"]);
        assert!(
            fsck.status.success() && fsck.stdout.is_empty() && fsck.stderr.is_empty(),
            "{} git fsck --full: {}",
            self.ctx(),
            text(&fsck)
        );
        self.run_ok(&["audit", "verify"]);
    }
}

fn findings<'a>(report: &'a Value, status: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["status"] == status).collect())
        .unwrap_or_default()
}

/// An approved RFC the package versions carry.
fn approved_rfc(c: &Crash) -> String {
    c.ws.approved_rfc("Crash test")
}

#[test]
fn promotions_killed_at_random_moments_leave_repo_and_database_in_agreement() {
    let seed = seed();
    eprintln!("crash test: DTAP_CRASH_SEED={seed} DTAP_CRASH_COUNT={}", count());
    let mut rng = Rng(seed);
    let mut c = Crash {
        ws: TestWorkspace::init(),
        seed,
        step: 0,
        version: 0,
        tally: Default::default(),
        repairs: Default::default(),
    };
    let rfc = approved_rfc(&c);

    // One undisturbed promotion tells how long one takes here.
    c.next_develop_version(&rfc);
    let start = Instant::now();
    c.run_ok(&["promote", "crm-core", "--to", "test"]);
    let full = start.elapsed();
    eprintln!(
        "crash test: one promotion takes {full:?}; kills land in 0..{:?}",
        full.mul_f32(1.1)
    );
    c.check_consistency();

    let started = Instant::now();
    let mut last_was_promotion = true;
    let mut previous_tree = String::new();
    let total = count();
    let mut promotions = 0;
    while promotions < total {
        c.step += 1;
        let current = c.tree("test/crm-core");
        let rollback = last_was_promotion && !previous_tree.is_empty() && rng.below(8) == 0;
        let (args, new): (Vec<String>, String) = if rollback {
            let args = ["rollback", "crm-core", "--env", "test", "--reason", "crash test"];
            (args.iter().map(|s| s.to_string()).collect(), previous_tree.clone())
        } else {
            if c.tree("develop/crm-core") == current {
                c.next_develop_version(&rfc);
            }
            promotions += 1;
            let args = ["promote", "crm-core", "--to", "test"];
            (args.iter().map(|s| s.to_string()).collect(), c.tree("develop/crm-core"))
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let roll = rng.below(10);
        let failpoint = (roll < 4).then(|| FAILPOINTS[rng.below(FAILPOINTS.len() as u64) as usize]);
        let kill_after = (4..9)
            .contains(&roll)
            .then(|| full.mul_f64(1.1 * rng.below(1000) as f64 / 1000.0));
        let (out, killed) = c.run_maybe_killed(&args, failpoint, kill_after);
        let ending = match (failpoint, killed) {
            (Some(f), _) if String::from_utf8_lossy(&out.stderr).contains(&format!("failpoint {f}")) => {
                format!("aborted at {f}")
            }
            (_, true) => "killed".to_string(),
            _ => {
                assert!(
                    out.status.success(),
                    "{} {args:?} ended on its own but failed: {}",
                    c.ctx(),
                    text(&out)
                );
                "completed".to_string()
            }
        };
        *c.tally.entry(format!("{} {ending}", args[0])).or_default() += 1;

        // Old tree or new tree, never anything else.
        let after = c.tree("test/crm-core");
        assert!(
            after == current || after == new,
            "{} {args:?} ({ending}) left test/crm-core at {after}, neither the old {current} nor the new {new}",
            c.ctx()
        );
        c.check_consistency();
        if after != current {
            if rollback {
                previous_tree.clear();
            } else {
                previous_tree = current;
            }
            last_was_promotion = !rollback;
        }
    }
    // Nothing is left pending, and the next command has nothing to reconcile.
    let out = c.run_ok(&["promote", "crm-core", "--to", "test"]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("reconciled"),
        "{} {}",
        c.ctx(),
        text(&out)
    );
    eprintln!(
        "crash test: {} steps ({total} promotions) in {:?}; endings {:?}; doctor repairs per check {:?}",
        c.step,
        started.elapsed(),
        c.tally,
        c.repairs
    );
}

/// Doctor names each disagreement, changes nothing without `--repair`,
/// repairs what is safe with it, and leaves a broken audit chain alone.
#[tokio::test]
async fn doctor_reports_precisely_and_repairs_only_when_asked() {
    let ws = TestWorkspace::init();
    let c = Crash {
        ws,
        seed: 0,
        step: 0,
        version: 0,
        tally: Default::default(),
        repairs: Default::default(),
    };
    let (code, v) = c.doctor(false);
    assert_eq!(code, Some(0), "{v:#}");
    assert!(findings(&v, "problem").is_empty(), "{v:#}");

    // A promotion that died after the ref update: repo ahead of the database.
    let mut c = c;
    let rfc = approved_rfc(&c);
    c.next_develop_version(&rfc);
    let (out, _) = c.run_maybe_killed(&["promote", "crm-core", "--to", "test"], Some("after-ref-update"), None);
    assert!(!out.status.success(), "{}", text(&out));
    let commit = String::from_utf8_lossy(&c.git(&["rev-parse", "main"]).stdout)
        .trim()
        .to_string();
    // A lock file a crash left two hours ago.
    let lock = c.ws.repo_path().join("refs/heads/main.lock");
    std::fs::write(&lock, format!("{commit}\n")).unwrap();
    let touched =
        c.ws.isolated_command("touch")
            .args(["-d", "2 hours ago"])
            .arg(&lock)
            .status()
            .unwrap();
    assert!(touched.success());
    // Mail a stopped worker held: a real queued mail (the requester hears
    // that the RFC was approved), claimed by a worker `gone:1` whose claim
    // ran out long ago. Written by hand: a worker killed mid-delivery leaves
    // such a row, and no command stops a worker between claim and delivery.
    db_execute(
        &c.ws,
        &[(
            "UPDATE outbox SET state = 'sending', claimed_by = 'gone:1', claimed_until = '2000-01-01T00:00:00.000000Z'
             WHERE state = 'pending'",
            &[],
        )],
    )
    .await;

    let (code, v) = c.doctor(false);
    assert_eq!(code, Some(3), "problems remain: {v:#}");
    let problems = findings(&v, "problem");
    let said = |check: &str, words: &str| {
        problems
            .iter()
            .any(|p| p["check"] == check && p["message"].as_str().unwrap().contains(words))
    };
    assert!(said("intents", &format!("holds its commit {}", &commit[..12])), "{v:#}");
    assert!(said("repo-locks", "main.lock"), "{v:#}");
    assert!(said("outbox", "held by gone:1"), "{v:#}");
    assert!(
        problems.iter().all(|p| p["remedy"].is_string()),
        "every problem says what to do: {v:#}"
    );
    assert!(lock.exists(), "without --repair nothing changes");

    let (code, v) = c.doctor(true);
    assert_eq!(code, Some(0), "{v:#}");
    let repaired = findings(&v, "repaired");
    for check in ["intents", "repo-locks", "outbox"] {
        assert!(
            repaired.iter().any(|r| r["check"] == check),
            "{check} not repaired: {v:#}"
        );
    }
    assert!(!lock.exists());
    let (code, v) = c.doctor(false);
    assert_eq!(code, Some(0), "{v:#}");
    assert!(findings(&v, "problem").is_empty(), "{v:#}");
    let history = c.run_ok(&["history", "--json"]);
    assert!(String::from_utf8_lossy(&history.stdout).contains(&commit));

    // A changed audit row is reported, and no repair hides it.
    {
        use sqlx::Connection;
        let mut db = db_connect(&c.ws).await;
        let drop = if db.backend_name() == "PostgreSQL" {
            "DROP TRIGGER audit_events_no_update ON audit_events"
        } else {
            "DROP TRIGGER audit_events_no_update"
        };
        // Someone with the database in hand gets past the append-only trigger.
        sqlx::query(drop).execute(&mut db).await.unwrap();
        sqlx::query("UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 1")
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    for repair in [false, true] {
        let (code, v) = c.doctor(repair);
        assert_eq!(code, Some(3), "{v:#}");
        let audit = findings(&v, "problem");
        assert!(
            audit
                .iter()
                .any(|p| p["check"] == "audit" && p["message"].as_str().unwrap().contains("broken at event 1")),
            "{v:#}"
        );
    }
}
