//! `dtap rfc ...` through the real binary: output, exit codes and the commit
//! a link makes in the config repo.

use crate::support::{CM, FA, SALES, TestWorkspace, code as exit, ids, json_of, manifest, stderr, stdout, text};

/// Files a report RFC as `user` with a title only; returns its id.
fn file_draft(ws: &TestWorkspace, user: &str, title: &str) -> String {
    let out = ws.as_user(
        user,
        &["rfc", "new", "--template", "report", "--title", title, "--json"],
    );
    json_of(&out)["id"].as_str().unwrap().to_string()
}

#[test]
fn new_list_and_show() {
    let ws = TestWorkspace::init();
    let out = ws.as_user(
        SALES,
        &[
            "rfc",
            "new",
            "--template",
            "report",
            "--title",
            "Weekly sales button",
            "--field",
            "what_to_see=All my closed deals, with amount",
            "--field",
            "who_sees=Only me",
            "--field",
            "who_sees=My team",
            "--field",
            "priority=must",
            "--json",
        ],
    );
    let rfc = json_of(&out);
    assert_eq!(rfc["id"], "RFC-1");
    assert_eq!(rfc["state"], "draft");
    assert_eq!(rfc["requester"], SALES);
    assert_eq!(rfc["fields"]["what_to_see"], "All my closed deals, with amount");
    assert_eq!(rfc["fields"]["who_sees"], serde_json::json!(["Only me", "My team"]));
    assert_eq!(rfc["fields"]["priority"], "must");

    let out = ws.as_user(
        FA,
        &[
            "rfc",
            "new",
            "--template",
            "data-model",
            "--title",
            "Preferred language",
            "--department",
            "Marketing",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("RFC-2 filed as a draft: Preferred language"),
        "{}",
        text(&out)
    );
    assert!(stdout(&out).contains("dtap rfc move RFC-2 submit"), "says what is next");

    let list = json_of(&ws.dtap(&["rfc", "list", "--json"]));
    assert_eq!(ids(&list), ["RFC-2", "RFC-1"]);
    assert_eq!(list[1]["title"], "Weekly sales button");
    assert_eq!(list[1]["priority"], "must");
    for (args, want) in [
        (vec!["--template", "report"], vec!["RFC-1"]),
        (vec!["--department", "Marketing"], vec!["RFC-2"]),
        (vec!["--requester", "FA@example.org"], vec!["RFC-2"]),
        (vec!["--search", "deals"], vec!["RFC-1"]),
        (vec!["--state", "submitted"], vec![]),
        (vec!["--sort", "oldest"], vec!["RFC-1", "RFC-2"]),
        (vec!["--limit", "1", "--page", "2"], vec!["RFC-1"]),
    ] {
        let mut all = vec!["rfc", "list", "--json"];
        all.extend(&args);
        assert_eq!(ids(&json_of(&ws.dtap(&all))), want, "{args:?}");
    }
    let table = ws.dtap(&["rfc", "list"]);
    assert!(table.status.success());
    assert!(stdout(&table).contains("RFC-1") && stdout(&table).contains("Weekly sales button"));
    let none = ws.dtap(&["rfc", "list", "--state", "closed"]);
    assert!(stdout(&none).contains("No RFCs match."), "{}", text(&none));
    let bad_state = ws.dtap(&["rfc", "list", "--state", "done"]);
    assert_eq!(exit(&bad_state), Some(2), "{}", text(&bad_state));

    let show = json_of(&ws.dtap(&["rfc", "show", "RFC-1", "--json"]));
    assert_eq!(show["id"], "RFC-1");
    assert_eq!(show["state"], "draft");
    assert_eq!(show["title"], "Weekly sales button");
    assert_eq!(show["template"], "report");
    assert_eq!(show["requester"], SALES);
    assert_eq!(show["template_title"], "Report or dashboard");
    assert_eq!(show["timeline"][0]["kind"], "created");
    assert_eq!(json_of(&ws.dtap(&["rfc", "show", "1", "--json"]))["id"], "RFC-1");

    let human = ws.dtap(&["rfc", "show", "RFC-1"]);
    assert!(human.status.success(), "{}", text(&human));
    let h = stdout(&human);
    assert!(h.starts_with("RFC-1  Weekly sales button"), "{h}");
    assert!(h.contains("state:      Draft (draft)"), "{h}");
    assert!(
        h.contains("What do you want to see?: All my closed deals, with amount"),
        "{h}"
    );
    assert!(h.contains("Test plan:"), "{h}");

    let missing = ws.dtap(&["rfc", "show", "RFC-99"]);
    assert_eq!(exit(&missing), Some(1), "{}", text(&missing));
    assert!(stderr(&missing).contains("RFC-99 not found"), "{}", text(&missing));
    let bad_id = ws.dtap(&["rfc", "show", "banana"]);
    assert_eq!(exit(&bad_id), Some(2), "{}", text(&bad_id));
    assert!(stderr(&bad_id).contains("not an RFC id"), "{}", text(&bad_id));
}

#[test]
fn new_refuses_bad_input() {
    let ws = TestWorkspace::init();
    let out = ws.as_user(SALES, &["rfc", "new", "--template", "roadmap", "--title", "x"]);
    assert_eq!(exit(&out), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("template: unknown template `roadmap`"),
        "{}",
        text(&out)
    );

    let out = ws.as_user(
        SALES,
        &[
            "rfc",
            "new",
            "--template",
            "data-model",
            "--title",
            "",
            "--field",
            "example_phone=06 1234 5678",
            "--field",
            "colour=red",
        ],
    );
    assert_eq!(exit(&out), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("title: is required"), "{err}");
    assert!(err.contains("example_phone: Write the number as +31"), "{err}");
    assert!(
        err.contains("colour: template `data-model` has no field `colour`"),
        "{err}"
    );

    let out = ws.as_user(
        SALES,
        &[
            "rfc",
            "new",
            "--template",
            "report",
            "--title",
            "x",
            "--field",
            "noequals",
        ],
    );
    assert_eq!(exit(&out), Some(2), "{}", text(&out));
    let out = ws.as_user(
        "rm@example.org",
        &["rfc", "new", "--template", "report", "--title", "x"],
    );
    assert_eq!(exit(&out), Some(3), "a release manager files nothing: {}", text(&out));
    assert!(stderr(&out).contains("rfc.file"), "{}", text(&out));
    let out = ws.as_user("not-an-email", &["rfc", "new", "--template", "report", "--title", "x"]);
    assert_eq!(exit(&out), Some(2), "{}", text(&out));

    assert_eq!(ids(&json_of(&ws.dtap(&["rfc", "list", "--json"]))), Vec::<&str>::new());
}

#[test]
fn edit_fields() {
    let ws = TestWorkspace::init();
    let id = file_draft(&ws, SALES, "Weekly sales button");
    let out = ws.as_user(
        SALES,
        &[
            "rfc",
            "edit",
            &id,
            "--field",
            "risk=low",
            "--field",
            "why_needed=Monday meeting",
            "--title",
            "Weekly sales overview",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("RFC-1 saved (revision 2)"), "{}", text(&out));
    let show = json_of(&ws.dtap(&["rfc", "show", &id, "--json"]));
    assert_eq!(show["title"], "Weekly sales overview");
    assert_eq!(show["fields"]["risk"], "low");
    assert_eq!(show["fields"]["why_needed"], "Monday meeting");

    let out = ws.as_user(SALES, &["rfc", "edit", &id, "--field", "why_needed=", "--json"]);
    let edited = json_of(&out);
    assert!(
        edited["fields"].get("why_needed").is_none(),
        "an empty value clears: {edited}"
    );
    assert_eq!(edited["fields"]["risk"], "low", "other answers stay");

    let out = ws.as_user(SALES, &["rfc", "edit", &id, "--field", "risk=extreme"]);
    assert_eq!(exit(&out), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("risk: `extreme` is not one of low, medium, high"),
        "{}",
        text(&out)
    );
    let out = ws.as_user(SALES, &["rfc", "edit", &id, "--field", "colour=red"]);
    assert_eq!(exit(&out), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("no field `colour`"), "{}", text(&out));

    let out = ws.as_user(CM, &["rfc", "edit", &id, "--field", "risk=high"]);
    assert_eq!(exit(&out), Some(3), "not cm's draft to change: {}", text(&out));
    let out = ws.as_user(FA, &["rfc", "edit", &id, "--field", "risk=high"]);
    assert!(out.status.success(), "a functional admin may: {}", text(&out));

    let out = ws.as_user(SALES, &["rfc", "edit", "RFC-42", "--field", "risk=low"]);
    assert_eq!(exit(&out), Some(1), "{}", text(&out));
    let show = json_of(&ws.dtap(&["rfc", "show", &id, "--json"]));
    assert_eq!(show["fields"]["risk"], "high");
    assert_eq!(show["revision"], 4, "refused edits saved nothing");
}

#[test]
fn move_refusals_exit_3_with_every_reason() {
    let ws = TestWorkspace::init();
    let id = file_draft(&ws, SALES, "Weekly sales button");
    let out = ws.as_user(SALES, &["rfc", "move", &id, "submit"]);
    assert_eq!(exit(&out), Some(3), "{}", text(&out));
    let err = stderr(&out);
    for field in ["what_to_see", "why_needed", "how_to_know"] {
        assert!(
            err.lines()
                .any(|l| l.trim_start_matches("error: ").starts_with(&format!("{field}: "))),
            "{field} on a line of its own:\n{err}"
        );
    }
    assert_eq!(err.lines().count(), 3, "one line per reason:\n{err}");

    let out = ws.as_user(SALES, &["rfc", "move", &id, "teleport"]);
    assert_eq!(exit(&out), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("unknown transition `teleport`"), "{}", text(&out));
    assert!(stderr(&out).contains("submit, approve, reject"), "{}", text(&out));

    let out = ws.as_user(SALES, &["rfc", "move", &id, "withdraw"]);
    assert_eq!(exit(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("comment: say why"), "{}", text(&out));
    let out = ws.as_user(SALES, &["rfc", "move", &id, "approve"]);
    assert_eq!(exit(&out), Some(3), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot be approved; from draft it can: submit, withdraw"),
        "{err}"
    );
    assert!(
        err.contains("segregation of duties"),
        "every reason, not just the first: {err}"
    );

    let out = ws.as_user(
        SALES,
        &[
            "rfc",
            "edit",
            &id,
            "--field",
            "what_to_see=Deals",
            "--field",
            "why_needed=Meeting",
            "--field",
            "how_to_know=Totals match",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = ws.as_user(SALES, &["rfc", "move", &id, "submit"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("RFC-1 is now submitted"), "{}", text(&out));
    let out = ws.as_user(
        CM,
        &[
            "rfc",
            "move",
            &id,
            "reject",
            "--comment",
            "Standard report does this",
            "--json",
        ],
    );
    assert_eq!(json_of(&out)["state"], "rejected");
    let out = ws.as_user(FA, &["rfc", "move", &id, "close"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ws.as_user(FA, &["rfc", "move", &id, "hold", "--comment", "x"]);
    assert_eq!(exit(&out), Some(3), "{}", text(&out));
    assert!(stderr(&out).contains("it can: reopen"), "{}", text(&out));
}

#[test]
fn testers_and_segregation_of_duties() {
    let ws = TestWorkspace::init();
    let id = file_draft(&ws, SALES, "Weekly sales button");
    for requester in [SALES, "Sales@Example.org"] {
        let out = ws.as_user(FA, &["rfc", "testers", &id, "--env", "acceptance", "--add", requester]);
        assert_eq!(exit(&out), Some(3), "{requester}: {}", text(&out));
        assert!(stderr(&out).contains("segregation of duties"), "{}", text(&out));
    }
    let out = ws.as_user(
        FA,
        &[
            "rfc",
            "testers",
            &id,
            "--env",
            "acceptance",
            "--add",
            "key.user@example.org",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("key.user@example.org appointed as tester of RFC-1 in acceptance"));
    let out = ws.as_user(
        FA,
        &[
            "rfc",
            "testers",
            &id,
            "--env",
            "acceptance",
            "--add",
            "Key.User@example.org",
        ],
    );
    assert!(stdout(&out).contains("already a tester"), "{}", text(&out));

    let out = ws.as_user(
        SALES,
        &["rfc", "testers", &id, "--env", "test", "--add", "cm@example.org"],
    );
    assert_eq!(exit(&out), Some(3), "appointing needs rfc.edit: {}", text(&out));
    let out = ws.as_user(
        FA,
        &["rfc", "testers", &id, "--env", "staging", "--add", "cm@example.org"],
    );
    assert_eq!(exit(&out), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("unknown environment `staging`"), "{}", text(&out));
    let out = ws.as_user(FA, &["rfc", "testers", &id, "--env", "test"]);
    assert_eq!(exit(&out), Some(2), "--add or --remove: {}", text(&out));

    let show = json_of(&ws.dtap(&["rfc", "show", &id, "--json"]));
    let testers: Vec<(&str, &str)> = show["testers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["environment"].as_str().unwrap(), t["email"].as_str().unwrap()))
        .collect();
    assert_eq!(testers, [("acceptance", "key.user@example.org")]);

    let out = ws.as_user(
        FA,
        &[
            "rfc",
            "testers",
            &id,
            "--env",
            "acceptance",
            "--remove",
            "key.user@example.org",
        ],
    );
    assert!(stdout(&out).contains("no longer a tester"), "{}", text(&out));
    let show = json_of(&ws.dtap(&["rfc", "show", &id, "--json"]));
    assert_eq!(show["testers"], serde_json::json!([]));
}

#[test]
fn link_adds_the_rfc_to_the_package_manifest_with_a_commit() {
    let ws = TestWorkspace::init();
    ws.commit_files(
        "crm-core 1.0.0",
        &[
            (
                "develop/crm-core/package.yaml",
                &manifest("crm-core", "1.0.0", &["RFC-7"]),
            ),
            ("develop/crm-core/entities/contact.xml", "<entity/>\n"),
        ],
    );
    let id = file_draft(&ws, SALES, "Weekly sales button");
    let repo = ws.repo_path();
    let commits = |ws: &TestWorkspace| ws.git(&repo, &["rev-list", "--count", "main"]).trim().to_string();
    let before = commits(&ws);

    let dry = ws.as_user(FA, &["rfc", "link", &id, "--package", "crm-core", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(stdout(&dry).contains("dry run"), "{}", text(&dry));
    assert_eq!(commits(&ws), before, "a dry run commits nothing");

    let out = ws.as_user(FA, &["rfc", "link", &id, "--package", "crm-core"]);
    assert_eq!(exit(&out), Some(0), "{}", text(&out));
    assert!(
        stdout(&out).contains("RFC-1 linked to crm-core: develop/crm-core/package.yaml updated in commit"),
        "{}",
        text(&out)
    );
    assert_eq!(
        commits(&ws).parse::<u32>().unwrap(),
        before.parse::<u32>().unwrap() + 1,
        "one new commit"
    );
    let message = ws.git(&repo, &["log", "-1", "--format=%B", "main"]);
    assert!(message.starts_with("Link RFC-1 to crm-core"), "{message}");
    let action = ws.git(
        &repo,
        &["log", "-1", "--format=%(trailers:key=Dtap-Action,valueonly)", "main"],
    );
    assert_eq!(action.trim(), "link", "{message}");
    assert!(message.contains("Dtap-Package: crm-core"), "{message}");
    assert!(message.contains("Dtap-RFCs: RFC-1"), "{message}");
    assert!(message.contains("Dtap-By: fa@example.org"), "{message}");
    let author = ws.git(&repo, &["log", "-1", "--format=%ae", "main"]);
    assert_eq!(author.trim(), FA);
    let changed = ws.git(&repo, &["show", "--name-only", "--format=", "main"]);
    assert_eq!(
        changed.trim(),
        "develop/crm-core/package.yaml",
        "only the manifest changed"
    );

    let manifest_text = ws.git(&repo, &["show", "main:develop/crm-core/package.yaml"]);
    assert!(manifest_text.contains("rfcs: [RFC-7, RFC-1]"), "{manifest_text}");
    assert!(
        manifest_text.contains("name: crm-core\nversion: 1.0.0\n"),
        "{manifest_text}"
    );
    assert!(
        manifest_text.contains("description: Test package"),
        "the rest is kept: {manifest_text}"
    );
    let check = ws.dtap(&["check"]);
    assert!(check.status.success(), "{}", text(&check));

    let show = json_of(&ws.dtap(&["rfc", "show", &id, "--json"]));
    assert_eq!(show["package"], "crm-core");
    assert_eq!(
        ids(&json_of(&ws.dtap(&["rfc", "list", "--package", "crm-core", "--json"]))),
        ["RFC-1"]
    );
    let human = stdout(&ws.dtap(&["rfc", "show", &id]));
    assert!(human.contains("packages:   crm-core (develop 1.0.0"), "{human}");

    let again = ws.as_user(FA, &["rfc", "link", &id, "--package", "crm-core"]);
    assert_eq!(exit(&again), Some(0), "{}", text(&again));
    assert!(
        stdout(&again).contains("RFC-1 is already listed in develop/crm-core/package.yaml"),
        "{}",
        text(&again)
    );
    assert_eq!(
        commits(&ws).parse::<u32>().unwrap(),
        before.parse::<u32>().unwrap() + 1,
        "no second commit"
    );

    // Developers keep working on the same branch afterwards.
    ws.commit_files("more", &[("develop/crm-core/entities/account.xml", "<entity/>\n")]);

    let missing = ws.as_user(FA, &["rfc", "link", &id, "--package", "no-such-pkg"]);
    assert_eq!(exit(&missing), Some(1), "{}", text(&missing));
    assert!(
        stderr(&missing).contains("develop/no-such-pkg/package.yaml"),
        "{}",
        text(&missing)
    );
    let bad_name = ws.as_user(FA, &["rfc", "link", &id, "--package", "../etc"]);
    assert_eq!(exit(&bad_name), Some(1), "{}", text(&bad_name));
    let sales = ws.as_user(SALES, &["rfc", "link", &id, "--package", "crm-core"]);
    assert_eq!(exit(&sales), Some(3), "linking needs rfc.edit: {}", text(&sales));
    let unknown = ws.as_user(FA, &["rfc", "link", "RFC-9", "--package", "crm-core"]);
    assert_eq!(exit(&unknown), Some(1), "{}", text(&unknown));
}

#[test]
fn numbers_are_sequential_and_never_reused() {
    let ws = TestWorkspace::init();
    assert_eq!(file_draft(&ws, SALES, "First"), "RFC-1");
    let failed = ws.as_user(SALES, &["rfc", "new", "--template", "roadmap", "--title", "Nope"]);
    assert_eq!(exit(&failed), Some(1));
    let failed = ws.as_user(SALES, &["rfc", "new", "--template", "report", "--title", ""]);
    assert_eq!(exit(&failed), Some(1));
    assert_eq!(file_draft(&ws, FA, "Second"), "RFC-2", "failed attempts use no number");
    let out = ws.as_user(FA, &["rfc", "move", "RFC-2", "withdraw", "--comment", "Not needed"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        file_draft(&ws, SALES, "Third"),
        "RFC-3",
        "a withdrawn RFC keeps its number"
    );

    // Several people filing at the same moment each get their own number.
    let titles: Vec<String> = (0..6).map(|i| format!("Parallel {i}")).collect();
    let mut parallel: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = titles
            .iter()
            .map(|title| scope.spawn(|| file_draft(&ws, SALES, title)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    parallel.sort_by_key(|id| id[4..].parse::<u32>().unwrap());
    assert_eq!(parallel, ["RFC-4", "RFC-5", "RFC-6", "RFC-7", "RFC-8", "RFC-9"]);

    let list = json_of(&ws.dtap(&["rfc", "list", "--json", "--sort", "oldest"]));
    let all: Vec<String> = ids(&list).iter().map(|s| s.to_string()).collect();
    let want: Vec<String> = (1..=9).map(|n| format!("RFC-{n}")).collect();
    assert_eq!(all, want);
    assert_eq!(list[1]["state"], "withdrawn");
    assert_eq!(list[1]["title"], "Second");
}
