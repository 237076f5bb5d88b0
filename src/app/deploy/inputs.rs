//! What a deployment's steps are given: a private folder holding the
//! package as promoted (read-only), the version it replaces, the change set
//! as JSON, an empty working folder and an output folder; and a clean
//! environment with the `DTAP_*` variables, the variables and the secrets.

use std::path::PathBuf;

use super::step::StepResult;
use crate::app::{App, Result};
use crate::domain::deploy::state::DeployState;
use crate::domain::pipeline::Environment;
use crate::store::deployments::Deployment;

pub(super) struct Inputs {
    root: PathBuf,
    pub package_dir: PathBuf,
    pub previous_dir: PathBuf,
    pub changes: PathBuf,
    /// The environment's variables as one JSON object (`DTAP_SETTINGS_FILE`).
    pub settings: PathBuf,
    pub work: PathBuf,
    pub out_dir: PathBuf,
    pub http_body: PathBuf,
    rfcs: String,
    changes_json: serde_json::Value,
}

impl App {
    pub(super) async fn prepare_inputs(&self, d: &Deployment) -> Result<Inputs> {
        let root = std::env::temp_dir().join(format!("dtap-deploy-{}-{}", d.id, crate::random::hex::<8>()?));
        let path = format!(
            "{}/{}",
            self.workspace
                .pipeline
                .get(&d.environment)
                .map(|e| e.path.clone())
                .unwrap_or_default(),
            d.package
        );
        let rfcs = self
            .store
            .indexed_packages_in(&[path.split('/').next().unwrap_or_default()])
            .await?
            .into_iter()
            .find(|p| p.package == d.package)
            .map(|p| p.rfcs.join(","))
            .unwrap_or_default();
        let variables = self
            .workspace
            .pipeline
            .get(&d.environment)
            .map(|e| e.variables.clone())
            .unwrap_or_default();
        let (repo, d2) = (self.repo.clone(), d.clone());
        let inputs = tokio::task::spawn_blocking(move || -> Result<Inputs> {
            let io =
                |e: std::io::Error| crate::app::AppError::Internal(format!("preparing the deployment folder: {e}"));
            std::fs::create_dir(&root).map_err(io)?;
            let previous = match &d2.previous_tree {
                Some(t) => Some(t.clone()),
                None => repo.tree_before(&d2.commit, &path)?,
            };
            let package_dir = root.join("package");
            let previous_dir = root.join("previous");
            match &d2.tree {
                Some(t) => repo.write_tree(t, &package_dir)?,
                None => std::fs::create_dir(&package_dir).map_err(io)?,
            }
            match &previous {
                Some(t) => repo.write_tree(t, &previous_dir)?,
                None => std::fs::create_dir(&previous_dir).map_err(io)?,
            }
            let c = repo.tree_changes(previous.as_deref(), d2.tree.as_deref())?;
            let changes_json = serde_json::json!({ "added": c.added, "modified": c.changed, "deleted": c.removed });
            let changes = root.join("changes.json");
            std::fs::write(&changes, serde_json::to_vec_pretty(&changes_json).unwrap_or_default()).map_err(io)?;
            // For tools that take a settings file (Power Platform's deployment settings).
            let settings = root.join("settings.json");
            std::fs::write(&settings, serde_json::to_vec_pretty(&variables).unwrap_or_default()).map_err(io)?;
            let work = root.join("work");
            let out_dir = root.join("out");
            std::fs::create_dir(&work).map_err(io)?;
            std::fs::create_dir(&out_dir).map_err(io)?;
            Ok(Inputs {
                http_body: root.join("http-body.json"),
                root,
                package_dir,
                previous_dir,
                changes,
                settings,
                work,
                out_dir,
                rfcs,
                changes_json,
            })
        })
        .await??;
        Ok(inputs)
    }
}

