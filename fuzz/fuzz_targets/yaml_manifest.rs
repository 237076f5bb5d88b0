//! package.yaml: bounded YAML parsing, validation against its folder,
//! rewriting the rfcs list (`dtap rfc link`), and platform comparison.
//! A rewrite may fail to parse (link then refuses and says so), but one that
//! parses must be right.
#![no_main]

use dtap::domain::manifest::{Manifest, ManifestSpec, compare_platform, set_rfcs};
use dtap::workspace::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let before = yaml::from_str::<ManifestSpec>("crm-core/package.yaml", text);
    let asked = ["RFC-1".to_string(), "RFC-22".to_string()];
    let linked = set_rfcs(text, &asked);
    let Ok(spec) = before else { return };
    if let Some(p) = &spec.requires_platform {
        let _ = compare_platform(p, "2026.1");
    }
    let Ok(m) = Manifest::from_spec("crm-core", spec) else { return };
    // `dtap rfc link` refuses a rewrite that does not parse or validate; one
    // that does must say exactly what was asked and keep everything else.
    let Ok(after) = yaml::from_str::<ManifestSpec>("crm-core/package.yaml", &linked) else { return };
    let Ok(after) = Manifest::from_spec("crm-core", after) else { return };
    assert_eq!(after.rfcs, asked, "linking did not set the rfcs:\n{text}\n---\n{linked}");
    assert_eq!(
        (&after.name, &after.version, &after.description, &after.requires_platform, &after.depends_on),
        (&m.name, &m.version, &m.description, &m.requires_platform, &m.depends_on),
        "linking changed another field:\n{text}\n---\n{linked}"
    );
});
