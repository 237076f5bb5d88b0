//! Running one step: a program with its argument vector (never a shell), in
//! its own process group, in an empty folder with a clean environment; or an
//! HTTP call made by `curl` the same way. Its output is kept as the last
//! 64 KiB, with every secret value replaced by `***`. A timeout or a cancel
//! kills the whole process group; so does the step's end, so a child it
//! left behind never outlives it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::domain::deploy::state::DeployState;

/// The most of a step's output that is kept.
pub const TAIL: usize = 64 * 1024;

pub struct StepResult {
    pub state: DeployState,
    pub exit_code: Option<i64>,
    pub duration: Duration,
    pub output: String,
}

/// What a running step is asked, between its output: go on, or stop now.
pub trait Watch: Send {
    /// Called every few seconds while the step runs; `false` cancels it.
    fn keep_going(&mut self) -> impl std::future::Future<Output = bool> + Send;
}

/// What a step keeps of dtap's own environment: nothing else leaks in.
pub fn base_environment() -> Vec<(String, String)> {
    ["PATH", "HOME", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect()
}

/// Replaces each secret value by `***` and keeps the last [`TAIL`] bytes (on
/// a character boundary).
pub fn masked_tail(raw: &[u8], secrets: &[String]) -> String {
    let mut text = crate::domain::deploy::redact::redact(&String::from_utf8_lossy(raw), secrets);
    if text.len() > TAIL {
        let mut cut = text.len() - TAIL;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text = text[cut..].to_string();
    }
    text
}

/// Keeps the newest bytes of a stream, enough to mask a secret that straddles the cut.
async fn drain(mut r: impl AsyncRead + Unpin, keep: usize, into: std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let mut out = into.lock().unwrap_or_else(|e| e.into_inner());
                out.extend_from_slice(&buf[..n]);
                if out.len() > 2 * keep {
                    let excess = out.len() - keep;
                    out.drain(..excess);
                }
            }
        }
    }
}

/// SIGKILL to the whole process group the step leads (its pid is the group's id).
fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Runs `args` in `cwd` with exactly `env`; `timeout` ends it as `timed_out`.
pub async fn run_program(
    args: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
    secrets: &[String],
    watch: &mut impl Watch,
) -> StepResult {
    let started = Instant::now();
    let Some((program, rest)) = args.split_first() else {
        return StepResult {
            state: DeployState::Failed,
            exit_code: None,
            duration: Duration::ZERO,
            output: "the step names no program".into(),
        };
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return StepResult {
                state: DeployState::Failed,
                exit_code: None,
                duration: started.elapsed(),
                output: format!(
                    "could not start `{program}`: {e} (is it installed and on the PATH of whoever runs deployments?)"
                ),
            };
        }
    };
    let pid = child.id();
    let keep = TAIL + secrets.iter().map(String::len).max().unwrap_or(0);
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let readers = {
        let (so, se) = (child.stdout.take(), child.stderr.take());
        let (a, b) = (out.clone(), out.clone());
        tokio::spawn(async move {
            let one = async {
                if let Some(s) = so {
                    drain(s, keep, a).await
                }
            };
            let two = async {
                if let Some(s) = se {
                    drain(s, keep, b).await
                }
            };
            tokio::join!(one, two);
        })
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.tick().await;
    let (state, code) = loop {
        tokio::select! {
            status = child.wait() => {
                break match status {
                    Ok(s) if s.success() => (DeployState::Succeeded, s.code().map(i64::from)),
                    Ok(s) => (DeployState::Failed, s.code().map(i64::from)),
                    Err(_) => (DeployState::Failed, None),
                };
            }
            _ = tokio::time::sleep_until(deadline) => {
                break (DeployState::TimedOut, None);
            }
            _ = tick.tick() => {
                if !watch.keep_going().await {
                    break (DeployState::Cancelled, None);
                }
            }
        }
    };
    // Whatever happened, nothing the step started lives on.
    if let Some(pid) = pid {
        kill_group(pid);
    }
    let _ = child.wait().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), readers).await;
    let raw = out.lock().map(|v| v.clone()).unwrap_or_default();
    let mut output = masked_tail(&raw, secrets);
    match state {
        DeployState::TimedOut => output.push_str(&format!(
            "\n[dtap] stopped after {}s: the step's timeout\n",
            timeout.as_secs()
        )),
        DeployState::Cancelled => output.push_str("\n[dtap] stopped: the deployment was cancelled\n"),
        _ => {}
    }
    StepResult {
        state,
        exit_code: code,
        duration: started.elapsed(),
        output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_the_tail_kept() {
        let raw = format!("{}token=s3cr3t done", "x".repeat(TAIL));
        let t = masked_tail(raw.as_bytes(), &["s3cr3t".to_string(), String::new()]);
        assert!(t.ends_with("token=*** done"));
        assert!(!t.contains("s3cr3t"));
        assert!(t.len() <= TAIL);
        assert!(
            masked_tail("é".repeat(40_000).as_bytes(), &[])
                .chars()
                .all(|c| c == 'é')
        );
    }
}
