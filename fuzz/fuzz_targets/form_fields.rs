//! A form post: urlencoded bytes decoded as axum's `Form<Vec<(String,
//! String)>>` does, then the RFC field decoding and validation every RFC form
//! and `--field` goes through, against each default template.
#![no_main]

use std::sync::OnceLock;

use dtap::domain::rfc::fields;
use dtap::domain::template::{self, Template, TemplateSpec};
use dtap::workspace::{defaults, yaml};
use libfuzzer_sys::fuzz_target;

const ENVS: &[&str] = &["develop", "test", "acceptance", "production"];

fn templates() -> &'static [Template] {
    static T: OnceLock<Vec<Template>> = OnceLock::new();
    T.get_or_init(|| {
        defaults::FILES
            .iter()
            .filter(|(rel, _)| rel.starts_with("rfc-templates/"))
            .filter_map(|(rel, body)| {
                let spec: TemplateSpec = yaml::from_str(rel, body).expect("default template parses");
                template::build(rel, &spec, ENVS).0
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    for t in templates() {
        for only_known in [true, false] {
            let input = fields::from_pairs(t, &pairs, only_known);
            if let Ok(normal) = fields::normalise(t, &input) {
                // Normalising is idempotent: a saved RFC loads and saves unchanged.
                assert_eq!(fields::normalise(t, &normal).as_ref(), Ok(&normal), "{pairs:?}");
                let title = pairs.iter().find(|(k, _)| k == "title").map(|(_, v)| v.as_str()).unwrap_or("");
                let _ = fields::submit_problems(t, title, &normal);
                let _ = fields::missing_for_approval(&normal);
            }
        }
    }
});
