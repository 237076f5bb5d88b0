//! package.yaml: bounded YAML parsing, validation against its folder,
//! rewriting the rfcs list (`dtap rfc link`), and platform comparison.
#![no_main]

use dtap::domain::manifest::{Manifest, ManifestSpec, compare_platform, set_rfcs};
use dtap::workspace::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The rewrite must keep any manifest readable that was readable before.
    let before = yaml::from_str::<ManifestSpec>("crm-core/package.yaml", text);
    let linked = set_rfcs(text, &["RFC-1".to_string(), "RFC-22".to_string()]);
    if let Ok(spec) = before {
        if let Some(p) = &spec.requires_platform {
            let _ = compare_platform(p, "2026.1");
        }
        if let Ok(m) = Manifest::from_spec("crm-core", spec) {
            let after: ManifestSpec = yaml::from_str("crm-core/package.yaml", &linked)
                .unwrap_or_else(|e| panic!("linking made a valid manifest unreadable: {e}\n---\n{linked}"));
            let after = Manifest::from_spec("crm-core", after)
                .unwrap_or_else(|e| panic!("linking made a valid manifest invalid: {e:?}\n---\n{linked}"));
            assert_eq!(after.version, m.version, "linking changed the version:\n{linked}");
            assert_eq!(after.rfcs, ["RFC-1", "RFC-22"], "linking did not set the rfcs:\n{linked}");
        }
    }
});
