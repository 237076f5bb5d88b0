//! The CRM's side of live drift: the files an `export:` step wrote, each
//! with the id git would give its content, so they compare with the
//! environment's folder blob for blob (nothing is written into the repo).

use std::collections::BTreeMap;
use std::path::Path;

use git2::{ObjectType, Oid};

use super::{RepoError, Result};

/// path inside `dir` (with `/`) → git blob id of its content. Plain files
/// only: a symlink is never followed. An absent `dir` holds no files.
pub fn folder_files(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, "", &mut out)?;
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) -> Result<()> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| RepoError::Io { path, source }
    };
    for e in std::fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        let path = e.path();
        let kind = e.file_type().map_err(io(&path))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        if kind.is_dir() {
            walk(&path, &format!("{rel}/"), out)?;
        } else if kind.is_file() {
            out.insert(rel, Oid::hash_file(ObjectType::Blob, &path)?.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_get_the_ids_git_gives_their_content() {
        let dir = std::env::temp_dir().join(format!("dtap-live-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("classes")).unwrap();
        std::fs::write(dir.join("classes/A.cls"), "hello\n").unwrap();
        std::fs::write(dir.join("package.yaml"), "x").unwrap();
        let files = folder_files(&dir).unwrap();
        // `git hash-object` of "hello\n".
        assert_eq!(files["classes/A.cls"], "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(files.len(), 2);
        assert!(folder_files(&dir.join("nothing")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
