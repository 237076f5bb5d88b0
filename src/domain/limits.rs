//! Length limits on free text people type (a 900 KB approval comment was
//! once stored): one place, so every input names the same numbers.

use super::Msg;
use super::rfc::FieldError;
use crate::msg;

/// A title, a name, a one-line label.
pub const LINE: usize = 200;
/// A reason, a note.
pub const REASON: usize = 2_000;
/// A comment, test steps, an expected result.
pub const TEXT: usize = 10_000;

/// An error for `field` when `value` is longer than `max` characters (the
/// message as the catalogue has it: `is longer than 10,000 characters`).
pub fn too_long(field: &str, value: &str, max: usize) -> Option<FieldError> {
    (value.chars().count() > max).then(|| FieldError::new(field, longer_than(max)))
}

/// `is longer than 10,000 characters`; the limits above have their own key,
/// so the Dutch groups their digits as Dutch does (`10.000`).
pub fn longer_than(max: usize) -> Msg {
    match max {
        LINE => msg!("is longer than 200 characters"),
        REASON => msg!("is longer than 2,000 characters"),
        TEXT => msg!("is longer than 10,000 characters"),
        _ => msg!("is longer than {max} characters", max = grouped(max)),
    }
}

/// `10000` → `10,000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters() {
        assert!(too_long("comment", &"é".repeat(TEXT), TEXT).is_none());
        let e = too_long("comment", &"a".repeat(TEXT + 1), TEXT).unwrap();
        assert_eq!(e.field, "comment");
        assert_eq!(e.message.to_string(), "is longer than 10,000 characters");
        assert_eq!(grouped(200), "200");
        assert_eq!(grouped(2_000), "2,000");
    }
}
