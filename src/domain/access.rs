//! The authorization matrix: roles hold permissions, users hold roles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::problem::Problems;
use super::{Email, Located, OrderedMap, Problem, names};

/// `access.yaml` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    #[serde(default)]
    pub roles: OrderedMap<Located<String>, Vec<Located<String>>>,
    #[serde(default)]
    pub users: OrderedMap<Located<String>, Vec<Located<String>>>,
}

/// Permissions without a parameter.
pub const PLAIN_PERMISSIONS: &[&str] = &[
    "rfc.file",
    "rfc.edit",
    "rfc.assess",
    "emergency",
    "drift.ack",
    "reports.view",
    "audit.view",
    "access.view",
];

/// Permissions that take an environment name: `promote.acceptance`.
pub const ENVIRONMENT_PERMISSIONS: &[&str] = &["promote", "rollback"];

pub const DEFAULT_ROLES: &[&str] = &["requester", "functional-admin", "change-manager", "release-manager"];

/// Checks a permission as written in a role. `Err` says what is wrong.
pub fn validate_permission(p: &str, environments: &[&str]) -> Result<(), String> {
    if p == "*" || PLAIN_PERMISSIONS.contains(&p) {
        return Ok(());
    }
    let (head, tail) = p.split_once('.').unwrap_or((p, ""));
    if tail == "*" {
        let family = PLAIN_PERMISSIONS.iter().any(|k| k.split('.').next() == Some(head))
            || ENVIRONMENT_PERMISSIONS.contains(&head);
        if family {
            return Ok(());
        }
    } else if ENVIRONMENT_PERMISSIONS.contains(&head) && !tail.is_empty() {
        if environments.contains(&tail) {
            return Ok(());
        }
        return Err(format!(
            "permission `{p}` names unknown environment `{tail}`; known: {}",
            environments.join(", ")
        ));
    }
    Err(format!(
        "unknown permission `{p}`: expected one of {}, promote.<environment>, rollback.<environment>, or a prefix with `*` such as `promote.*`",
        PLAIN_PERMISSIONS.join(", ")
    ))
}

/// Every concrete permission of a pipeline, for printing the matrix.
pub fn concrete_permissions(environments: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = PLAIN_PERMISSIONS.iter().map(|p| p.to_string()).collect();
    for family in ENVIRONMENT_PERMISSIONS {
        for e in environments {
            v.push(format!("{family}.{e}"));
        }
    }
    v
}

/// What a concrete permission lets its holder do, in one sentence (a
/// catalogue key; `{env}` stands for the environment of `promote.<env>` and
/// `rollback.<env>`): the access page explains each code it shows.
pub fn meaning(permission: &str) -> &'static str {
    match permission.split_once('.').map_or(permission, |(head, _)| head) {
        "promote" => "Promote packages into {env}, and retire them from it",
        "rollback" => "Roll packages back in {env}",
        _ => match permission {
            "rfc.file" => "File requests for change and follow them",
            "rfc.edit" => "Edit requests, their test plans and their testers",
            "rfc.assess" => {
                "Assess requests (approve, reject, hold, close, reopen) and review emergency changes afterwards"
            }
            "emergency" => "Promote in an emergency, past freeze windows and minimum soak, with a reason",
            "drift.ack" => "Acknowledge or adopt changes made by hand in an environment's folder or its CRM",
            "reports.view" => "See the reports and their figures",
            "audit.view" => "Read the audit trail and the deployment logs",
            "access.view" => "See this matrix",
            _ => "",
        },
    }
}

