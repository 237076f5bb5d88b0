//! Shell blocks of the documentation that are marked runnable: a fenced
//! block whose info string is `sh runnable` (run by `docs::runnable_blocks_run`
//! in a fresh workspace, one file's blocks in order) or `sh runnable=NAME`
//! (run by the test that prepares what it needs, e.g. the restore drill).

use std::path::{Path, PathBuf};
use std::process::Output;

use super::workspace::TestWorkspace;

/// The files whose runnable blocks are tested.
pub fn documented_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("docs/operations.md")];
    let mut guide: Vec<PathBuf> = std::fs::read_dir(root.join("docs/guide"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    guide.sort();
    files.extend(guide);
    files
}

#[derive(Debug, Clone)]
pub struct Block {
    /// `docs/operations.md:123`, where the block starts.
    pub place: String,
    /// `Some(NAME)` for `sh runnable=NAME`.
    pub name: Option<String>,
    pub script: String,
}

/// The runnable blocks of `file`, in order.
pub fn runnable_blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let shown = file
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(file)
        .display()
        .to_string();
    let mut out = Vec::new();
    let mut open: Option<(usize, Option<String>, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        match &mut open {
            Some((start, name, script)) => {
                if fence.starts_with("```") {
                    out.push(Block {
                        place: format!("{shown}:{start}"),
                        name: name.take(),
                        script: std::mem::take(script),
                    });
                    open = None;
                } else {
                    script.push_str(line);
                    script.push('\n');
                }
            }
            None => {
                let Some(info) = fence.strip_prefix("```") else {
                    continue;
                };
                let mut words = info.split_whitespace();
                if words.next() != Some("sh") {
                    continue;
                }
                if let Some(marker) = words.find(|w| w.starts_with("runnable")) {
                    let name = marker.strip_prefix("runnable=").map(str::to_string);
                    open = Some((n + 1, name, String::new()));
                }
            }
        }
    }
    out
}

/// The block named `name` in `file`.
pub fn named_block(file: &str, name: &str) -> Block {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    runnable_blocks(&path)
        .into_iter()
        .find(|b| b.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{file} has no block marked `sh runnable={name}`"))
}

/// Runs a block with bash (`-eu -o pipefail`: a failing command fails the
/// block) in `cwd`, with the workspace's isolated environment, the dtap under
/// test first on PATH, and `env`.
pub fn run_block(ws: &TestWorkspace, block: &Block, cwd: &Path, env: &[(&str, &str)]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_dtap")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = ws.isolated_command("bash");
    cmd.args(["-eu", "-o", "pipefail", "-c", &block.script])
        .current_dir(cwd)
        .env("PATH", path)
        .env("DTAP_USER", super::RM);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run bash")
}
