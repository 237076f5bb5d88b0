//! An RFC template file: bounded YAML parsing, then validation (field types,
//! options, patterns compiled as regexes, test kinds, environment names).
#![no_main]

use dtap::domain::template::{self, TemplateSpec};
use dtap::workspace::yaml;
use libfuzzer_sys::fuzz_target;

const ENVS: &[&str] = &["develop", "test", "acceptance", "production"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = yaml::from_str::<TemplateSpec>("rfc-templates/fuzz.yaml", text) else {
        return;
    };
    let (t, problems) = template::build("rfc-templates/fuzz.yaml", &spec, ENVS);
    for p in &problems {
        let _ = p.to_string();
    }
    if let Some(t) = t {
        let _ = t.field("title");
    }
});
