//! Unified diffs: parsing what an answer sends, and writing `patch.diff` from before and after.

use std::fmt::Write as _;

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    /// Unchanged context (` `).
    Context(String),
    /// Removed (`-`).
    Remove(String),
    /// Added (`+`).
    Add(String),
}

/// One `@@` hunk. The counts in its header are not trusted: they are recomputed from the
/// lines, since hand-written diffs often get them wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Hunk {
    /// First old line, 1-based (0 for an empty old side).
    pub old_start: usize,
    /// First new line, 1-based.
    pub new_start: usize,
    /// The lines.
    pub lines: Vec<HunkLine>,
}

impl Hunk {
    /// The lines the hunk expects: context and removed lines.
    pub fn preimage(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                HunkLine::Context(s) | HunkLine::Remove(s) => Some(s.as_str()),
                HunkLine::Add(_) => None,
            })
            .collect()
    }

    /// The lines the hunk leaves: context and added lines.
    pub fn postimage(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                HunkLine::Context(s) | HunkLine::Add(s) => Some(s.as_str()),
                HunkLine::Remove(_) => None,
            })
            .collect()
    }
}

/// The changes to one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FilePatch {
    /// The old path (prefix `a/` removed); `None` for a new file.
    pub old_path: Option<String>,
    /// The new path (prefix `b/` removed); `None` for a deleted file.
    pub new_path: Option<String>,
    /// The hunks, in order.
    pub hunks: Vec<Hunk>,
    /// The new side has no newline at its end.
    pub new_no_newline: bool,
    /// The patch makes a symbolic link (mode 120000).
    pub symlink: bool,
    /// A binary patch, which is not applied.
    pub binary: bool,
}

impl FilePatch {
    /// The path this patch writes (or deletes).
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }
}

/// A diff that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("diff line {line}: {message}")]
#[non_exhaustive]
pub struct DiffError {
    /// 1-based line within the diff.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn strip_prefix_path(raw: &str) -> Option<String> {
    // `--- a/path\t2024-01-01 …`: drop the timestamp, then the a/ or b/ prefix.
    let raw = raw.split('\t').next().unwrap_or(raw).trim_end();
    let raw = raw.trim_matches('"');
    if raw == "/dev/null" {
        return None;
    }
    let path = raw
        .strip_prefix("a/")
        .or_else(|| raw.strip_prefix("b/"))
        .unwrap_or(raw);
    Some(path.to_owned())
}

fn hunk_header(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("@@ -")?;
    let (old, rest) = rest.split_once(' ')?;
    let new = rest.strip_prefix('+')?.split(' ').next()?;
    let start = |s: &str| s.split(',').next()?.parse::<usize>().ok();
    Some((start(old)?, start(new)?))
}

