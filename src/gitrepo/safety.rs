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
        if names_dot_git(&name) {
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

/// Would git on some platform read this name as `.git`? Any letter case;
/// NTFS drops trailing dots and spaces and knows `.git` by its short name
/// `git~1` (and alternate streams `.git:x`); HFS+ ignores some invisible
/// code points. The `path_safety` fuzz target holds this to git's own rules.
pub fn names_dot_git(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| !matches!(*c as u32, 0x200C..=0x200F | 0x202A..=0x202E | 0x206A..=0x206F | 0xFEFF))
        .collect::<String>()
        .to_ascii_lowercase();
    let trimmed = folded.trim_end_matches(['.', ' ']);
    trimmed == ".git" || trimmed == "git~1" || folded.starts_with(".git~") || trimmed.starts_with(".git:")
}

#[cfg(test)]
mod tests {
    use super::names_dot_git;

    #[test]
    fn every_spelling_of_dot_git_is_refused() {
        for name in [
            ".git",
            ".GIT",
            ".Git",
            ".git.",
            ".git ",
            ".git. .",
            "git~1",
            "GIT~1",
            "git~1.",
            ".git~x",
            ".git:stream",
            ".g\u{200c}it",
            "\u{feff}.git",
        ] {
            assert!(names_dot_git(name), "{name:?}");
        }
        for name in [".gitignore", ".github", "git", "git~2", "my.git", ".gitx", "entities"] {
            assert!(!names_dot_git(name), "{name:?}");
        }
    }
}
