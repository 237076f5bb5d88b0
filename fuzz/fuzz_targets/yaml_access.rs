//! access.yaml: bounded YAML parsing, the matrix built from it, and
//! permission checks with patterns such as `promote.*`.
#![no_main]

use dtap::domain::access::{AccessMatrix, AccessSpec};
use dtap::workspace::yaml;
use libfuzzer_sys::fuzz_target;

const ENVS: &[&str] = &["develop", "test", "acceptance", "production"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = yaml::from_str::<AccessSpec>("access.yaml", text) else {
        return;
    };
    let (m, problems) = AccessMatrix::build("access.yaml", &spec, ENVS);
    for p in &problems {
        let _ = p.to_string();
    }
    let users: Vec<String> = m.users.keys().map(|u| u.to_string()).collect();
    for u in users.iter().take(8) {
        for perm in ["promote.test", "promote.production", "emergency", "rfc.file", ""] {
            let _ = m.can(u, perm);
        }
    }
});
