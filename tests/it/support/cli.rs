//! Acting as a user through the real binary: `ws.as_user(FA, &[...])`, the
//! output read back (`ok`, `json_of`, `code`, `stderr`), and the everyday
//! steps of the people in DESIGN §1 (file and approve an RFC, appoint a
//! tester, deliver a package into develop, promote, deliver the outbox).

use std::process::Output;

use serde_json::Value;

use super::workspace::{TestWorkspace, manifest};
use super::{CM, FA, SALES};

/// Everything a command said, for failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// The command succeeded (and did not panic on the way); its output.
#[track_caller]
pub fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    out
}

/// The JSON a successful command printed.
#[track_caller]
pub fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(out)))
}

/// The `id` of each element of a JSON list.
pub fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

/// Every required answer of the report template.
pub const REPORT_FIELDS: [&str; 10] = [
    "what_to_see=All my closed deals of last week",
    "where_to_show=My dashboard",
    "period=Last week",
    "who_sees=Only me",
    "why_needed=To prepare the Monday sales meeting",
    "how_to_know=The total matches the invoices",
    "impact_organisation=none",
    "impact_department=Sales saves an hour a week",
    "impact_individual=none",
    "risk=low",
];

impl TestWorkspace {
    /// Runs dtap as `user` (`DTAP_USER`).
    pub fn as_user(&self, user: &str, args: &[&str]) -> Output {
        self.dtap_env(args, &[("DTAP_USER", user)])
    }

    /// A report RFC with every required answer, filed by the requester; a draft.
    pub fn file_rfc(&self, title: &str) -> String {
        self.file_rfc_in(title, None)
    }

    /// As [`TestWorkspace::file_rfc`], for `department` when given.
    pub fn file_rfc_in(&self, title: &str, department: Option<&str>) -> String {
        let mut args = vec!["rfc", "new", "--template", "report", "--title", title];
        if let Some(d) = department {
            args.extend(["--department", d]);
        }
        for f in &REPORT_FIELDS {
            args.extend(["--field", f]);
        }
        args.push("--json");
        json_of(&self.as_user(SALES, &args))["id"].as_str().unwrap().to_string()
    }

    /// An RFC submitted by its requester and approved for build by the change manager.
    pub fn approved_rfc(&self, title: &str) -> String {
        let id = self.file_rfc(title);
        self.approve_rfc(&id);
        id
    }

    /// Submits a filed RFC (its requester) and approves it (the change manager).
    pub fn approve_rfc(&self, id: &str) {
        ok(self.as_user(SALES, &["rfc", "move", id, "submit"]));
        ok(self.as_user(CM, &["rfc", "move", id, "approve"]));
    }

    /// The functional admin appoints `tester` for `env`.
    pub fn appoint(&self, rfc: &str, env: &str, tester: &str) {
        ok(self.as_user(FA, &["rfc", "testers", rfc, "--env", env, "--add", tester]));
    }

    /// The functional admin removes `tester` from `env` (their mailed link stays in their mailbox).
    pub fn unappoint(&self, rfc: &str, env: &str, tester: &str) {
        ok(self.as_user(FA, &["rfc", "testers", rfc, "--env", env, "--remove", tester]));
    }

    pub fn rfc_json(&self, rfc: &str) -> Value {
        json_of(&self.dtap(&["rfc", "show", rfc, "--json"]))
    }

    pub fn rfc_state(&self, rfc: &str) -> String {
        self.rfc_json(rfc)["state"].as_str().unwrap().to_string()
    }

    /// Commits `develop/<name>/` by hand (a CRM developer's push): a manifest
    /// and one file whose content makes each version's tree distinct.
    pub fn put_package(&self, name: &str, version: &str, rfcs: &[&str], content: &str) {
        self.put_manifest(name, &manifest(name, version, rfcs), content);
    }

    pub fn put_manifest(&self, name: &str, yaml: &str, content: &str) {
        self.commit_files(
            &format!("{name}: work in develop"),
            &[
                (&format!("develop/{name}/package.yaml"), yaml),
                (
                    &format!("develop/{name}/entities/contact.xml"),
                    &format!("<entity name=\"contact\">{content}</entity>\n"),
                ),
            ],
        );
    }

    /// `dtap promote crm-core --to env` as `user`, which must succeed.
    pub fn promote(&self, user: &str, env: &str) -> Output {
        ok(self.as_user(user, &["promote", "crm-core", "--to", env]))
    }

    /// `dtap mail flush --json` with extra arguments and variables: the outbox
    /// delivered (to `.eml` files, or over SMTP after `use_smtp`).
    pub fn flush_with(&self, args: &[&str], env: &[(&str, &str)]) -> Value {
        let mut all = vec!["mail", "flush", "--json"];
        all.extend_from_slice(args);
        json_of(&self.dtap_env(&all, env))
    }

    pub fn flush(&self) -> Value {
        self.flush_with(&[], &[])
    }

    /// The outbox as `dtap mail list --json` shows it (`failed`: dead letters only).
    pub fn mail_list(&self, failed: bool) -> Vec<Value> {
        let mut args = vec!["mail", "list", "--json"];
        if failed {
            args.push("--failed");
        }
        json_of(&self.dtap(&args)).as_array().unwrap().clone()
    }
}
