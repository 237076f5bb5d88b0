//! A workspace: a folder with `dtap.toml`, `environments/`, `rfc-templates/`
//! and `access.yaml`. Reading it is the only IO here; the rules are in `domain`.

pub mod defaults;
pub mod yaml;

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::domain::Problem;
use crate::domain::access::{AccessMatrix, AccessSpec};
use crate::domain::pipeline::{EnvironmentSpec, Pipeline};
use crate::domain::template::{self, Template, TemplateSpec};

pub const ENVIRONMENTS_DIR: &str = "environments";
pub const TEMPLATES_DIR: &str = "rfc-templates";
pub const ACCESS_FILE: &str = "access.yaml";

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "{0} is not a dtap workspace: it has no dtap.toml. Run `dtap init {0}` to create one, or pass --workspace DIR"
    )]
    NotAWorkspace(String),
    #[error("the workspace has {} problem(s):\n{}\nRun `dtap check` after fixing them.", .0.len(), render(.0))]
    Invalid(Vec<Problem>),
}

fn render(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
}

/// Everything a workspace defines, validated.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub dir: PathBuf,
    pub config: Config,
    pub pipeline: Pipeline,
    pub templates: Vec<Template>,
    pub access: AccessMatrix,
    /// The workspace's own catalogue: English → Dutch for the texts its
    /// templates and environments give in both languages. Pages and mails
    /// look a text up here after the built-in catalogue.
    pub texts: std::sync::Arc<std::collections::HashMap<String, String>>,
}

/// What `dtap check` looked at.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub files: usize,
    pub environments: usize,
    pub templates: usize,
    pub roles: usize,
    pub users: usize,
    pub problems: Vec<Problem>,
    /// What is valid but likely a mistake (overlapping packages): shown, not failed.
    pub warnings: Vec<String>,
}

impl Workspace {
    /// An environment's label in `locale` (its name when there is no such environment).
    pub fn env_label(&self, name: &str, locale: crate::locale::Locale) -> String {
        self.pipeline.get(name).map_or_else(
            || name.to_string(),
            |e| crate::locale::tr_with(locale, &e.label, &self.texts),
        )
    }

    /// Loads and validates; any problem is an error.
    pub fn load(dir: &Path) -> Result<Workspace, WorkspaceError> {
        let (ws, report) = Self::check(dir, std::env::vars())?;
        match ws {
            Some(ws) if report.problems.is_empty() => Ok(ws),
            _ => Err(WorkspaceError::Invalid(report.problems)),
        }
    }

    pub fn is_workspace(dir: &Path) -> bool {
        dir.join(config::FILE).is_file()
    }