/// Parses a unified diff (one or more files). Text before the first file header and
/// `diff --git`/`index` lines are read for modes and otherwise skipped.
///
/// ```
/// use benchcore::code_task::parse_unified_diff;
/// let patches = parse_unified_diff("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-old\n+new\n").unwrap();
/// assert_eq!(patches[0].path(), "x.py");
/// assert_eq!(patches[0].hunks[0].postimage(), ["new"]);
/// ```
///
/// # Errors
/// A file header without hunks, or a hunk line that is not ` `, `-`, `+` or `\`.
pub fn parse_unified_diff(text: &str) -> Result<Vec<FilePatch>, DiffError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut patches = Vec::new();
    let mut pending = FilePatch::default();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("diff --git ") {
            pending = FilePatch::default();
        } else if line.starts_with("new file mode 120000") || line.starts_with("new mode 120000") {
            pending.symlink = true;
        } else if line.starts_with("GIT binary patch")
            || (line.starts_with("Binary files ") && line.ends_with(" differ"))
        {
            pending.binary = true;
            pending.new_path = line
                .strip_prefix("Binary files ")
                .and_then(|rest| rest.split(" and ").nth(1))
                .and_then(|p| strip_prefix_path(p.trim_end_matches(" differ")));
            patches.push(std::mem::take(&mut pending));
        } else if let (Some(old), Some(new)) = (
            line.strip_prefix("--- "),
            lines.get(i + 1).and_then(|l| l.strip_prefix("+++ ")),
        ) {
            let mut patch = std::mem::take(&mut pending);
            patch.old_path = strip_prefix_path(old);
            patch.new_path = strip_prefix_path(new);
            i += 2;
            while i < lines.len() {
                let Some((old_start, new_start)) = hunk_header(lines[i]) else {
                    break;
                };
                i += 1;
                let mut hunk = Hunk {
                    old_start,
                    new_start,
                    lines: Vec::new(),
                };
                while i < lines.len() {
                    let l = lines[i];
                    let next_is_header = lines.get(i + 1).is_some_and(|n| n.starts_with("+++ "));
                    if l.starts_with("@@ ") || l.starts_with("diff --git ") {
                        break;
                    }
                    if l.starts_with("--- ") && next_is_header {
                        break;
                    }
                    match l.chars().next() {
                        Some(' ') => hunk.lines.push(HunkLine::Context(l[1..].to_owned())),
                        Some('-') => hunk.lines.push(HunkLine::Remove(l[1..].to_owned())),
                        Some('+') => hunk.lines.push(HunkLine::Add(l[1..].to_owned())),
                        Some('\\') => {
                            if matches!(
                                hunk.lines.last(),
                                Some(HunkLine::Add(_) | HunkLine::Context(_))
                            ) {
                                patch.new_no_newline = true;
                            }
                        }
                        // An empty line is a context line whose trailing space was trimmed.
                        None => hunk.lines.push(HunkLine::Context(String::new())),
                        Some(_) => {
                            // Prose or a fence after the last hunk ends the diff.
                            if hunk.lines.is_empty() {
                                return Err(DiffError {
                                    line: i + 1,
                                    message: format!(
                                        "expected a hunk line (' ', '-', '+'), got {l:?}"
                                    ),
                                });
                            }
                            break;
                        }
                    }
                    i += 1;
                }
                // Trailing empty "context" lines are usually the end of the text, not context.
                while matches!(hunk.lines.last(), Some(HunkLine::Context(s)) if s.is_empty())
                    && hunk.lines.len() > 1
                    && i >= lines.len()
                {
                    hunk.lines.pop();
                }
                patch.hunks.push(hunk);
            }
            if patch.hunks.is_empty() && !(patch.old_path.is_some() && patch.new_path.is_none()) {
                return Err(DiffError {
                    line: i.min(lines.len()),
                    message: format!("file `{}` has a header but no hunk", patch.path()),
                });
            }
            patches.push(patch);
            continue;
        }
        i += 1;
    }
    Ok(patches)
}

