//! Sizes as written in dtap.toml (`max_attachment = "10 MB"`) and as pages
//! show them. A KB is 1024 bytes and an MB 1024 KB, as nginx's
//! `client_max_body_size` counts (KiB and MiB are accepted too).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError(pub String);

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;
const GB: u64 = 1024 * MB;

/// `"10 MB"`, `"512KB"`, `"1 GiB"`, `"2048"` (bytes) → bytes; more than zero.
pub fn parse(text: &str) -> Result<u64, SizeError> {
    let bad = || {
        SizeError(format!(
            "invalid size `{text}`: write a whole number and a unit, e.g. `10 MB`, `512 KB` (units: B, KB, MB, GB)"
        ))
    };
    let s = text.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().map_err(|_| bad())?;
    let unit = match s[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kib" => KB,
        "m" | "mb" | "mib" => MB,
        "g" | "gb" | "gib" => GB,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit) {
        Some(0) => Err(SizeError(format!("invalid size `{text}`: it must be more than 0"))),
        Some(v) => Ok(v),
        None => Err(bad()),
    }
}

/// A limit as it was written, in the largest unit that divides it: `10 MB`,
/// `300 KB`, `1000 B`.
pub fn format(bytes: u64) -> String {
    for (unit, name) in [(GB, "GB"), (MB, "MB"), (KB, "KB")] {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} B")
}

/// A file's size, rounded for people: the number (to write in the page's
/// language) and its unit: `(1.5, 1, "MB")`, `(12.0, 0, "KB")`, `(300.0, 0, "B")`.
pub fn rounded(bytes: u64) -> (f64, usize, &'static str) {
    if bytes >= MB {
        (bytes as f64 / MB as f64, 1, "MB")
    } else if bytes >= KB {
        ((bytes as f64 / KB as f64).max(1.0), 0, "KB")
    } else {
        (bytes as f64, 0, "B")
    }
}

/// For `#[serde(deserialize_with = "size::deserialize")]`: text (`"10 MB"`)
/// or a whole number of bytes.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Written {
        Bytes(u64),
        Text(String),
    }
    match <Written as serde::Deserialize>::deserialize(d)? {
        Written::Bytes(0) => Err(serde::de::Error::custom("invalid size `0`: it must be more than 0")),
        Written::Bytes(n) => Ok(n),
        Written::Text(t) => parse(&t).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse("10 MB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse("10MB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse(" 10 mib "), Ok(10 * 1024 * 1024));
        assert_eq!(parse("512 KB"), Ok(512 * 1024));
        assert_eq!(parse("512k"), Ok(512 * 1024));
        assert_eq!(parse("1 GiB"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse("2048"), Ok(2048));
        assert_eq!(parse("2048 B"), Ok(2048));
        assert_eq!(parse("7 bytes"), Ok(7));
    }

    #[test]
    fn bad_sizes_say_how_to_write_one() {
        for bad in [
            "",
            "MB",
            "ten MB",
            "10 TB",
            "1.5 MB",
            "-1 MB",
            "10 M B",
            "99999999999999999999 GB",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.0.contains("e.g. `10 MB`"), "{bad:?}: {e}");
        }
        assert!(parse("0 MB").unwrap_err().0.contains("more than 0"));
    }

    #[test]
    fn limits_format_in_the_largest_unit_that_divides_them() {
        assert_eq!(format(10 * 1024 * 1024), "10 MB");
        assert_eq!(format(300 * 1024), "300 KB");
        assert_eq!(format(1536 * 1024), "1536 KB");
        assert_eq!(format(1000), "1000 B");
        assert_eq!(format(2 * 1024 * 1024 * 1024), "2 GB");
        for n in [1u64, 1000, 1024, 300 * 1024, 10 * 1024 * 1024] {
            assert_eq!(parse(&format(n)), Ok(n));
        }
    }

    #[test]
    fn file_sizes_round_for_people() {
        assert_eq!(rounded(300), (300.0, 0, "B"));
        assert_eq!(rounded(1024), (1.0, 0, "KB"));
        assert_eq!(rounded(12 * 1024 + 100).2, "KB");
        assert_eq!(rounded(3 * 1024 * 1024 / 2), (1.5, 1, "MB"));
    }

    #[test]
    fn a_size_deserializes_from_text_or_a_number() {
        #[derive(serde::Deserialize)]
        struct C {
            #[serde(deserialize_with = "deserialize")]
            max: u64,
        }
        let c: C = toml::from_str("max = \"1 MB\"").unwrap();
        assert_eq!(c.max, 1024 * 1024);
        let c: C = toml::from_str("max = 4096").unwrap();
        assert_eq!(c.max, 4096);
        assert!(toml::from_str::<C>("max = \"lots\"").is_err());
        assert!(toml::from_str::<C>("max = 0").is_err());
    }
}
