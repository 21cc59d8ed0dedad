//! Applying an answer to a workspace copy, and copying folders.

use super::answer::Answer;
use super::apply::{apply_patch_to_text, ApplyStep};
use super::diff::{parse_unified_diff, unified_diff};
use super::paths::{resolve_in, safe_relative, slash, GlobSet, PathProblem};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A path an answer named that was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RejectedPath {
    /// The path as written.
    pub path: String,
    /// `absolute`, `parent_dir`, `symlink`, `not_editable` …
    pub kind: String,
    /// Why.
    pub reason: String,
}

/// One file an answer changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChangedFile {
    /// Relative to the workspace.
    pub path: String,
    /// `create`, `modify` or `delete`.
    pub action: String,
    /// For a diff, the step of the fallback chain that applied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<ApplyStep>,
}

/// What applying an answer did: recorded in the attempt's evaluation details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApplyReport {
    /// `diff`, `files` or `none`.
    pub format: String,
    /// `applied`, `no_code`, `rejected` (an unsafe path) or `patch_failed`.
    pub status: String,
    /// For a diff: the latest step of the fallback chain any file needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<ApplyStep>,
    /// A lone code block was taken as the task's only editable file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assumed_path: bool,
    /// The files changed.
    pub files: Vec<ChangedFile>,
    /// The paths refused (nothing is written when any is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<RejectedPath>,
    /// Why the diff did not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The change as a unified diff (`patch.diff`): what was applied, or the answer's own
    /// diff when it could not be.
    #[serde(skip)]
    pub patch: String,
}

impl ApplyReport {
    /// Whether the answer was applied (possibly changing nothing).
    pub fn is_applied(&self) -> bool {
        self.status == "applied"
    }

    fn with_status(format: &str, status: &str) -> Self {
        Self {
            format: format.to_owned(),
            status: status.to_owned(),
            ..Self::default()
        }
    }
}

/// What the answer asks for one path: its new content, or `None` to delete it.
type Planned = BTreeMap<String, (Option<String>, Option<String>, Option<ApplyStep>)>;

