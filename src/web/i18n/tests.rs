use super::*;

#[test]
fn every_template_text_has_dutch() {
    let re = regex::Regex::new(r#"\bt\("((?:[^"\\]|\\.)*)""#).unwrap();
    let mut missing = Vec::new();
    for (name, source) in crate::web::templates::sources() {
        for c in re.captures_iter(source) {
            let key = c[1].replace("\\\"", "\"");
            if key.ends_with(' ') {
                continue; // a prefix joined with a value: checked below
            }
            if !catalogue().contains_key(&key) {
                missing.push(format!("{name}: {key}"));
            }
        }
    }
    for action in ["reject", "hold", "withdraw"] {
        let key = format!("Reason to {action}");
        if !catalogue().contains_key(&key) {
            missing.push(key);
        }
    }
    for (_, words) in crate::web::reports::TITLES.iter().chain(crate::web::reports::COLUMNS) {
        if !catalogue().contains_key(*words) {
            missing.push(words.to_string());
        }
    }
    for s in crate::domain::rfc::State::ALL {
        if !catalogue().contains_key(s.label()) {
            missing.push(s.label().to_string());
        }
    }
    for a in crate::domain::rfc::Action::ALL {
        if !catalogue().contains_key(a.label()) {
            missing.push(a.label().to_string());
        }
    }
    for (_, label, _) in crate::domain::rfc::fields::CORE {
        if !catalogue().contains_key(*label) {
            missing.push(label.to_string());
        }
    }
    assert!(missing.is_empty(), "texts without Dutch: {missing:#?}");
}

#[test]
fn missing_texts_are_marked_in_dutch_only() {
    assert_eq!(t(Locale::En, "No such text"), "No such text");
    assert_eq!(t(Locale::Nl, "No such text"), "⟦No such text⟧");
    assert_eq!(tr(Locale::Nl, "Sales"), "Sales");
    assert_eq!(t(Locale::Nl, "Requests"), "Verzoeken");
}

#[test]
fn dates_and_numbers_per_locale() {
    assert_eq!(date(Locale::Nl, "2026-11-23T10:05:00.000000Z"), "23-11-2026");
    assert_eq!(date(Locale::En, "2026-11-23T10:05:00.000000Z"), "2026-11-23");
    assert_eq!(datetime(Locale::Nl, "2026-11-23T10:05:00.000000Z"), "23-11-2026 10:05");
    assert_eq!(datetime(Locale::En, "2026-11-23"), "2026-11-23");
    assert_eq!(number(Locale::Nl, 1234.56, 1), "1.234,6");
    assert_eq!(number(Locale::En, 1234.56, 1), "1,234.6");
    assert_eq!(number(Locale::Nl, -0.04, 1), "0,0");
    assert_eq!(number(Locale::En, -12.5, 1), "-12.5");
    assert_eq!(number(Locale::Nl, 1_000_000.0, 0), "1.000.000");
    assert_eq!(number(Locale::En, 999.0, 0), "999");
}

#[test]
fn accept_language_picks_the_best_supported() {
    assert_eq!(from_accept_language("nl-NL,nl;q=0.9,en;q=0.8"), Some(Locale::Nl));
    assert_eq!(from_accept_language("de-DE, en;q=0.5, nl;q=0.7"), Some(Locale::Nl));
    assert_eq!(from_accept_language("fr, de"), None);
    assert_eq!(from_accept_language("nl;q=0, en"), Some(Locale::En));
}

#[test]
fn query_then_cookie_then_header_then_default() {
    let mut h = HeaderMap::new();
    assert_eq!(negotiate(None, &h, Locale::Nl), (Locale::Nl, None));
    h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en-GB"));
    assert_eq!(negotiate(None, &h, Locale::Nl), (Locale::En, None));
    h.insert(header::COOKIE, HeaderValue::from_static("dtap_session=x; dtap_lang=nl"));
    assert_eq!(negotiate(None, &h, Locale::En), (Locale::Nl, None));
    assert_eq!(
        negotiate(Some("q=1&lang=en"), &h, Locale::Nl),
        (Locale::En, Some(Locale::En))
    );
    assert_eq!(negotiate(Some("lang=xx"), &h, Locale::En), (Locale::Nl, None));
}

#[test]
fn switch_keeps_the_other_parameters() {
    assert_eq!(
        switch_url(Some("state=draft&lang=en"), Locale::Nl),
        "?state=draft&lang=nl"
    );
    assert_eq!(switch_url(None, Locale::En), "?lang=en");
}

#[test]
fn every_signoff_error_has_dutch() {
    use crate::domain::signoff::{SignoffInput, validate};
    let long = "x".repeat(10_001);
    let inputs = [
        SignoffInput::default(),
        SignoffInput {
            verdict: "approve".into(),
            comment: long.clone(),
            cases: vec![(1, "fail".into(), long.clone()), (9, "pass".into(), String::new())],
        },
        SignoffInput {
            verdict: "reject".into(),
            comment: String::new(),
            cases: vec![(1, "pass".into(), String::new())],
        },
    ];
    let mut seen = std::collections::BTreeSet::new();
    for input in &inputs {
        for e in validate(input, &[1, 2]).unwrap_err() {
            seen.insert(e.message.key);
        }
    }
    assert!(seen.len() >= 7, "{seen:#?}");
    let missing: Vec<_> = seen.iter().filter(|m| !catalogue().contains_key(**m)).collect();
    assert!(missing.is_empty(), "sign-off errors without Dutch: {missing:#?}");
}
