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