    /// Reads every file and reports every problem found, each with file and line.
    pub fn check(
        dir: &Path,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Option<Workspace>, CheckReport), WorkspaceError> {
        if !Self::is_workspace(dir) {
            return Err(WorkspaceError::NotAWorkspace(dir.display().to_string()));
        }
        let mut report = CheckReport::default();
        let config = match read_text(dir, config::FILE, u64::MAX) {
            Ok(text) => Config::parse(&text, vars).map_err(|p| report.problems.extend(p)).ok(),
            Err(p) => {
                report.problems.push(p);
                None
            }
        };
        report.files += 1;

        let mut env_specs = Vec::new();
        // Environments whose file could not be read: other files naming them
        // are not wrong, so those follow-on problems are left out.
        let mut unreadable = Vec::new();
        for rel in yaml_files(dir, ENVIRONMENTS_DIR, &mut report.problems) {
            report.files += 1;
            match read_yaml::<EnvironmentSpec>(dir, &rel) {
                Ok(spec) => env_specs.push((rel, spec)),
                Err(p) => {
                    let stem = rel
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .split('.')
                        .next()
                        .unwrap_or_default();
                    unreadable.push(format!("unknown environment `{stem}`"));
                    report.problems.push(p);
                }
            }
        }
        let (pipeline, problems) = Pipeline::build(env_specs);
        report.problems.extend(problems);
        report.environments = pipeline.environments().len();
        let env_names: Vec<&str> = pipeline.names().collect();

        let mut templates: Vec<Template> = Vec::new();
        for rel in yaml_files(dir, TEMPLATES_DIR, &mut report.problems) {
            report.files += 1;
            match read_yaml::<TemplateSpec>(dir, &rel) {
                Ok(spec) => {
                    let (t, problems) = template::build(&rel, &spec, &env_names);
                    report.problems.extend(problems);
                    if let Some(t) = t {
                        if templates.iter().any(|o| o.id == t.id) {
                            report.problems.push(Problem::at(
                                &rel,
                                spec.id.pos,
                                format!("duplicate template id `{}`", t.id),
                            ));
                        } else {
                            templates.push(t);
                        }
                    }
                }
                Err(p) => report.problems.push(p),
            }
        }
        report.templates = templates.len();

        report.files += 1;
        let access = match read_yaml::<AccessSpec>(dir, ACCESS_FILE) {
            Ok(spec) => {
                let (m, problems) = AccessMatrix::build(ACCESS_FILE, &spec, &env_names);
                report.problems.extend(problems);
                m
            }
            Err(p) => {
                report.problems.push(p);
                AccessMatrix::default()
            }
        };
        report.roles = access.roles.len();
        report.users = access.users.len();

        report
            .problems
            .retain(|p| !unreadable.iter().any(|u| p.message.contains(u.as_str())));
        // File order, then position: read like a compiler's output.
        report
            .problems
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        let texts = std::sync::Arc::new(own_catalogue(&pipeline, &templates, &mut report.warnings));
        let ws = config.map(|config| Workspace {
            dir: dir.to_path_buf(),
            config,
            pipeline,
            templates,
            access,
            texts,
        });
        Ok((ws, report))
    }

    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }
}

/// Reads a workspace file as text, refusing files over `limit` bytes before
/// reading them.
fn read_text(dir: &Path, rel: &str, limit: u64) -> Result<String, Problem> {
    let path = dir.join(rel);
    let meta = fs::metadata(&path).map_err(|e| Problem::file(rel, format!("cannot read: {e}")))?;
    if meta.len() > limit {
        return Err(yaml::too_big(rel, meta.len()));
    }
    let bytes = fs::read(&path).map_err(|e| Problem::file(rel, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let pos = crate::config::offset_to_pos(
            &String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
            usize::MAX,
        );
        Problem::at(rel, pos, "file is not valid UTF-8 text")
    })
}

pub fn read_yaml<T: serde::de::DeserializeOwned>(dir: &Path, rel: &str) -> Result<T, Problem> {
    let text = read_text(dir, rel, yaml::MAX_BYTES)?;
    yaml::from_str(rel, &text)
}

/// The `*.yaml` / `*.yml` files of a workspace folder, sorted, as relative paths.
fn yaml_files(dir: &Path, sub: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    let entries = match fs::read_dir(dir.join(sub)) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem::file(format!("{sub}/"), format!("cannot read folder: {e}")));
            return Vec::new();
        }
    };
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| (n.ends_with(".yaml") || n.ends_with(".yml")) && !n.starts_with('.'))
        .map(|n| format!("{sub}/{n}"))
        .collect();
    files.sort();
    files
}

/// English → Dutch from the environments' labels and the templates' texts.
/// One English text with two Dutch ones is valid but likely a slip: the
/// first wins, and `dtap check` warns.
fn own_catalogue(
    pipeline: &Pipeline,
    templates: &[Template],
    warnings: &mut Vec<String>,
) -> std::collections::HashMap<String, String> {
    let envs = pipeline
        .environments()
        .iter()
        .filter_map(|e| e.label_nl.clone().map(|nl| (e.label.clone(), nl)));
    let mut texts = std::collections::HashMap::new();
    for (en, nl) in envs.chain(templates.iter().flat_map(|t| t.texts.iter().cloned())) {
        match texts.get(&en) {
            Some(first) if *first != nl => warnings.push(format!(
                "\"{en}\" has two Dutch texts, \"{first}\" and \"{nl}\": pages show the first; give both the same Dutch"
            )),
            Some(_) => {}
            None => {
                texts.insert(en, nl);
            }
        }
    }
    texts
}
