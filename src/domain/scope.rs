//! What an API token may do: a closed list of scopes. A token made before
//! scopes existed keeps every scope (DESIGN §15).

/// Every scope, in the order help texts list them.
pub const SCOPES: &[&str] = &["read", "rfc.write", "promote", "metrics"];

/// The scopes of a token: `None` for one made before scopes (every scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Option<Vec<String>>);

impl Scopes {
    /// Every scope: a token made before scopes.
    pub fn all() -> Scopes {
        Scopes(None)
    }

    /// The scopes asked for: each from the closed list, without repeats;
    /// none given means `read`.
    pub fn parse(asked: &[String]) -> Result<Scopes, String> {
        let mut out: Vec<String> = Vec::new();
        for s in asked {
            let s = s.trim();
            if !SCOPES.contains(&s) {
                return Err(format!("unknown scope `{s}`: choose from {}", SCOPES.join(", ")));
            }
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        }
        if out.is_empty() {
            out.push("read".into());
        }
        Ok(Scopes(Some(out)))
    }

    /// As stored: a JSON array, or `None` for every scope.
    pub fn stored(&self) -> Option<String> {
        self.0
            .as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_else(|_| "[]".into()))
    }

    /// From the stored column (NULL: every scope; damage: none).
    pub fn from_stored(column: Option<&str>) -> Scopes {
        match column {
            None => Scopes::all(),
            Some(text) => Scopes(Some(serde_json::from_str(text).unwrap_or_default())),
        }
    }

    pub fn allows(&self, scope: &str) -> bool {
        self.0.as_ref().is_none_or(|v| v.iter().any(|s| s == scope))
    }

    /// For lists: the scopes, or `*` for every scope.
    pub fn shown(&self) -> String {
        self.0.as_ref().map_or_else(|| "*".to_string(), |v| v.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_given_is_read_and_old_tokens_keep_every_scope() {
        let read = Scopes::parse(&[]).unwrap();
        assert!(read.allows("read") && !read.allows("metrics") && !read.allows("rfc.write"));
        let two = Scopes::parse(&["read".into(), "rfc.write".into(), "read".into()]).unwrap();
        assert_eq!(two.stored().as_deref(), Some(r#"["read","rfc.write"]"#));
        assert_eq!(Scopes::from_stored(two.stored().as_deref()), two);
        assert!(
            Scopes::parse(&["admin".into()])
                .unwrap_err()
                .contains("unknown scope `admin`")
        );
        let old = Scopes::from_stored(None);
        assert!(SCOPES.iter().all(|s| old.allows(s)));
        assert_eq!(old.shown(), "*");
    }
}