impl Inputs {
    /// The step's whole environment: a few of dtap's own, then dtap's facts.
    pub fn environment(
        &self,
        d: &Deployment,
        env: &Environment,
        secrets: &[(String, String)],
    ) -> Vec<(String, String)> {
        let mut out = super::step::base_environment();
        let path = |p: &PathBuf| p.display().to_string();
        out.extend([
            ("DTAP_DEPLOYMENT".to_string(), d.id.to_string()),
            ("DTAP_ENV".into(), d.environment.clone()),
            ("DTAP_PACKAGE".into(), d.package.clone()),
            ("DTAP_VERSION".into(), d.version.clone().unwrap_or_default()),
            ("DTAP_TREE".into(), d.tree.clone().unwrap_or_default()),
            ("DTAP_COMMIT".into(), d.commit.clone()),
            ("DTAP_RFCS".into(), self.rfcs.clone()),
            ("DTAP_PACKAGE_DIR".into(), path(&self.package_dir)),
            ("DTAP_PREVIOUS_DIR".into(), path(&self.previous_dir)),
            ("DTAP_CHANGES".into(), path(&self.changes)),
            ("DTAP_SETTINGS_FILE".into(), path(&self.settings)),
        ]);
        for (k, v) in &env.variables {
            out.push((format!("DTAP_VAR_{}", k.to_ascii_uppercase()), v.clone()));
        }
        out.extend(secrets.iter().cloned());
        out
    }

    pub fn write_http_body(&self, d: &Deployment) -> std::io::Result<()> {
        let body = serde_json::json!({
            "deployment": d.id, "env": d.environment, "package": d.package, "version": d.version,
            "tree": d.tree, "commit": d.commit, "rfcs": self.rfcs.split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "changes": self.changes_json,
        });
        std::fs::write(&self.http_body, serde_json::to_vec(&body).unwrap_or_default())
    }

    /// Removes the folder, read-only parts included.
    pub async fn remove(self) {
        let root = self.root;
        let _ = tokio::task::spawn_blocking(move || remove_all(&root)).await;
    }
}

/// Removes a step's folder, the read-only parts dtap wrote included.
pub(super) fn remove_all(root: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    fn writable(p: &std::path::Path) {
        if let Ok(m) = std::fs::symlink_metadata(p)
            && m.is_dir()
        {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    writable(&e.path());
                }
            }
        }
    }
    writable(root);
    let _ = std::fs::remove_dir_all(root);
}

/// `curl` making the call: no shell, no redirects followed, the status on
/// the last line of its output.
pub(super) fn curl_args(method: &str, url: &str, body: &std::path::Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "curl",
        "--silent",
        "--show-error",
        "--max-redirs",
        "0",
        "--proto",
        "=https,http",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(["-X".into(), method.to_string(), "-w".into(), "\n%{http_code}\n".into()]);
    if method != "GET" {
        args.extend([
            "-H".into(),
            "Content-Type: application/json".into(),
            "--data-binary".into(),
            format!("@{}", body.display()),
        ]);
    }
    args.push(url.to_string());
    args
}

/// An HTTP step succeeded when curl ran and the status is one expected.
pub(super) fn http_result(mut r: StepResult, expect: &[u16]) -> StepResult {
    if r.state != DeployState::Succeeded {
        return r;
    }
    let status: Option<u16> = r
        .output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.trim().parse().ok());
    match status {
        Some(s) if expect.contains(&s) => r.exit_code = Some(i64::from(s)),
        Some(s) => {
            r.state = DeployState::Failed;
            r.exit_code = Some(i64::from(s));
            r.output.push_str(&format!(
                "\n[dtap] HTTP status {s}, expected one of {}\n",
                expect.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
        None => r.state = DeployState::Failed,
    }
    r
}

/// The `[deploy] secrets_file`: TOML `NAME = "value"` lines, readable by its owner only.
pub(super) fn read_secrets_file(
    path: &std::path::Path,
) -> std::result::Result<std::collections::BTreeMap<String, String>, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("the secrets file {}: {e}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "the secrets file {} may be read by others (mode {:o}): `chmod 600 {}`",
            path.display(),
            meta.permissions().mode() & 0o777,
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("the secrets file {}: {e}", path.display()))?;
    // The parser's message may quote a line of the file: never show it.
    toml::from_str(&text).map_err(|_| {
        format!(
            "the secrets file {} is not TOML of `NAME = \"value\"` lines",
            path.display()
        )
    })
}
