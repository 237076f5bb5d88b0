//! A unified diff (git's patch text) read back per file: what happened to
//! the file, whether it is binary, and each line with its numbers in the old
//! and the new version, for the diff page. Pure.

use serde::Serialize;

/// What a file went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Changed,
    Deleted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// `@@ -a,b +c,d @@`: where a hunk starts.
    Hunk,
    Context,
    Add,
    Del,
    /// `\ No newline at end of file`.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchLine {
    pub kind: LineKind,
    /// The line's number in the old version (context and deleted lines).
    pub old: Option<u32>,
    /// The line's number in the new version (context and added lines).
    pub new: Option<u32>,
    /// The text without its `+`, `-` or space.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilePatch {
    pub path: String,
    pub change: Change,
    /// Git found the file binary: it is named, never shown.
    pub binary: bool,
    pub lines: Vec<PatchLine>,
}

/// The files of a patch in its order. Lines that belong to no file (there
/// are none in git's output) are dropped.
pub fn parse(text: &str) -> Vec<FilePatch> {
    let mut files: Vec<FilePatch> = Vec::new();
    // In a file's header (before its first hunk), `---` and `+++` name sides.
    let mut in_header = false;
    let (mut old, mut new) = (0u32, 0u32);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            files.push(FilePatch {
                path: header_path(rest),
                change: Change::Changed,
                binary: false,
                lines: Vec::new(),
            });
            in_header = true;
            continue;
        }
        let Some(file) = files.last_mut() else { continue };
        if in_header {
            if line.starts_with("new file mode") {
                file.change = Change::Added;
            } else if line.starts_with("deleted file mode") {
                file.change = Change::Deleted;
            } else if line.starts_with("Binary files ") || line == "GIT binary patch" {
                file.binary = true;
            } else if let Some(p) = line.strip_prefix("+++ b/") {
                file.path = p.to_string();
            } else if let Some(p) = line.strip_prefix("--- a/")
                && file.change == Change::Deleted
            {
                file.path = p.to_string();
            }
            if !line.starts_with("@@ ") {
                continue;
            }
            in_header = false;
        }
        if line.starts_with("@@ ") {
            if let Some((o, n)) = hunk_start(line) {
                (old, new) = (o, n);
            }
            file.lines.push(PatchLine {
                kind: LineKind::Hunk,
                old: None,
                new: None,
                text: line.to_string(),
            });
            continue;
        }
        let (kind, text) = match line.chars().next() {
            Some('+') => (LineKind::Add, &line[1..]),
            Some('-') => (LineKind::Del, &line[1..]),
            Some(' ') => (LineKind::Context, &line[1..]),
            Some('\\') => (LineKind::Note, line),
            // An empty line inside a hunk is an empty context line.
            None => (LineKind::Context, ""),
            Some(_) if line.starts_with("Binary files ") => {
                file.binary = true;
                continue;
            }
            Some(_) => continue,
        };
        let (o, n) = match kind {
            LineKind::Add => (None, Some(new)),
            LineKind::Del => (Some(old), None),
            LineKind::Context => (Some(old), Some(new)),
            _ => (None, None),
        };
        if o.is_some() {
            old += 1;
        }
        if n.is_some() {
            new += 1;
        }
        file.lines.push(PatchLine {
            kind,
            old: o,
            new: n,
            text: text.to_string(),
        });
    }
    files
}

/// `a/x b/x` of a `diff --git` line: the new side's path.
fn header_path(rest: &str) -> String {
    match rest.rfind(" b/") {
        Some(i) => rest[i + 3..].to_string(),
        None => rest.trim_start_matches("a/").to_string(),
    }
}

/// The first old and new line numbers of `@@ -a[,b] +c[,d] @@`.
fn hunk_start(line: &str) -> Option<(u32, u32)> {
    let mut parts = line.split_whitespace().skip(1);
    let number = |s: &str| s.split(',').next().and_then(|n| n.parse::<u32>().ok());
    let old = number(parts.next()?.strip_prefix('-')?)?;
    let new = number(parts.next()?.strip_prefix('+')?)?;
    // A side with no lines names the line before it (0 for an empty file).
    Some((old.max(1), new.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: &str = "diff --git a/classes/A.cls b/classes/A.cls
index 1111111..2222222 100644
--- a/classes/A.cls
+++ b/classes/A.cls
@@ -1,4 +1,4 @@
 public class A {
-    Integer x = 1;
+    Integer x = 2;
 
 }
@@ -10,2 +10,3 @@ public class A {
 // end
+// more
 // done
diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+hello
+world
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 4444444..0000000
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..5555555
Binary files /dev/null and b/logo.png differ
";

    #[test]
    fn reads_files_changes_and_line_numbers() {
        let files = parse(PATCH);
        let names: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.change, f.binary)).collect();
        assert_eq!(
            names,
            [
                ("classes/A.cls", Change::Changed, false),
                ("new.txt", Change::Added, false),
                ("old.txt", Change::Deleted, false),
                ("logo.png", Change::Added, true),
            ]
        );
        let a = &files[0].lines;
        assert_eq!(a[0].kind, LineKind::Hunk);
        assert_eq!(
            (a[1].old, a[1].new, a[1].text.as_str()),
            (Some(1), Some(1), "public class A {")
        );
        assert_eq!((a[2].kind, a[2].old, a[2].new), (LineKind::Del, Some(2), None));
        assert_eq!((a[3].kind, a[3].old, a[3].new), (LineKind::Add, None, Some(2)));
        assert_eq!(a[3].text, "    Integer x = 2;");
        assert_eq!((a[4].old, a[4].new, a[4].text.as_str()), (Some(3), Some(3), ""));
        assert_eq!((a[5].old, a[5].new), (Some(4), Some(4)));
        assert_eq!(a[6].kind, LineKind::Hunk);
        assert_eq!((a[7].old, a[7].new), (Some(10), Some(10)));
        assert_eq!((a[8].kind, a[8].new), (LineKind::Add, Some(11)));
        assert_eq!((a[9].old, a[9].new), (Some(11), Some(12)));
        let n = &files[1].lines;
        assert_eq!((n[1].new, n[2].new), (Some(1), Some(2)));
        assert_eq!(n[3].kind, LineKind::Note);
        assert_eq!(
            (files[2].lines[1].kind, files[2].lines[1].old),
            (LineKind::Del, Some(1))
        );
        assert!(files[3].lines.is_empty());
    }

    #[test]
    fn an_added_line_that_looks_like_a_header_stays_a_line() {
        let files = parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n a\n+++ b/not-a-header\n");
        assert_eq!(files[0].path, "x");
        assert_eq!(files[0].lines[2].kind, LineKind::Add);
        assert_eq!(files[0].lines[2].text, "++ b/not-a-header");
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(parse("").is_empty());
    }
}