/// Applies an answer to the workspace folder `root`: checks every path first (relative, no
/// `..`, no symbolic link on the way, matched by `editable`) and writes nothing when any is
/// refused or any file's diff does not apply.
///
/// ```
/// use benchcore::code_task::{apply_answer, parse_answer, GlobSet};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.py"), "x = 1\n").unwrap();
/// let answer = parse_answer("```python a.py\nx = 2\n```", None);
/// let report = apply_answer(dir.path(), &answer, &GlobSet::new(&["*.py"]).unwrap());
/// assert!(report.is_applied());
/// assert!(report.patch.contains("-x = 1\n+x = 2\n"));
/// let evil = parse_answer("```python ../escape.py\nx\n```", None);
/// assert_eq!(apply_answer(dir.path(), &evil, &GlobSet::new(&["**"]).unwrap()).status, "rejected");
/// ```
pub fn apply_answer(root: &Path, answer: &Answer, editable: &GlobSet) -> ApplyReport {
    let format = answer.format();
    let mut report = ApplyReport::with_status(format, "applied");
    let mut planned: Planned = BTreeMap::new();
    let check = |path: &str, report: &mut ApplyReport| -> Option<String> {
        let problem = match safe_relative(path) {
            Err(p) => Some(p),
            Ok(rel) => {
                let rel = slash(&rel);
                match resolve_in(root, &rel) {
                    Err(p) => Some(p),
                    Ok(_) if !editable.matches(&rel) => Some(PathProblem::NotEditable),
                    Ok(_) => return Some(rel),
                }
            }
        };
        if let Some(problem) = problem {
            report.rejected.push(RejectedPath {
                path: path.to_owned(),
                kind: problem.kind().to_owned(),
                reason: problem.to_string(),
            });
        }
        None
    };
    match answer {
        Answer::Empty => return ApplyReport::with_status(format, "no_code"),
        Answer::Files {
            files,
            assumed_path,
        } => {
            report.assumed_path = *assumed_path;
            for file in files {
                if let Some(rel) = check(&file.path, &mut report) {
                    let old = read_text(&root.join(&rel));
                    planned.insert(rel, (old, Some(file.content.clone()), None));
                }
            }
        }
        Answer::Diff(text) => {
            report.patch.clone_from(text);
            let patches = match parse_unified_diff(text) {
                Ok(p) if p.is_empty() => return ApplyReport::with_status(format, "no_code"),
                Ok(p) => p,
                Err(e) => {
                    report.status = "patch_failed".into();
                    report.error = Some(e.to_string());
                    return report;
                }
            };
            for patch in &patches {
                let old = patch
                    .old_path
                    .as_deref()
                    .and_then(|p| check(p, &mut report));
                let new = patch
                    .new_path
                    .as_deref()
                    .and_then(|p| check(p, &mut report));
                if patch.symlink {
                    report.rejected.push(RejectedPath {
                        path: patch.path().to_owned(),
                        kind: "symlink".into(),
                        reason: "the diff makes a symbolic link".into(),
                    });
                    continue;
                }
                if !report.rejected.is_empty() {
                    continue;
                }
                if patch.binary {
                    report.status = "patch_failed".into();
                    report.error =
                        Some(format!("{}: binary patches are not applied", patch.path()));
                    return report;
                }
                let current = |rel: &str, planned: &Planned| match planned.get(rel) {
                    Some((_, now, _)) => now.clone(),
                    None => read_text(&root.join(rel)),
                };
                let source = match &old {
                    Some(rel) => match current(rel, &planned) {
                        Some(text) => text,
                        None if new.is_some()
                            && patch.hunks.iter().all(|h| h.preimage().is_empty()) =>
                        {
                            String::new()
                        }
                        None => {
                            report.status = "patch_failed".into();
                            report.error = Some(format!("{rel}: no such file in the workspace"));
                            return report;
                        }
                    },
                    None => String::new(),
                };
                let applied = if new.is_none() {
                    None
                } else {
                    match apply_patch_to_text(&source, patch) {
                        Ok((text, step, _)) => Some((text, step)),
                        Err(e) => {
                            report.status = "patch_failed".into();
                            report.error = Some(format!("{}: {e}", patch.path()));
                            return report;
                        }
                    }
                };
                if let (Some(old), Some(new)) = (&old, &new) {
                    if old != new {
                        // A rename: the old path goes away.
                        let before = current(old, &planned);
                        planned.insert(old.clone(), (before, None, None));
                    }
                }
                let target = new.clone().or(old.clone()).unwrap_or_default();
                let before = planned
                    .get(&target)
                    .map(|(b, _, _)| b.clone())
                    .unwrap_or_else(|| read_text(&root.join(&target)));
                let step = applied.as_ref().map(|(_, s)| *s);
                let previous_step = planned.get(&target).and_then(|(_, _, s)| *s);
                planned.insert(
                    target,
                    (before, applied.map(|(t, _)| t), step.max(previous_step)),
                );
            }
        }
    }
    if !report.rejected.is_empty() {
        report.status = "rejected".into();
        return report;
    }
    let mut diff = String::new();
    for (rel, (before, after, step)) in &planned {
        let path = root.join(rel);
        let written = match after {
            Some(text) => path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, text)),
            None => std::fs::remove_file(&path).or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }),
        };
        if let Err(e) = written {
            report.status = "patch_failed".into();
            report.error = Some(format!("{rel}: cannot write: {e}"));
            return report;
        }
        let action = match (before, after) {
            (None, Some(_)) => "create",
            (Some(_), None) | (None, None) => "delete",
            (Some(_), Some(_)) => "modify",
        };
        report.files.push(ChangedFile {
            path: rel.clone(),
            action: action.to_owned(),
            step: *step,
        });
        report.step = report.step.max(*step);
        diff.push_str(&unified_diff(rel, before.as_deref(), after.as_deref()));
    }
    report.patch = diff;
    report
}

