//! Path safety: what a package tree may contain before dtap moves it.

use git2::{FileMode, ObjectType, Repository, Tree};

/// Walks a package tree and returns every entry that must not be promoted:
/// symlinks, submodules, `.git` in any letter case, names that could escape
/// the folder. Empty means safe.
pub fn unsafe_entries(repo: &Repository, tree: &Tree<'_>) -> Vec<String> {
    let mut found = Vec::new();
    walk(repo, tree, "", &mut found, 0);
    found
}

fn walk(repo: &Repository, tree: &Tree<'_>, prefix: &str, found: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        found.push(format!("{prefix}: nested more than 64 folders deep"));
        return;
    }
    for entry in tree.iter() {
        let raw = entry.name_bytes();
        let name = String::from_utf8_lossy(raw).into_owned();
        let path = format!("{prefix}{name}");
        if name.eq_ignore_ascii_case(".git") || name.to_ascii_lowercase().starts_with(".git~") {
            found.push(format!("{path}: a .git entry is not allowed"));
            continue;
        }
        if name == "."
            || name == ".."
            || name.is_empty()
            || name.contains(['/', '\\', '\0'])
            || std::str::from_utf8(raw).is_err()
        {
            found.push(format!("{path}: a name that could escape the package folder"));
            continue;
        }
        let mode = entry.filemode();
        if mode == i32::from(FileMode::Link) {
            found.push(format!("{path}: symbolic links are not allowed"));
        } else if mode == i32::from(FileMode::Commit) || entry.kind() == Some(ObjectType::Commit) {
            found.push(format!("{path}: submodules are not allowed"));
        } else if entry.kind() == Some(ObjectType::Tree)
            && let Ok(sub) = repo.find_tree(entry.id())
        {
            walk(repo, &sub, &format!("{path}/"), found, depth + 1);
        }
    }
}
