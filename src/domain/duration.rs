//! Human durations as written in dtap.toml and environment files: `7d`, `36h`,
//! `1d12h`, `90m`, `30s`, `2w`.

use std::fmt;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let bad = || {
        DurationError(format!(
            "invalid duration `{text}`: write a number and a unit, e.g. `2d`, `36h`, `1d12h`, `90m` (units: w, d, h, m, s)"
        ))
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// For `#[serde(deserialize_with = "duration::deserialize")]`: a duration
/// written as text (`"2d"`), refused with `parse`'s message.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// Formats a duration back in the largest units that fit, e.g. `1d12h`.
pub fn format(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{}", secs / size, unit));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_combined_units() {
        assert_eq!(parse("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse("36h").unwrap(), Duration::from_secs(36 * 3_600));
        assert_eq!(parse("1d12h").unwrap(), Duration::from_secs(86_400 + 12 * 3_600));
        assert_eq!(parse("2w").unwrap(), Duration::from_secs(14 * 86_400));
        assert_eq!(parse(" 90m ").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse("0s").unwrap(), Duration::ZERO);
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in ["", "7", "d", "7x", "1.5d", "-1d", "7 d", "99999999999999999999d"] {
            let err = parse(bad).unwrap_err();
            assert!(err.0.contains("invalid duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn formats_back() {
        assert_eq!(format(parse("1d12h").unwrap()), "1d12h");
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
        assert_eq!(format(Duration::ZERO), "0s");
    }
}
