//! Bounded YAML reading. Workspace files and package manifests are small;
//! anything huge, deeply nested or alias-heavy is refused quickly with a
//! clear message instead of exhausting memory or time.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_saphyr::{Budget, Options};

use crate::domain::{Located, Pos, Problem};

/// Largest YAML file dtap reads.
pub const MAX_BYTES: u64 = 1024 * 1024;
/// Deepest nesting accepted; real files use fewer than ten levels.
pub const MAX_DEPTH: usize = 64;

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_events = 250_000;
    budget.max_nodes = 250_000;
    budget.max_total_scalar_bytes = 2 * MAX_BYTES as usize;
    budget.max_recorded_anchor_events = 50_000;
    budget.max_documents = 1;
    let mut o = Options::default();
    o.budget = Some(budget);
    o.alias_limits.max_total_replayed_events = 50_000;
    o.with_snippet = false;
    o
}

/// Parses `text` read from `file` into `T`, or says what is wrong and where.
pub fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Problem> {
    if text.len() as u64 > MAX_BYTES {
        return Err(too_big(file, text.len() as u64));
    }
    serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos::new(l.line() as u32, l.column() as u32))
            .unwrap_or_default();
        Problem::at(file, pos, clean_message(&e.without_snippet().to_string()))
    })
}

pub fn too_big(file: &str, size: u64) -> Problem {
    Problem::file(
        file,
        format!(
            "file is {:.1} MiB; dtap reads YAML files of at most {} MiB: is this the right file?",
            size as f64 / (1024.0 * 1024.0),
            MAX_BYTES / (1024 * 1024)
        ),
    )
}

/// The parser's message, without the position (we print our own) and with
/// serde's words turned into the workspace's.
fn clean_message(raw: &str) -> String {
    let mut msg = raw.lines().next().unwrap_or(raw).trim().to_string();
    for marker in [" at line ", " at ", " line "] {
        if let Some(i) = msg.rfind(marker)
            && msg[i + marker.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        {
            msg.truncate(i);
            break;
        }
    }
    let msg = msg.trim_end_matches([',', ':', ' ']).to_string();
    let msg = if msg.starts_with("unknown field") {
        msg.replacen("unknown field", "unknown key", 1)
    } else {
        msg
    };
    if msg.contains("budget") || msg.contains("limit") {
        format!("{msg}: the file is too deeply nested or uses too many aliases for a dtap file")
    } else {
        msg
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<T>::deserialize(d)?;
        Ok(Located::new(
            s.value,
            Pos::new(s.referenced.line() as u32, s.referenced.column() as u32),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pipeline::EnvironmentSpec;
    use std::time::Instant;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: Located<String>,
        #[serde(default)]
        items: Vec<Located<String>>,
    }

    #[test]
    fn keeps_positions() {
        let d: Doc = from_str("f.yaml", "# c\nname: x\nitems:\n  - a\n  - b\n").unwrap();
        assert_eq!(d.name.pos, Pos::new(2, 7));
        assert_eq!(d.items[1].pos.line, 5);
    }

    #[test]
    fn unknown_key_is_named_with_position() {
        let e = from_str::<Doc>("f.yaml", "name: x\ncolour: red\n").unwrap_err();
        assert_eq!(e.file, "f.yaml");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("unknown key `colour`"), "{e}");
    }

    #[test]
    fn syntax_error_has_position() {
        let e = from_str::<Doc>("f.yaml", "name: x\nitems: [a, b\n").unwrap_err();
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn environment_gate_maps_keep_positions() {
        let text = "name: acceptance\nlabel: Acceptatie\norder: 3\ngates:\n  - signoff: test\n  - min_soak: 1d\n";
        let spec: EnvironmentSpec = from_str("environments/acceptance.yaml", text).unwrap();
        let (kind, arg) = spec.gates[1].value.iter().next().unwrap();
        assert_eq!(kind.value, "min_soak");
        assert_eq!(kind.pos.line, 6);
        assert_eq!(arg.value, "1d");
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut text =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let mut prev = 'a';
        for c in 'b'..='j' {
            text.push_str(&format!(
                "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
            ));
            prev = c;
        }
        let start = Instant::now();
        let e = from_str::<serde_json::Value>("bomb.yaml", &text).unwrap_err();
        assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
        assert_eq!(e.file, "bomb.yaml");
        assert!(!e.message.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = from_str::<serde_json::Value>("deep.yaml", &text).unwrap_err();
        assert!(!e.message.is_empty());
        let block: String = (0..10_000).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        let e = from_str::<serde_json::Value>("deep.yaml", &block).unwrap_err();
        assert!(!e.message.is_empty());
    }

    #[test]
    fn huge_text_is_refused_before_parsing() {
        let text = "a: b\n".repeat(300_000);
        let e = from_str::<serde_json::Value>("big.yaml", &text).unwrap_err();
        assert!(e.message.contains("at most 1 MiB"), "{e}");
    }
}
