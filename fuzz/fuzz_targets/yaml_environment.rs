//! An environment file: bounded YAML parsing, then the pipeline built from it
//! beside the default environments (order, gates, durations, names).
#![no_main]

use dtap::domain::pipeline::{EnvironmentSpec, Pipeline};
use dtap::workspace::{defaults, yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = yaml::from_str::<EnvironmentSpec>("environments/fuzz.yaml", text) else {
        return;
    };
    let mut specs = vec![("environments/fuzz.yaml".to_string(), spec)];
    for (rel, body) in defaults::FILES.iter().filter(|(r, _)| r.starts_with("environments/")) {
        specs.push((rel.to_string(), yaml::from_str(rel, body).expect("default environment parses")));
    }
    let (pipeline, problems) = Pipeline::build(specs);
    for p in &problems {
        let _ = p.to_string();
    }
    for e in pipeline.environments() {
        let _ = pipeline.previous(&e.name);
    }
});