/// Does a granted permission pattern cover the asked permission? `*` as the
/// last segment matches any rest.
pub fn pattern_matches(pattern: &str, asked: &str) -> bool {
    if pattern == asked || pattern == "*" {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => asked.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
        None => false,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessMatrix {
    /// role → permission patterns
    pub roles: BTreeMap<String, Vec<String>>,
    pub users: BTreeMap<Email, Vec<String>>,
}

impl AccessMatrix {
    pub fn build(file: &str, spec: &AccessSpec, environments: &[&str]) -> (AccessMatrix, Vec<Problem>) {
        let mut p = Problems::new(file);
        let mut m = AccessMatrix::default();
        for (role, perms) in &spec.roles {
            if m.roles.contains_key(&role.value) {
                p.add(role.pos, format!("role `{}` is defined twice", role.value));
                continue;
            }
            if !names::is_slug(&role.value) {
                p.add(
                    role.pos,
                    format!(
                        "role name `{}` is invalid: use lower-case letters, digits and `-`",
                        role.value
                    ),
                );
            }
            let mut kept = Vec::new();
            for perm in perms {
                match validate_permission(&perm.value, environments) {
                    Ok(()) => kept.push(perm.value.clone()),
                    Err(e) => p.add(perm.pos, e),
                }
            }
            m.roles.insert(role.value.clone(), kept);
        }
        for (user, roles) in &spec.users {
            let Ok(key) = Email::parse(&user.value) else {
                p.add(user.pos, format!("user `{}` is not an e-mail address", user.value));
                continue;
            };
            if m.users.contains_key(&key) {
                p.add(
                    user.pos,
                    format!(
                        "user `{}` is listed twice (e-mail addresses are compared without case)",
                        user.value
                    ),
                );
                continue;
            }
            let mut kept = Vec::new();
            for role in roles {
                if m.roles.contains_key(&role.value) {
                    kept.push(role.value.clone());
                } else {
                    let known: Vec<&str> = m.roles.keys().map(String::as_str).collect();
                    p.add(
                        role.pos,
                        format!(
                            "user `{}` has unknown role `{}`; known roles: {}",
                            user.value,
                            role.value,
                            known.join(", ")
                        ),
                    );
                }
            }
            m.users.insert(key, kept);
        }
        (m, p.list)
    }

    pub fn roles_of(&self, user: &str) -> &[String] {
        self.users
            .get(names::normalise_email(user).as_str())
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// May `user` do `permission` (a concrete permission such as `promote.test`)?
    pub fn can(&self, user: &str, permission: &str) -> bool {
        self.roles_of(user).iter().any(|role| {
            self.roles
                .get(role)
                .is_some_and(|perms| perms.iter().any(|p| pattern_matches(p, permission)))
        })
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_permission_the_matrix_shows_is_explained() {
        for p in concrete_permissions(&["develop", "test"]) {
            assert!(!meaning(&p).is_empty(), "{p} has no meaning");
        }
        assert!(meaning("promote.test").contains("{env}"));
    }
    use super::*;
    use crate::domain::Pos;

    const ENVS: &[&str] = &["develop", "test", "acceptance", "production"];

    fn at(v: &str, line: u32) -> Located<String> {
        Located::new(v.to_string(), Pos::new(line, 3))
    }

    fn spec(roles: &[(&str, &[&str])], users: &[(&str, &[&str])]) -> AccessSpec {
        let mut line = 0;
        let mut next = || {
            line += 1;
            line
        };
        AccessSpec {
            roles: roles
                .iter()
                .map(|(r, ps)| (at(r, next()), ps.iter().map(|p| at(p, next())).collect()))
                .collect(),
            users: users
                .iter()
                .map(|(u, rs)| (at(u, next()), rs.iter().map(|r| at(r, next())).collect()))
                .collect(),
        }
    }

    #[test]
    fn permission_patterns() {
        assert!(pattern_matches("*", "promote.production"));
        assert!(pattern_matches("promote.*", "promote.production"));
        assert!(pattern_matches("rfc.*", "rfc.edit"));
        assert!(pattern_matches("rfc.edit", "rfc.edit"));
        assert!(!pattern_matches("rfc.edit", "rfc.assess"));
        assert!(!pattern_matches("promote.*", "promotes.test"));
        assert!(!pattern_matches("promote.*", "rollback.test"));
        assert!(!pattern_matches("promote.test", "promote.testing"));
    }

    #[test]
    fn validates_permissions() {
        for ok in [
            "rfc.file",
            "promote.test",
            "rollback.production",
            "promote.*",
            "rfc.*",
            "*",
            "audit.view",
            "drift.ack",
        ] {
            assert_eq!(validate_permission(ok, ENVS), Ok(()), "{ok}");
        }
        assert!(
            validate_permission("promote.staging", ENVS)
                .unwrap_err()
                .contains("unknown environment `staging`")
        );
        for bad in ["rfc.delete", "deploy", "promote", "promote.", "foo.*", "rfc.edit.*", ""] {
            assert!(
                validate_permission(bad, ENVS)
                    .unwrap_err()
                    .contains("unknown permission"),
                "{bad}"
            );
        }
    }

    #[test]
    fn can_follows_roles_and_ignores_case() {
        let s = spec(
            &[
                ("requester", &["rfc.file"]),
                ("release-manager", &["promote.*", "rollback.*", "drift.ack"]),
            ],
            &[
                ("Anna@Example.org", &["requester"]),
                ("rik@example.org", &["requester", "release-manager"]),
            ],
        );
        let (m, problems) = AccessMatrix::build("access.yaml", &s, ENVS);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(m.can("anna@example.org", "rfc.file"));
        assert!(m.can("ANNA@example.ORG", "rfc.file"));
        assert!(!m.can("anna@example.org", "promote.test"));
        assert!(m.can("rik@example.org", "promote.production"));
        assert!(m.can("rik@example.org", "rfc.file"));
        assert!(!m.can("nobody@example.org", "rfc.file"));
        assert_eq!(m.roles_of("RIK@example.org"), ["requester", "release-manager"]);
    }

    #[test]
    fn reports_unknown_roles_permissions_and_bad_users() {
        let s = spec(
            &[("requester", &["rfc.file", "rfc.delete"]), ("Bad Role", &[])],
            &[
                ("anna@example.org", &["requester"]),
                ("bob@example.org", &["admin"]),
                ("not-an-email", &["requester"]),
                ("ANNA@example.org", &[]),
            ],
        );
        let (m, problems) = AccessMatrix::build("access.yaml", &s, ENVS);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 5, "{text:?}");
        assert!(text.iter().any(|t| t.contains("unknown permission `rfc.delete`")));
        assert!(text.iter().any(|t| t.contains("role name `Bad Role` is invalid")));
        assert!(text.iter().any(|t| t.contains("unknown role `admin`")));
        assert!(text.iter().any(|t| t.contains("`not-an-email` is not an e-mail")));
        assert!(text.iter().any(|t| t.contains("listed twice")));
        assert!(text.iter().all(|t| t.starts_with("access.yaml:")));
        assert!(m.can("anna@example.org", "rfc.file"));
        assert!(!m.can("anna@example.org", "rfc.delete"));
    }
}
