//! A tester's verdict: what the form must hold to count.

use super::rfc::FieldError;
use crate::msg;

pub const MAX_NOTE: usize = 2_000;
pub const MAX_COMMENT: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
        }
    }
}

/// The posted form, decoded: `verdict`, `comment`, `case-<id>`, `note-<id>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignoffInput {
    pub verdict: String,
    pub comment: String,
    /// case id → (result, note)
    pub cases: Vec<(i64, String, String)>,
}

impl SignoffInput {
    pub fn from_pairs(pairs: &[(String, String)]) -> SignoffInput {
        let mut input = SignoffInput::default();
        let mut results: std::collections::BTreeMap<i64, (String, String)> = Default::default();
        for (k, v) in pairs {
            match k.as_str() {
                "verdict" => input.verdict = v.trim().to_string(),
                "comment" => input.comment = v.trim().to_string(),
                _ => {
                    if let Some(id) = k.strip_prefix("case-").and_then(|i| i.parse().ok()) {
                        results.entry(id).or_default().0 = v.trim().to_string();
                    } else if let Some(id) = k.strip_prefix("note-").and_then(|i| i.parse().ok()) {
                        results.entry(id).or_default().1 = v.trim().to_string();
                    }
                }
            }
        }
        input.cases = results.into_iter().map(|(id, (r, n))| (id, r, n)).collect();
        input
    }
}

/// Checks a verdict against the RFC's test cases in that environment.
/// Every case needs pass or fail; a failed case cannot be approved; a
/// rejection says why.
pub fn validate(input: &SignoffInput, case_ids: &[i64]) -> Result<Verdict, Vec<FieldError>> {
    let mut errors = Vec::new();
    let verdict = match input.verdict.as_str() {
        "approve" => Some(Verdict::Approve),
        "reject" => Some(Verdict::Reject),
        _ => {
            errors.push(FieldError::new("verdict", msg!("choose approve or reject")));
            None
        }
    };
    let mut failed = false;
    for id in case_ids {
        let field = format!("case-{id}");
        match input.cases.iter().find(|(c, _, _)| c == id) {
            Some((_, r, note)) if r == "pass" || r == "fail" => {
                failed |= r == "fail";
                if note.chars().count() > MAX_NOTE {
                    errors.push(FieldError::new(
                        &format!("note-{id}"),
                        msg!("is longer than 2,000 characters"),
                    ));
                }
            }
            _ => errors.push(FieldError::new(&field, msg!("mark this test case as passed or failed"))),
        }
    }
    for (id, _, _) in &input.cases {
        if !case_ids.contains(id) {
            errors.push(FieldError::new(
                &format!("case-{id}"),
                msg!("is not a test case of this sign-off"),
            ));
        }
    }
    if verdict == Some(Verdict::Approve) && failed {
        errors.push(FieldError::new(
            "verdict",
            msg!("a failed test case cannot be approved: reject it and say what went wrong"),
        ));
    }
    if verdict == Some(Verdict::Reject) && input.comment.is_empty() {
        errors.push(FieldError::new(
            "comment",
            msg!("say what went wrong, so it can be fixed"),
        ));
    }
    if input.comment.chars().count() > MAX_COMMENT {
        errors.push(FieldError::new("comment", msg!("is longer than 10,000 characters")));
    }
    match (verdict, errors.is_empty()) {
        (Some(v), true) => Ok(v),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn decodes_the_form() {
        let i = SignoffInput::from_pairs(&pairs(&[
            ("csrf_token", "x"),
            ("verdict", "approve"),
            ("case-3", "pass"),
            ("note-3", " fine "),
            ("case-5", "fail"),
            ("case-x", "pass"),
        ]));
        assert_eq!(i.verdict, "approve");
        assert_eq!(
            i.cases,
            vec![(3, "pass".into(), "fine".into()), (5, "fail".into(), String::new())]
        );
    }

    #[test]
    fn approve_needs_every_case_passed() {
        let ok = SignoffInput {
            verdict: "approve".into(),
            comment: String::new(),
            cases: vec![(1, "pass".into(), String::new())],
        };
        assert_eq!(validate(&ok, &[1]), Ok(Verdict::Approve));
        let missing = SignoffInput {
            cases: vec![],
            ..ok.clone()
        };
        assert_eq!(validate(&missing, &[1]).unwrap_err()[0].field, "case-1");
        let failed = SignoffInput {
            cases: vec![(1, "fail".into(), "totals wrong".into())],
            ..ok.clone()
        };
        assert_eq!(validate(&failed, &[1]).unwrap_err()[0].field, "verdict");
        let foreign = SignoffInput {
            cases: vec![(1, "pass".into(), String::new()), (9, "pass".into(), String::new())],
            ..ok
        };
        assert_eq!(validate(&foreign, &[1]).unwrap_err()[0].field, "case-9");
    }

    #[test]
    fn no_cases_still_takes_a_verdict() {
        let i = SignoffInput {
            verdict: "approve".into(),
            ..Default::default()
        };
        assert_eq!(validate(&i, &[]), Ok(Verdict::Approve));
    }

    #[test]
    fn reject_needs_a_comment_and_verdict_is_required() {
        let i = SignoffInput {
            verdict: "reject".into(),
            ..Default::default()
        };
        assert_eq!(validate(&i, &[]).unwrap_err()[0].field, "comment");
        let i = SignoffInput {
            verdict: "maybe".into(),
            ..Default::default()
        };
        assert_eq!(validate(&i, &[]).unwrap_err()[0].field, "verdict");
    }
}