/// One step of a line-level edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edit {
    Keep(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// Longest-common-subsequence pairs `(i, j)` with `a[i] == b[j]`, increasing in both.
pub(crate) fn lcs_pairs<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(usize, usize)> {
    // Trim the common head and tail, which is most of a file in practice.
    let mut head = 0;
    while head < a.len() && head < b.len() && a[head] == b[head] {
        head += 1;
    }
    let mut tail = 0;
    while tail < a.len() - head
        && tail < b.len() - head
        && a[a.len() - 1 - tail] == b[b.len() - 1 - tail]
    {
        tail += 1;
    }
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut pairs: Vec<(usize, usize)> = (0..head).map(|k| (k, k)).collect();
    let (n, m) = (ma.len(), mb.len());
    if n > 0 && m > 0 && n.saturating_mul(m) <= 16_000_000 {
        // table[i][j] = LCS length of ma[i..], mb[j..]
        let mut table = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                table[i * (m + 1) + j] = if ma[i] == mb[j] {
                    table[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    table[(i + 1) * (m + 1) + j].max(table[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if ma[i] == mb[j] {
                pairs.push((head + i, head + j));
                i += 1;
                j += 1;
            } else if table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    pairs.extend((0..tail).map(|k| (a.len() - tail + k, b.len() - tail + k)));
    pairs
}

pub(crate) fn edit_script<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Edit> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    for (pi, pj) in lcs_pairs(a, b) {
        out.extend((i..pi).map(Edit::Delete));
        out.extend((j..pj).map(Edit::Insert));
        out.push(Edit::Keep(pi, pj));
        (i, j) = (pi + 1, pj + 1);
    }
    out.extend((i..a.len()).map(Edit::Delete));
    out.extend((j..b.len()).map(Edit::Insert));
    out
}

/// A unified diff of one file from `old` to `new` (`None` for a missing side), with three
/// lines of context, as `git diff` prints it; empty when nothing changed.
///
/// ```
/// use benchcore::code_task::unified_diff;
/// let d = unified_diff("x.txt", Some("a\nb\n"), Some("a\nc\n"));
/// assert!(d.contains("-b\n+c\n"));
/// assert_eq!(unified_diff("x.txt", Some("same\n"), Some("same\n")), "");
/// ```
pub fn unified_diff(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.map(|s| s.lines().collect()).unwrap_or_default();
    let b: Vec<&str> = new.map(|s| s.lines().collect()).unwrap_or_default();
    let mut out = format!("diff --git a/{path} b/{path}\n");
    if old.is_none() {
        out.push_str("new file mode 100644\n");
    } else if new.is_none() {
        out.push_str("deleted file mode 100644\n");
    }
    let _ = writeln!(
        out,
        "--- {}\n+++ {}",
        old.map_or("/dev/null".to_owned(), |_| format!("a/{path}")),
        new.map_or("/dev/null".to_owned(), |_| format!("b/{path}"))
    );
    let script = edit_script(&a, &b);
    let changed: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e, Edit::Keep(..)))
        .map(|(k, _)| k)
        .collect();
    if changed.is_empty() {
        // Only the final newline differs.
        let _ = writeln!(out, "@@ -{0},{1} +{0},{1} @@", a.len().max(1), 1);
        let last = a.last().copied().unwrap_or("");
        let (old_nl, new_nl) = (
            old.is_some_and(|s| s.ends_with('\n')),
            new.is_some_and(|s| s.ends_with('\n')),
        );
        let _ = writeln!(out, "-{last}");
        if !old_nl {
            out.push_str("\\ No newline at end of file\n");
        }
        let _ = writeln!(out, "+{last}");
        if !new_nl {
            out.push_str("\\ No newline at end of file\n");
        }
        return out;
    }
    const CONTEXT: usize = 3;
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &k in &changed {
        let start = k.saturating_sub(CONTEXT);
        let end = (k + CONTEXT + 1).min(script.len());
        match groups.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => groups.push((start, end)),
        }
    }
    for (start, end) in groups {
        let ops = &script[start..end];
        let old_first = ops.iter().find_map(|e| match e {
            Edit::Keep(i, _) | Edit::Delete(i) => Some(*i),
            Edit::Insert(_) => None,
        });
        let new_first = ops.iter().find_map(|e| match e {
            Edit::Keep(_, j) | Edit::Insert(j) => Some(*j),
            Edit::Delete(_) => None,
        });
        let old_len = ops.iter().filter(|e| !matches!(e, Edit::Insert(_))).count();
        let new_len = ops.iter().filter(|e| !matches!(e, Edit::Delete(_))).count();
        let _ = writeln!(
            out,
            "@@ -{},{} +{},{} @@",
            old_first.map_or(0, |i| i + 1),
            old_len,
            new_first.map_or(0, |j| j + 1),
            new_len
        );
        for op in ops {
            let (sign, text, at_end_old, at_end_new) = match *op {
                Edit::Keep(i, j) => (' ', a[i], i + 1 == a.len(), j + 1 == b.len()),
                Edit::Delete(i) => ('-', a[i], i + 1 == a.len(), false),
                Edit::Insert(j) => ('+', b[j], false, j + 1 == b.len()),
            };
            let _ = writeln!(out, "{sign}{text}");
            let missing_old = at_end_old && old.is_some_and(|s| !s.ends_with('\n'));
            let missing_new = at_end_new && new.is_some_and(|s| !s.ends_with('\n'));
            if (sign == '-' && missing_old)
                || (sign == '+' && missing_new)
                || (sign == ' ' && (missing_old || missing_new))
            {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_style_diff_with_several_files_and_a_new_file() {
        let text = "diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n x = 1\n-y = 2\n+y = 3\n z = 4\ndiff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n@@ -0,0 +1,2 @@\n+print(1)\n+print(2)\n";
        let patches = parse_unified_diff(text).unwrap();
        assert_eq!(patches.len(), 2);
        assert_eq!(patches[0].hunks[0].preimage(), ["x = 1", "y = 2", "z = 4"]);
        assert_eq!(patches[1].old_path, None);
        assert_eq!(patches[1].new_path.as_deref(), Some("n.py"));
    }

    #[test]
    fn symlinks_and_binaries_are_flagged() {
        let p = parse_unified_diff(
            "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc/passwd\n",
        )
        .unwrap();
        assert!(p[0].symlink);
        let p = parse_unified_diff(
            "diff --git a/x.png b/x.png\nBinary files a/x.png and b/x.png differ\n",
        )
        .unwrap();
        assert!(p[0].binary);
        assert_eq!(p[0].path(), "x.png");
    }

    #[test]
    fn generated_diffs_parse_back() {
        let old: String = (0..20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 1\n", "LINE 1\n")
            .replace("line 18\n", "LINE 18\n")
            + "tail\n";
        let (old, new) = (old.as_str(), new.as_str());
        let d = unified_diff("f.txt", Some(old), Some(new));
        let p = parse_unified_diff(&d).unwrap();
        assert_eq!(p[0].hunks.len(), 2, "{d}");
        let created = unified_diff("n.txt", None, Some("x"));
        assert!(created.contains("--- /dev/null") && created.contains("\\ No newline"));
    }
}
