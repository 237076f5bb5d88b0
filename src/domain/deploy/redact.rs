//! Keeping secret values out of captured step output (DESIGN §14). Tools
//! leak a token in more shapes than the plain one: a log wraps it across
//! two lines, an HTTP trace prints `Authorization: Basic base64(user:token)`.
//! So a value is found as written, with line breaks anywhere inside it, and
//! as base64 (standard and URL-safe, at each of the three byte alignments a
//! value can have inside a longer encoded string).

/// Shorter values are only masked as written: their base64 core would be a
/// few characters that ordinary output contains by chance.
const MIN_FOR_BASE64: usize = 8;

/// Replaces every occurrence of every non-empty secret in `text` by `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut patterns: Vec<String> = Vec::new();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        patterns.push(s.clone());
        if s.len() >= MIN_FOR_BASE64 {
            patterns.extend(base64_cores(s.as_bytes()));
        }
    }
    // Longest first, so a longer form is masked whole before a shorter one inside it.
    patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
    patterns.dedup();
    let mut out = text.to_string();
    for p in &patterns {
        out = mask_across_breaks(&out, p);
    }
    out
}

/// Masks `pattern` in `text`, also where line breaks (`\n`, `\r`) split it;
/// the breaks stay, so the output keeps its lines.
fn mask_across_breaks(text: &str, pattern: &str) -> String {
    // The text without breaks, and where each of its bytes came from.
    let mut flat = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c != '\n' && c != '\r' {
            flat.push(c);
            origin.extend(std::iter::repeat_n(i, c.len_utf8()));
        }
    }
    let mut hidden = vec![false; text.len()];
    let mut found = false;
    let mut from = 0;
    while let Some(at) = flat[from..].find(pattern) {
        let start = from + at;
        let end = start + pattern.len();
        for &o in &origin[start..end] {
            hidden[o] = true;
        }
        found = true;
        from = end;
    }
    if !found {
        return text.to_string();
    }
    // Each run of hidden characters on one line becomes `***`.
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for (i, c) in text.char_indices() {
        if hidden[i] {
            if !in_run {
                out.push_str("***");
                in_run = true;
            }
        } else {
            in_run = false;
            out.push(c);
        }
    }
    out
}

/// The part of `value`'s base64 that is the same wherever the value sits in
/// a longer encoded string: for each alignment (0, 1, 2 bytes before it) the
/// characters that depend on the value's bytes alone.
fn base64_cores(value: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for shift in 0..3usize {
        let mut bytes = vec![0u8; shift];
        bytes.extend_from_slice(value);
        let encoded = crate::domain::base64::encode(&bytes);
        // Characters touching the padding bytes before, or the unknown bytes after.
        let first = if shift == 0 { 0 } else { (shift * 8).div_ceil(6) };
        let last = (bytes.len() * 8) / 6;
        if last > first + 4 {
            let core = &encoded[first..last];
            out.push(core.to_string());
            out.push(core.replace('+', "-").replace('/', "_"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "00Dxx0000001gPL!AQ4AQFk2xN8vQe";

    fn secrets() -> Vec<String> {
        vec![TOKEN.to_string()]
    }

    /// Standard base64 with padding, as `base64` and HTTP clients print it.
    fn b64(s: &str) -> String {
        crate::domain::base64::encode(s.as_bytes())
    }

    #[test]
    fn a_value_as_written_is_masked_everywhere() {
        let out = redact(&format!("token={TOKEN} and again {TOKEN}."), &secrets());
        assert_eq!(out, "token=*** and again ***.");
    }

    #[test]
    fn a_value_split_across_lines_is_masked_and_the_lines_stay() {
        let (a, b) = TOKEN.split_at(11);
        let out = redact(&format!("Authorization: {a}\n{b} (wrapped)\nnext line"), &secrets());
        assert!(!out.contains(a) && !out.contains(b), "{out}");
        assert_eq!(out, "Authorization: ***\n*** (wrapped)\nnext line");
        let out = redact(&format!("x {a}\r\n{b}"), &secrets());
        assert_eq!(out, "x ***\r\n***");
    }

    #[test]
    fn base64_of_the_value_is_masked_at_every_alignment() {
        for prefix in ["", "u:", "ab:", "user:"] {
            let encoded = b64(&format!("{prefix}{TOKEN}"));
            let out = redact(&format!("Authorization: Basic {encoded}"), &secrets());
            assert!(out.contains("***"), "{prefix}: {out}");
            // What is left is the prefix's encoding and a character or two at the edges.
            let rest: String = out.trim_start_matches("Authorization: Basic ").replace("***", "");
            assert!(rest.len() <= b64(prefix).len() + 4, "{prefix}: {out}");
        }
        let url_safe = b64(&format!("?{TOKEN}>")).replace('+', "-").replace('/', "_");
        assert!(redact(&url_safe, &secrets()).contains("***"));
    }

    #[test]
    fn short_values_are_masked_as_written_only() {
        let out = redact("pin 1234 in Zm9v", &["1234".to_string(), "foo".to_string()]);
        assert_eq!(out, "pin *** in Zm9v");
    }

    #[test]
    fn empty_values_and_text_without_secrets_are_left_alone() {
        let text = "Deploy succeeded: 12 components\n";
        assert_eq!(redact(text, &[String::new()]), text);
        assert_eq!(redact(text, &secrets()), text);
        assert_eq!(redact("é\nß", &["ß".to_string()]), "é\n***");
    }
}
