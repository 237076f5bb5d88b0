//! `dtap config get/set`: one setting of dtap.toml read or changed in place.
//! A change keeps the file's comments and layout, is checked by the same
//! parser every command uses, and is written through a temporary file and a
//! rename, so the file is whole at every moment.

use crate::domain::Msg;
use crate::msg;
use std::path::{Path, PathBuf};

use super::{AppError, Result};
use crate::config::edit::{self, EditError};
use crate::config::{self, Config};
use crate::workspace::{Workspace, WorkspaceError};

/// One setting as dtap sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Setting {
    pub key: String,
    /// null when the setting is unset (an option without a default).
    pub value: serde_json::Value,
    /// Where it comes from: `dtap.toml`, the variable that overrides it, or `default`.
    pub source: String,
}

/// What `config set` changed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SettingChange {
    pub key: String,
    pub value: String,
    pub file: PathBuf,
    /// The environment variable that overrides the file in this process, if any.
    pub overridden_by: Option<String>,
}

fn invalid(key: &str, e: impl std::fmt::Display) -> AppError {
    AppError::invalid(key, Msg::verbatim(e))
}

fn edit_error(key: &str, e: EditError) -> AppError {
    match e {
        EditError::NotAKey(_) | EditError::Unknown { .. } => invalid(key, e),
        other => AppError::Conflict(Msg::verbatim(other)),
    }
}

/// The variable that would override `[section] key`.
pub fn env_var(section: &str, key: &str) -> String {
    format!("DTAP_{}_{}", section.to_ascii_uppercase(), key.to_ascii_uppercase())
}

fn read(dir: &Path) -> Result<(PathBuf, String)> {
    if !Workspace::is_workspace(dir) {
        return Err(WorkspaceError::NotAWorkspace(dir.display().to_string()).into());
    }
    let path = dir.join(config::FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| AppError::Conflict(msg!("cannot read {path}: {error}", path = path.display(), error = e)))?;
    Ok((path, text))
}

/// `key` (`web.dev_user`) as dtap uses it: dtap.toml, overridden by
/// `DTAP_<SECTION>_<KEY>`, else the default.
pub async fn get_setting(dir: &Path, key: &str) -> Result<Setting> {
    let (section, name) = edit::split_key(key).map_err(|e| edit_error(key, e))?;
    let (_, text) = read(dir)?;
    let config = Config::parse(&text, std::env::vars()).map_err(WorkspaceError::Invalid)?;
    let value = config.shown()[section][name].clone();
    let var = env_var(section, name);
    let in_file = toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|t| t.get(section)?.as_table()?.get(name).cloned())
        .is_some();
    let source = if std::env::var_os(&var).is_some() {
        var
    } else if in_file {
        config::FILE.to_string()
    } else {
        "default".to_string()
    };
    Ok(Setting {
        key: key.to_string(),
        value,
        source,
    })
}

/// Sets `key` to `value` in dtap.toml. Refused, with nothing written, when
/// the key is unknown or the file would not be valid with the new value.
pub async fn set_setting(dir: &Path, key: &str, value: &str) -> Result<SettingChange> {
    let (section, name) = edit::split_key(key).map_err(|e| edit_error(key, e))?;
    let (path, text) = read(dir)?;
    let new_text = edit::set_in(&text, section, name, value).map_err(|e| edit_error(key, e))?;
    // Judged on the file alone: the environment of this shell is not the server's.
    let before: Vec<String> = problems(&text).into_iter().map(|p| p.message).collect();
    let added: Vec<String> = problems(&new_text)
        .into_iter()
        .filter(|p| !before.contains(&p.message))
        .map(|p| p.to_string())
        .collect();
    if !added.is_empty() {
        return Err(invalid(
            key,
            format!(
                "`{value}` would make {} invalid, so it was left as it was:\n  {}",
                config::FILE,
                added.join("\n  ")
            ),
        ));
    }
    let p = path.clone();
    tokio::task::spawn_blocking(move || replace_keeping_mode(&p, new_text.as_bytes()))
        .await?
        .map_err(|e| AppError::Conflict(msg!("cannot write {path}: {error}", path = path.display(), error = e)))?;
    let var = env_var(section, name);
    Ok(SettingChange {
        key: key.to_string(),
        value: value.to_string(),
        file: path,
        overridden_by: std::env::var_os(&var).is_some().then_some(var),
    })
}

fn problems(text: &str) -> Vec<crate::domain::Problem> {
    Config::parse(text, std::iter::empty()).err().unwrap_or_default()
}

/// Replaces `path` atomically (a temporary sibling, then a rename), keeping
/// its permissions: a dtap.toml readable by its owner only (a database
/// password) stays so.
fn replace_keeping_mode(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mode = std::fs::metadata(path)?.permissions();
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.set_permissions(mode)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
