//! The documentation's runnable shell blocks (issue 21): every block marked
//! `sh runnable` in README.md, docs/operations.md and docs/guide/*.md runs,
//! one file's blocks in order as one script (so `cd` and `export` carry over),
//! in a fresh folder with its own HOME and git identity. A documented command
//! that stops working fails here. Blocks marked `sh runnable=NAME` need a
//! set-up of their own (a live system to back up) and run in the test named
//! beside each in `NAMED`.

use crate::support::docs::{documented_files, run_block, runnable_blocks};
use crate::support::{TestWorkspace, text};

/// Named blocks and the test that runs each.
const NAMED: &[(&str, &str)] = &[
    (
        "backup",
        "ops::the_restore_drill_restores_the_backup_and_never_reads_the_live_server",
    ),
    (
        "drill",
        "ops::the_restore_drill_restores_the_backup_and_never_reads_the_live_server",
    ),
    ("tour", "tour::the_readme_tour_works_pasted_line_by_line"),
];

#[test]
fn every_runnable_block_of_the_docs_runs() {
    let mut ran = 0;
    for file in documented_files() {
        let blocks = runnable_blocks(&file);
        for b in blocks.iter().filter(|b| b.name.is_some()) {
            let name = b.name.as_deref().unwrap();
            assert!(
                NAMED.iter().any(|(n, _)| *n == name),
                "{}: `sh runnable={name}` is run by no test: add it to NAMED with the test that runs it",
                b.place
            );
        }
        let plain: Vec<_> = blocks.iter().filter(|b| b.name.is_none()).collect();
        if plain.is_empty() {
            continue;
        }
        // One script per file; each block announces itself on stderr, so a
        // failure names the block it stopped in.
        let mut script = String::new();
        for b in &plain {
            script.push_str(&format!("echo '>>> {}' >&2\n{}", b.place, b.script));
        }
        let ws = TestWorkspace::empty();
        let block = crate::support::docs::Block {
            place: plain[0].place.clone(),
            name: None,
            script,
        };
        let out = run_block(&ws, &block, ws.tmp.path(), &[]);
        assert!(
            out.status.success(),
            "a documented command failed (the last `>>>` line names its block):\n{}",
            text(&out)
        );
        ran += plain.len();
    }
    assert!(ran > 0, "no block is marked `sh runnable`");
}