fn read_text(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Copies a folder recursively: files with their permissions, symbolic links as links
/// (never followed), folders created.
///
/// # Errors
/// Reading or writing failed.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_symlink() {
            let link = std::fs::read_link(entry.path())?;
            let _ = std::fs::remove_file(&target);
            std::os::unix::fs::symlink(link, &target)?;
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Every regular file under `root`, as sorted `/`-separated relative paths (symbolic links
/// and hidden folders such as `.git` are skipped).
pub fn list_files(root: &Path) -> std::io::Result<Vec<String>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let name = entry.file_name();
            if kind.is_dir() {
                if !name.to_string_lossy().starts_with('.') {
                    walk(root, &entry.path(), out)?;
                }
            } else if kind.is_file() {
                let path = entry.path();
                out.push(slash(path.strip_prefix(root).unwrap_or(&path)));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if root.is_dir() {
        walk(root, root, &mut out)?;
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code_task::parse_answer;

    fn ws() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.py"), "a = 1\nb = 2\n").unwrap();
        std::fs::write(dir.path().join("test_a.py"), "assert True\n").unwrap();
        dir
    }

    fn all() -> GlobSet {
        GlobSet::new(&["**"]).unwrap()
    }

    #[test]
    fn a_diff_with_create_delete_and_rename() {
        let dir = ws();
        let diff = "```diff\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n--- /dev/null\n+++ b/src/new.py\n@@ -0,0 +1 @@\n+n = 1\n--- a/test_a.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-assert True\n```";
        let report = apply_answer(dir.path(), &parse_answer(diff, None), &all());
        assert_eq!(report.status, "applied", "{report:?}");
        assert_eq!(report.step, Some(ApplyStep::Exact));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.py")).unwrap(),
            "a = 1\nb = 3\n"
        );
        assert!(dir.path().join("src/new.py").exists());
        assert!(!dir.path().join("test_a.py").exists());
        let actions: Vec<&str> = report.files.iter().map(|f| f.action.as_str()).collect();
        assert_eq!(actions, ["modify", "create", "delete"]);
    }

    #[test]
    fn any_refused_path_writes_nothing() {
        let dir = ws();
        let reply = "```python src/a.py\nchanged\n```\n```python /etc/evil\nx\n```\n```python ../../up.py\nx\n```";
        let report = apply_answer(dir.path(), &parse_answer(reply, None), &all());
        assert_eq!(report.status, "rejected");
        let kinds: Vec<&str> = report.rejected.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["absolute", "parent_dir"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.py")).unwrap(),
            "a = 1\nb = 2\n"
        );
    }

    #[test]
    fn files_outside_editable_and_symlink_diffs_are_refused() {
        let dir = ws();
        let editable = GlobSet::new(&["src/*.py"]).unwrap();
        let report = apply_answer(
            dir.path(),
            &parse_answer("```py test_a.py\nx\n```", None),
            &editable,
        );
        assert_eq!(report.rejected[0].kind, "not_editable");
        let link = "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/src/l.py\n@@ -0,0 +1 @@\n+/etc/passwd\n";
        let report = apply_answer(dir.path(), &Answer::Diff(link.into()), &all());
        assert_eq!(report.status, "rejected");
        assert_eq!(report.rejected[0].kind, "symlink");
    }

    #[test]
    fn a_diff_that_does_not_apply_is_patch_failed_and_kept() {
        let dir = ws();
        let diff = "--- a/src/a.py\n+++ b/src/a.py\n@@ -1 +1 @@\n-zzz = 0\n+q = 1\n";
        let report = apply_answer(dir.path(), &Answer::Diff(diff.into()), &all());
        assert_eq!(report.status, "patch_failed");
        assert!(report.error.as_deref().unwrap().contains("src/a.py"));
        assert_eq!(report.patch, diff);
    }
}
