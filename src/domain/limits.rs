//! Length limits on free text people type (a 900 KB approval comment was
//! once stored): one place, so every input names the same numbers.

use super::rfc::FieldError;

/// A title, a name, a one-line label.
pub const LINE: usize = 200;
/// A reason, a note.
pub const REASON: usize = 2_000;
/// A comment, test steps, an expected result.
pub const TEXT: usize = 10_000;

/// An error for `field` when `value` is longer than `max` characters.
pub fn too_long(field: &str, value: &str, max: usize) -> Option<FieldError> {
    (value.chars().count() > max).then(|| FieldError::new(field, format!("is longer than {max} characters")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters() {
        assert!(too_long("comment", &"é".repeat(TEXT), TEXT).is_none());
        let e = too_long("comment", &"a".repeat(TEXT + 1), TEXT).unwrap();
        assert_eq!(e.field, "comment");
        assert!(e.message.contains("10000"), "{}", e.message);
    }
}
