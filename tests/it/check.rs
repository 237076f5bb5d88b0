//! `dtap check`: each kind of mistake is reported as file:line:column: message.

use crate::support::{TestWorkspace, ok, stdout, text};

/// Breaks a freshly initialised workspace with `edit` and returns check's output lines.
fn check_after(edit: impl FnOnce(&TestWorkspace)) -> Vec<String> {
    let ws = TestWorkspace::init();
    edit(&ws);
    let out = ws.dtap(&["check"]);
    assert_eq!(out.status.code(), Some(1), "check should fail: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_reported(lines: &[String], location: &str, needle: &str) {
    assert!(
        lines.iter().any(|l| l.starts_with(location) && l.contains(needle)),
        "expected `{location}` … `{needle}` in:\n{}",
        lines.join("\n")
    );
}

const TEMPLATE: &str = "id: custom\ntitle: Custom\nfields:\n  - id: name\n    label: Name\n    type: text\n";

#[test]
fn yaml_syntax_error() {
    let lines = check_after(|ws| ws.write("environments/test.yaml", "name: test\nlabel: [Test\norder: 2\n"));
    assert_reported(&lines, "environments/test.yaml:", "");
    assert_eq!(lines.len(), 1, "{lines:?}");
}

#[test]
fn unknown_key() {
    let lines = check_after(|ws| {
        ws.write(
            "environments/test.yaml",
            "name: test\nlabel: Test\norder: 2\ncolour: blue\n",
        );
    });
    assert_reported(&lines, "environments/test.yaml:4:", "unknown key `colour`");
}

#[test]
fn unknown_key_in_dtap_toml() {
    let lines = check_after(|ws| {
        let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
        ws.write("dtap.toml", &toml.replace("[web]\n", "[web]\nprot = 8080\n"));
    });
    let line = std::fs::read_to_string(crate::support::TestWorkspace::init().dir.join("dtap.toml"))
        .unwrap()
        .lines()
        .position(|l| l == "[web]")
        .unwrap()
        + 2;
    assert_reported(&lines, &format!("dtap.toml:{line}:1:"), "unknown key `prot`");
}

/// A bad duration stops dtap where it was written, never becomes a default.
#[test]
fn bad_duration_in_dtap_toml_or_its_variable() {
    let ws = TestWorkspace::init();
    let toml = std::fs::read_to_string(ws.dir.join("dtap.toml")).unwrap();
    let line = toml.lines().position(|l| l.starts_with("remind_after =")).unwrap() + 1;
    ws.write(
        "dtap.toml",
        &toml.replace("remind_after = \"2d\"", "remind_after = \"2 dayz\""),
    );
    let out = ws.dtap(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_reported(
        &lines,
        &format!("dtap.toml:{line}:1:"),
        "[signoff] remind_after: invalid duration `2 dayz`",
    );
    let out = ws.dtap(&["mail", "flush"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("dtap.toml:{line}:1: [signoff] remind_after")),
        "{}",
        text(&out)
    );

    ws.write("dtap.toml", &toml);
    let bad = [("DTAP_SIGNOFF_REMIND_AFTER", "2dayz")];
    let out = ws.dtap_env(&["check"], &bad);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_reported(
        &lines,
        "environment variable DTAP_SIGNOFF_REMIND_AFTER:",
        "[signoff] remind_after: invalid duration `2dayz`",
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    let out = ws.dtap_env(&["mail", "flush"], &bad);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("environment variable DTAP_SIGNOFF_REMIND_AFTER"),
        "{}",
        text(&out)
    );
}

#[test]
fn duplicate_environment_order() {
    let lines = check_after(|ws| ws.write("environments/test.yaml", "name: test\nlabel: Test\norder: 1\n"));
    assert!(
        lines.iter().any(|l| l.contains(":3:8: duplicate environment order 1")),
        "{lines:?}"
    );
}

#[test]
fn duplicate_environment_name() {
    let lines = check_after(|ws| ws.write("environments/test.yml", "name: test\nlabel: Test again\norder: 9\n"));
    assert_reported(
        &lines,
        "environments/test.yml:1:7:",
        "duplicate environment name `test`",
    );
}

#[test]
fn unknown_gate_kind() {
    let lines = check_after(|ws| {
        ws.write(
            "environments/acceptance.yaml",
            "name: acceptance\nlabel: Acceptatie\norder: 3\ngates:\n  - signoff: test\n  - approval: cab\n",
        );
    });
    assert_reported(
        &lines,
        "environments/acceptance.yaml:6:5:",
        "unknown gate kind `approval`",
    );
}

#[test]
fn freeze_window_ending_before_it_starts() {
    let lines = check_after(|ws| {
        ws.write(
            "environments/production.yaml",
            "name: production\nlabel: Productie\norder: 4\nfreeze:\n  - { from: 2027-01-04, to: 2026-12-18, reason: year-end }\n",
        );
    });
    assert_reported(
        &lines,
        "environments/production.yaml:5:",
        "ends (2026-12-18) before it starts (2027-01-04)",
    );
}

#[test]
fn unknown_permission_and_unknown_role() {
    let lines = check_after(|ws| {
        ws.write(
            "access.yaml",
            "roles:\n  requester:\n    - rfc.file\n    - rfc.delete\n  release-manager:\n    - promote.staging\nusers:\n  anna@example.org: [requester, admin]\n",
        );
    });
    assert_reported(&lines, "access.yaml:4:7:", "unknown permission `rfc.delete`");
    assert_reported(&lines, "access.yaml:6:7:", "unknown environment `staging`");
    assert_reported(&lines, "access.yaml:8:", "unknown role `admin`");
}

#[test]
fn template_field_of_unknown_type() {
    let lines = check_after(|ws| {
        ws.write(
            "rfc-templates/custom.yaml",
            &TEMPLATE.replace("type: text", "type: colour"),
        )
    });
    assert_reported(&lines, "rfc-templates/custom.yaml:6:11:", "unknown type `colour`");
}

#[test]
fn required_if_naming_a_missing_field() {
    let lines = check_after(|ws| {
        ws.write(
            "rfc-templates/custom.yaml",
            &format!("{TEMPLATE}    required_if: {{ field: kind, equals: other }}\n"),
        );
    });
    assert_reported(
        &lines,
        "rfc-templates/custom.yaml:7:",
        "required_if names missing field `kind`",
    );
}

#[test]
fn invalid_regex() {
    let lines = check_after(|ws| ws.write("rfc-templates/custom.yaml", &format!("{TEMPLATE}    pattern: '[0-9'\n")));
    assert_reported(&lines, "rfc-templates/custom.yaml:7:", "invalid pattern `[0-9`");
}

#[test]
fn signoff_gate_naming_a_later_environment() {
    let lines = check_after(|ws| {
        ws.write(
            "environments/test.yaml",
            "name: test\nlabel: Test\norder: 2\ngates:\n  - signoff: production\n",
        );
    });
    assert_reported(&lines, "environments/test.yaml:5:", "does not come before `test`");
}

#[test]
fn test_case_in_unknown_environment() {
    let lines = check_after(|ws| {
        ws.write(
            "rfc-templates/custom.yaml",
            &format!("{TEMPLATE}test_cases:\n  - title: Works\n    environment: staging\n    kind: functional-test\n"),
        );
    });
    assert_reported(&lines, "rfc-templates/custom.yaml:9:", "unknown environment `staging`");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let lines = check_after(|ws| {
        ws.write("environments/test.yaml", "name: test\nlabel: Test\norder: 1\n");
        ws.write(
            "rfc-templates/custom.yaml",
            &TEMPLATE.replace("type: text", "type: colour"),
        );
        ws.write("access.yaml", "roles:\n  r: [nope]\n");
    });
    assert!(lines.len() >= 3, "{lines:?}");
}

#[test]
fn alias_bomb_deep_nesting_and_huge_files_are_refused_quickly() {
    let ws = TestWorkspace::init();
    let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='j' {
        bomb.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    ws.write("rfc-templates/bomb.yaml", &bomb);
    ws.write(
        "rfc-templates/deep.yaml",
        &format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
    );
    let big = vec![b'#'; 50 * 1024 * 1024];
    std::fs::write(ws.dir.join("rfc-templates/huge.yaml"), big).unwrap();
    let out = ws.dtap(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("rfc-templates/bomb.yaml"), "{stdout}");
    assert!(stdout.contains("rfc-templates/deep.yaml"), "{stdout}");
    assert!(stdout.contains("rfc-templates/huge.yaml: file is 50.0 MiB"), "{stdout}");
    assert!(
        !text(&out).contains("panicked") && !text(&out).contains("RUST_BACKTRACE"),
        "{}",
        text(&out)
    );
}

#[test]
fn check_json_lists_problems_as_data() {
    let ws = TestWorkspace::init();
    ws.write("environments/test.yaml", "name: test\nlabel: Test\norder: 1\n");
    let out = ws.dtap(&["check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["file"], "environments/test.yaml");
    assert_eq!(v[0]["line"], 3);
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate environment order")
    );
}

/// A workspace's own mail template that does not parse is found by `check`,
/// not when the first mail of its kind is due (and its change rolled back).
#[test]
fn broken_mail_template_override() {
    let lines = check_after(|ws| {
        std::fs::create_dir_all(ws.dir.join("mail-templates/nl")).unwrap();
        ws.write("mail-templates/nl/invitation.txt", "Subject: Test {{ rfc.id }\nHallo\n");
        ws.write("mail-templates/reminder.txt", "Subject: fine\n{{ link }}\n");
        // Parses, but fails when rendered: `packages` is a list, not a number.
        ws.write(
            "mail-templates/withdrawn.txt",
            "Subject: {{ rfc.id }}\n{{ packages + 1 }}\n",
        );
        // The packages of a round, as mails have them since rounds: renders.
        ws.write(
            "mail-templates/nl/withdrawn.txt",
            "Subject: {{ rfc.id }}\n{% for p in packages %}{{ p.package }} {{ p.version }}{% endfor %}\n",
        );
    });
    assert_reported(&lines, "mail-templates/nl/invitation.txt", "does not parse");
    assert_reported(&lines, "mail-templates/withdrawn.txt", "does not render");
    assert_eq!(lines.len(), 2, "the good overrides are not reported: {lines:?}");
}

#[test]
fn a_release_notes_template_with_an_unknown_variable_fails_check_and_the_notes() {
    let lines = check_after(|ws| {
        ws.write(
            "templates/release-notes.md",
            "# {{ notes.label }}\n{% for r in notes.rfcs %}- {{ r.titel }}\n{% endfor %}",
        )
    });
    assert_reported(
        &lines,
        "templates/release-notes.md",
        "the release-notes template does not render: line 2: undefined value",
    );
    assert_reported(&lines, "templates/release-notes.md", "notes.rfcs (each: id, title,");
    // The notes themselves say the same instead of printing an empty title.
    let ws = TestWorkspace::init();
    ok(ws.dtap(&["demo"]));
    ws.write("templates/release-notes.md", "{{ notes.who }}");
    let out = ws.dtap(&["release-notes", "--env", "test"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("templates/release-notes.md: the release-notes template does not render: line 1"),
        "{}",
        text(&out)
    );
    // A good override renders.
    ws.write(
        "templates/release-notes.md",
        "{{ notes.label }}: {{ notes.promotions|length }}\n",
    );
    ok(ws.dtap(&["check"]));
    assert!(stdout(&ok(ws.dtap(&["release-notes", "--env", "test"]))).starts_with("Test: "));
}
