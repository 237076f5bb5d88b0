//! Naming rules shared by environments, packages, templates and fields.

use std::sync::LazyLock;

use regex::Regex;

static PACKAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9._-]{0,63}$").expect("valid regex"));
static ENVIRONMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9-]{0,31}$").expect("valid regex"));
static IDENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9_]{0,63}$").expect("valid regex"));
static SLUG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9-]{0,63}$").expect("valid regex"));
static RFC_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^RFC-[1-9][0-9]{0,9}$").expect("valid regex"));

/// `[a-z0-9][a-z0-9._-]{0,63}`, and never `.` or `..` tricks: a name with
/// consecutive dots would be legal here but is refused as too easy to misread.
pub fn is_package_name(s: &str) -> bool {
    PACKAGE.is_match(s) && !s.contains("..")
}

pub fn is_environment_name(s: &str) -> bool {
    ENVIRONMENT.is_match(s)
}

/// Field ids of RFC templates: `[a-z][a-z0-9_]*`.
pub fn is_field_id(s: &str) -> bool {
    IDENT.is_match(s)
}

/// Template ids and role names: `[a-z0-9][a-z0-9-]*`.
pub fn is_slug(s: &str) -> bool {
    SLUG.is_match(s)
}

pub fn is_rfc_id(s: &str) -> bool {
    RFC_ID.is_match(s)
}

/// A plausible e-mail address: one `@`, something on both sides, a dot in the
/// domain, no spaces. Deliverability is the mail server's business.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// E-mail identities are compared case-insensitively.
pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for ok in ["crm-core", "a", "sales.reports", "x_1", "0day"] {
            assert!(is_package_name(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in ["", "Crm", "-x", ".git", "..", "a/b", "a..b", "a b", long.as_str(), "é"] {
            assert!(!is_package_name(bad), "{bad}");
        }
    }

    #[test]
    fn environment_names() {
        assert!(is_environment_name("acceptance"));
        assert!(is_environment_name("pre-prod"));
        for bad in ["", "Test", "1st", "a_b", "a/b"] {
            assert!(!is_environment_name(bad), "{bad}");
        }
    }

    #[test]
    fn rfc_ids() {
        assert!(is_rfc_id("RFC-1"));
        assert!(is_rfc_id("RFC-1234"));
        for bad in ["RFC-0", "rfc-1", "RFC-", "RFC-01", "RFC-1a"] {
            assert!(!is_rfc_id(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(is_email("anna@example.org"));
        for bad in [
            "anna",
            "@example.org",
            "anna@",
            "anna@org",
            "an na@example.org",
            "a@b@c.org",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert_eq!(normalise_email(" Anna@Example.ORG "), "anna@example.org");
    }
}
