//! The default workspace, embedded in the binary. The project root's own
//! files are the source, so `dtap init` writes exactly what the repository
//! holds (except `dev_user`, which only the project root sets).

pub const DTAP_TOML: &str = include_str!("default-dtap.toml");
pub const GITIGNORE: &str = ".dtap/\n";

pub const FILES: &[(&str, &str)] = &[
    (
        "environments/develop.yaml",
        include_str!("../../environments/develop.yaml"),
    ),
    ("environments/test.yaml", include_str!("../../environments/test.yaml")),
    (
        "environments/acceptance.yaml",
        include_str!("../../environments/acceptance.yaml"),
    ),
    (
        "environments/production.yaml",
        include_str!("../../environments/production.yaml"),
    ),
    (
        "rfc-templates/data-model.yaml",
        include_str!("../../rfc-templates/data-model.yaml"),
    ),
    (
        "rfc-templates/report.yaml",
        include_str!("../../rfc-templates/report.yaml"),
    ),
    (
        "rfc-templates/workflow.yaml",
        include_str!("../../rfc-templates/workflow.yaml"),
    ),
    (
        "rfc-templates/authorization.yaml",
        include_str!("../../rfc-templates/authorization.yaml"),
    ),
    ("access.yaml", include_str!("../../access.yaml")),
];
