//! Every file of every package in some environment folders, for the
//! overlap warnings: one tree walk per folder, blob ids only (no content).

use std::collections::BTreeMap;

use git2::{ObjectType, TreeWalkMode, TreeWalkResult};

use super::{ConfigRepo, Result};
use crate::domain::overlap::PackageFiles;

impl ConfigRepo {
    /// environment folder → package → (path inside the package → blob id),
    /// at the branch head. The manifest (`package.yaml`) is not a CRM file.
    pub fn package_files(&self, env_paths: &[String]) -> Result<BTreeMap<String, PackageFiles>> {
        let git = self.open()?;
        let root = git.find_commit(self.head(&git)?)?.tree()?;
        let mut out = BTreeMap::new();
        for env in env_paths {
            let mut packages = PackageFiles::new();
            if let Ok(entry) = root.get_path(std::path::Path::new(env))
                && entry.kind() == Some(ObjectType::Tree)
            {
                let folder = git.find_tree(entry.id())?;
                for pkg in folder.iter().filter(|e| e.kind() == Some(ObjectType::Tree)) {
                    let Ok(name) = pkg.name().map(str::to_string) else {
                        continue;
                    };
                    let tree = git.find_tree(pkg.id())?;
                    let mut files = BTreeMap::new();
                    tree.walk(TreeWalkMode::PreOrder, |dir, e| {
                        if e.kind() == Some(ObjectType::Blob)
                            && let Ok(n) = e.name()
                            && !(dir.is_empty() && n == "package.yaml")
                        {
                            files.insert(format!("{dir}{n}"), e.id().to_string());
                        }
                        TreeWalkResult::Ok
                    })?;
                    packages.insert(name, files);
                }
            }
            out.insert(env.clone(), packages);
        }
        Ok(out)
    }
}

impl ConfigRepo {
    /// Writes a package tree out to `dir` (which must not exist) read-only:
    /// files 0444, folders 0555, as a deploy step gets it. Only plain files
    /// and folders: a symlink or submodule is never written.
    pub fn write_tree(&self, tree: &str, dir: &std::path::Path) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let git = self.open()?;
        let tree = git.find_tree(git2::Oid::from_str(tree)?)?;
        fn write(git: &git2::Repository, tree: &git2::Tree<'_>, dir: &std::path::Path) -> Result<()> {
            let io = |path: &std::path::Path| {
                let path = path.display().to_string();
                move |source| super::RepoError::Io { path, source }
            };
            std::fs::create_dir(dir).map_err(io(dir))?;
            for e in tree.iter() {
                let Ok(name) = e.name() else { continue };
                if name.contains('/') || name == ".." || name == "." {
                    continue;
                }
                let path = dir.join(name);
                match e.kind() {
                    Some(ObjectType::Tree) => write(git, &git.find_tree(e.id())?, &path)?,
                    Some(ObjectType::Blob) if e.filemode() != i32::from(git2::FileMode::Link) => {
                        std::fs::write(&path, git.find_blob(e.id())?.content()).map_err(io(&path))?;
                        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).map_err(io(&path))?;
                    }
                    _ => {}
                }
            }
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).map_err(io(dir))?;
            Ok(())
        }
        write(&git, &tree, dir)
    }

    /// What changes from one package tree to another (`None`: absent).
    pub fn tree_changes(&self, old: Option<&str>, new: Option<&str>) -> Result<crate::domain::changes::FileChanges> {
        let git = self.open()?;
        let find = |t: Option<&str>| -> Result<Option<git2::Tree<'_>>> {
            match t {
                Some(t) => Ok(Some(git.find_tree(git2::Oid::from_str(t)?)?)),
                None => Ok(None),
            }
        };
        let (old, new) = (find(old)?, find(new)?);
        super::packages::changes(&git, old.as_ref(), new.as_ref())
    }
}

impl ConfigRepo {
    /// The tree at `path` in the first parent of `commit` (what that commit
    /// replaced there), if there was one.
    pub fn tree_before(&self, commit: &str, path: &str) -> Result<Option<String>> {
        let git = self.open()?;
        let c = git.find_commit(git2::Oid::from_str(commit)?)?;
        let Ok(parent) = c.parent(0) else { return Ok(None) };
        subtree(&parent, path)
    }

    /// The tree at `path` in `commit` itself (what that commit left there).
    pub fn tree_at(&self, commit: &str, path: &str) -> Result<Option<String>> {
        let git = self.open()?;
        let c = git.find_commit(git2::Oid::from_str(commit)?)?;
        subtree(&c, path)
    }
}

fn subtree(c: &git2::Commit<'_>, path: &str) -> Result<Option<String>> {
    Ok(match c.tree()?.get_path(std::path::Path::new(path)) {
        Ok(e) if e.kind() == Some(ObjectType::Tree) => Some(e.id().to_string()),
        _ => None,
    })
}
