//! The path checks a package tree passes before dtap promotes it: trees of
//! any shape and any entry names (written with libgit2's own name checks off,
//! as a hand-crafted push could) must be called safe only if every entry is a
//! plain file or folder whose name cannot escape the folder or be read as
//! `.git` by git on Linux, Windows (NTFS) or macOS (HFS+).
#![no_main]

use std::sync::{Mutex, OnceLock};

use dtap::gitrepo::safety::unsafe_entries;
use git2::{FileMode, Oid, Repository};
use libfuzzer_sys::fuzz_target;

fn repo() -> &'static Mutex<Repository> {
    static R: OnceLock<Mutex<Repository>> = OnceLock::new();
    R.get_or_init(|| {
        git2::opts::strict_object_creation(false);
        let odb = git2::Odb::new().unwrap();
        odb.add_new_mempack_backend(1000).unwrap();
        Mutex::new(Repository::from_odb(odb).unwrap())
    })
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let n = n.min(data.len());
    let (head, tail) = data.split_at(n);
    *data = tail;
    head
}

fn byte(data: &mut &[u8]) -> u8 {
    take(data, 1).first().copied().unwrap_or(0)
}

/// Builds a tree from the input: per entry a kind, a name length and a name.
fn build(repo: &Repository, data: &mut &[u8], depth: usize) -> Oid {
    let mut b = repo.treebuilder(None).unwrap();
    let blob = repo.blob(b"<entity/>\n").unwrap();
    for _ in 0..byte(data) % 6 {
        let kind = byte(data) % 6;
        let len = (byte(data) % 16) as usize;
        let name = take(data, len).to_vec();
        let Ok(name) = std::ffi::CString::new(name) else { continue };
        let (id, mode) = match kind {
            0 | 1 => (blob, FileMode::Blob),
            2 => (blob, FileMode::BlobExecutable),
            3 => (blob, FileMode::Link),
            4 => (Oid::hash_object(git2::ObjectType::Commit, b"x").unwrap(), FileMode::Commit),
            _ if depth < 70 => (build(repo, data, depth + 1), FileMode::Tree),
            _ => (blob, FileMode::Blob),
        };
        // A name libgit2 refuses even unchecked is not a tree anyone could push.
        let _ = b.insert(name, id, mode.into());
    }
    b.write().unwrap()
}

/// Would git on some platform treat this name as `.git`, or could it leave the folder?
fn dangerous(raw: &[u8]) -> bool {
    let Ok(name) = std::str::from_utf8(raw) else { return true };
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return true;
    }
    // HFS+ ignores these code points when comparing names.
    let folded: String = name
        .chars()
        .filter(|c| !matches!(*c as u32, 0x200C..=0x200F | 0x202A..=0x202E | 0x206A..=0x206F | 0xFEFF))
        .collect::<String>()
        .to_ascii_lowercase();
    // NTFS drops trailing dots and spaces, and knows `.git` as `git~1`.
    let trimmed = folded.trim_end_matches(['.', ' ']);
    trimmed == ".git" || trimmed == "git~1" || folded.starts_with(".git~") || trimmed.starts_with(".git:")
}

fn really_safe(repo: &Repository, tree: &git2::Tree<'_>, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    tree.iter().all(|e| {
        if dangerous(e.name_bytes()) {
            return false;
        }
        match e.filemode() {
            m if m == i32::from(FileMode::Blob) || m == i32::from(FileMode::BlobExecutable) => true,
            m if m == i32::from(FileMode::Tree) => {
                repo.find_tree(e.id()).is_ok_and(|t| really_safe(repo, &t, depth + 1))
            }
            _ => false,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let repo = repo().lock().unwrap();
    let mut input = data;
    let id = build(&repo, &mut input, 0);
    let tree = repo.find_tree(id).unwrap();
    let found = unsafe_entries(&repo, &tree);
    if found.is_empty() {
        assert!(really_safe(&repo, &tree, 0), "called safe, but is not: {:?}", names(&repo, &tree));
    }
});

fn names(repo: &Repository, tree: &git2::Tree<'_>) -> Vec<String> {
    tree.iter()
        .map(|e| {
            let mut n = format!("{:?} {:o}", String::from_utf8_lossy(e.name_bytes()), e.filemode());
            if let Ok(t) = repo.find_tree(e.id()) {
                n.push_str(&format!(" {:?}", names(repo, &t)));
            }
            n
        })
        .collect()
}
