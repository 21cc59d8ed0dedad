//! [`CodeTaskAgentEpisode`]: a code task played as an agent loop with sandboxed tools on the
//! attempt's own copy of the workspace; the final workspace, as a diff against the task's
//! starter, is the answer the [`CodeTaskEvaluator`] judges.

use super::agent_tools::{toolbox, AgentWorkspace};
use super::catalog::Task;
use super::diff::unified_diff;
use super::episode::KIND;
use super::evaluator::CodeTaskEvaluator;
use super::paths::resolve_in;
use super::workspace::{copy_tree, list_files};
use crate::agent::AgentErrorKind;
use crate::engine::{Episode, EpisodeContext};
use crate::tools::{LoopLimits, ToolLoop};
use crate::{AgentError, Speaker, Turn};
use async_trait::async_trait;
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// Plays a code task as an agent loop ([`ToolLoop`]). Per attempt it:
///
/// 1. copies the task's `workspace/` to a fresh scratch folder (never touching the catalog);
/// 2. offers the tools `read_file`, `write_file`, `apply_patch` (both only on `editable`
///    paths, by the same rules as answers), `bash` (in the evaluator's [`Sandbox`](super::Sandbox),
///    no network, the task's limits, output cut with a note) and `run_tests` (the task's
///    tests on a separate copy); a failing call is an error result the model reads;
/// 3. when the loop ends (an answer without a call, or a limit), diffs the copy against the
///    starter: that diff, not the agent's last text, is recorded as the attempt's final
///    `AGENT` turn, so the evaluator applies it to a fresh copy and runs the tests exactly
///    as for a one-shot answer;
/// 4. writes `prompt.txt`, `trajectory.json` (every step) and `final.diff` to the attempt's
///    artifacts folder, and removes the scratch folder unless the evaluator keeps sandboxes.
///
/// The prompt is the case's: open the catalog with [`CodeTaskMode::Agent`](super::CodeTaskMode)
/// in its [`PromptOptions`](super::PromptOptions) so that it describes the tools instead of
/// an answer format (the `code_task` kind does). Only editable text files enter the diff; anything else the agent changed (build output
/// such as `__pycache__`, a file it may not change) is listed in `trajectory.json` as left
/// out.
///
/// ```no_run
/// # async fn demo(agent: impl benchcore::Agent) -> Result<(), Box<dyn std::error::Error>> {
/// use benchcore::code_task::{CodeTaskAgentEpisode, CodeTaskEvaluator, CodeTaskMode, PromptOptions, TaskCatalog};
/// use benchcore::tools::LoopLimits;
/// use benchcore::{Engine, MemoryStore, Run};
/// use std::sync::Arc;
///
/// let options = PromptOptions::default().with_mode(CodeTaskMode::Agent);
/// let catalog = TaskCatalog::open_with("examples/tasks", options)?;
/// let evaluator = CodeTaskEvaluator::try_new(&catalog)?;
/// let episode = CodeTaskAgentEpisode::new(evaluator.clone())
///     .with_limits(LoopLimits::default().with_max_steps(15));
/// let run = Run::new(catalog).agent(agent).episode(episode).evaluator(evaluator).artifacts_dir("runs");
/// Engine::new(Arc::new(MemoryStore::new())).run(run).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CodeTaskAgentEpisode {
    evaluator: CodeTaskEvaluator,
    limits: LoopLimits,
}

impl CodeTaskAgentEpisode {
    /// An episode whose tools use `evaluator`'s tasks, sandbox, scratch folder and limits
    /// (the evaluator that judges the run).
    pub fn new(evaluator: CodeTaskEvaluator) -> Self {
        Self {
            evaluator,
            limits: LoopLimits::default(),
        }
    }

    /// Sets the loop's limits (default: 10 model replies).
    pub fn with_limits(mut self, limits: LoopLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// What the final workspace holds against the starter.
#[derive(Debug, Default, Serialize)]
struct FinalDiff {
    /// The diff of the editable text files that changed.
    #[serde(skip)]
    diff: String,
    /// The files in the diff.
    files: Vec<String>,
    /// Changed files left out of the diff, with why.
    left_out: Vec<LeftOut>,
}

#[derive(Debug, Serialize)]
struct LeftOut {
    path: String,
    reason: &'static str,
}

/// A failure to set an attempt up (no such task, a scratch folder that cannot be made):
/// never retried, the attempt is an error.
fn setup_error(message: String) -> AgentError {
    AgentError::new(AgentErrorKind::BadRequest, message)
}

/// One side of a file: its text, `None` when there is no regular file there (a path
/// through a symbolic link counts as none, so nothing outside the folder is ever read), or
/// `Err` when it is not text.
fn read_side(root: &Path, rel: &str) -> Result<Option<String>, ()> {
    let Ok(path) = resolve_in(root, rel) else {
        return Ok(None);
    };
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() => match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| ()),
            Err(_) => Err(()),
        },
        _ => Ok(None),
    }
}

/// Files larger than this that the agent changed are left out of the final diff.
const MAX_DIFF_FILE_BYTES: u64 = 1024 * 1024;

/// The size of a regular file below `root`, not through a symbolic link.
fn file_size(root: &Path, rel: &str) -> Option<u64> {
    let path = resolve_in(root, rel).ok()?;
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_file().then_some(meta.len())
}

/// Diffs the workspace copy against the task's starter.
fn final_diff(task: &Task, copy: &Path) -> std::io::Result<FinalDiff> {
    let starter = task.workspace_dir();
    let mut paths = list_files(&starter)?;
    paths.extend(list_files(copy)?);
    paths.sort();
    paths.dedup();
    let mut out = FinalDiff::default();
    for path in paths {
        // A file the agent made huge is never read: only one of the starter's own size is.
        let new_size = file_size(copy, &path);
        if new_size.is_some_and(|n| n > MAX_DIFF_FILE_BYTES)
            && new_size != file_size(&starter, &path)
        {
            out.left_out.push(LeftOut {
                path,
                reason: "larger than 1 MiB",
            });
            continue;
        }
        let (old, new) = match (read_side(&starter, &path), read_side(copy, &path)) {
            (Ok(old), Ok(new)) => (old, new),
            _ => {
                let bytes = |root: &Path| {
                    resolve_in(root, &path)
                        .ok()
                        .and_then(|p| std::fs::read(p).ok())
                };
                let same = bytes(&starter) == bytes(copy);
                if !same {
                    out.left_out.push(LeftOut {
                        path,
                        reason: "not a text file",
                    });
                }
                continue;
            }
        };
        if old == new {
            continue;
        }
        if !task.editable().matches(&path) {
            out.left_out.push(LeftOut {
                path,
                reason: "not among the files the task lets an answer change",
            });
            continue;
        }
        out.diff
            .push_str(&unified_diff(&path, old.as_deref(), new.as_deref()));
        out.files.push(path);
    }
    Ok(out)
}

#[async_trait]
impl Episode for CodeTaskAgentEpisode {
    fn kind(&self) -> &str {
        KIND
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let case = Arc::clone(cx.case());
        let task = self.evaluator.task(&case.id).cloned().ok_or_else(|| {
            setup_error(format!("case `{}` is not a task of this catalog", case.id))
        })?;
        let artifacts = cx.artifacts_dir().map(Path::to_path_buf);
        if let Some(dir) = &artifacts {
            // The evaluator reports a folder it cannot write as an infrastructure error.
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join("prompt.txt"), case.input_text()));
        }
        let scratch = self
            .evaluator
            .scratch_folder(&case.id)
            .map_err(|e| setup_error(format!("cannot make a scratch folder: {e}")))?;
        let copy = scratch.dir().join("workspace");
        copy_tree(&task.workspace_dir(), &copy)
            .map_err(|e| setup_error(format!("cannot copy the workspace: {e}")))?;
        let shared = Arc::new(AgentWorkspace {
            task: Arc::clone(&task),
            root: scratch.dir().to_path_buf(),
            evaluator: self.evaluator.clone(),
            artifacts: artifacts.clone(),
        });
        let tools = toolbox(&shared);
        let agent_loop = ToolLoop::new(tools)
            .with_limits(self.limits.clone())
            .with_kind(KIND);
        agent_loop.play(cx).await?;

        let last_stop = cx
            .transcript()
            .turns
            .iter()
            .rev()
            .find(|t| t.speaker == Speaker::Agent)
            .and_then(|t| t.stop_reason);
        let done = final_diff(&task, &copy)
            .map_err(|e| setup_error(format!("cannot read the final workspace: {e}")))?;
        let mut note = format!(
            "final workspace: {} file(s) changed{}; this diff is the answer the tests judge",
            done.files.len(),
            if done.left_out.is_empty() {
                String::new()
            } else {
                format!(", {} left out", done.left_out.len())
            }
        );
        for left in &done.left_out {
            note.push_str(&format!("\nleft out {}: {}", left.path, left.reason));
        }
        let now = crate::now_ms();
        cx.transcript_mut()
            .push(Turn::new(Speaker::System, note).at(now));
        cx.transcript_mut().push(
            Turn::new(Speaker::Agent, done.diff.clone())
                .at(now)
                .with_stop_reason(last_stop),
        );
        if let Some(dir) = &artifacts {
            let trajectory = serde_json::json!({
                "task": task.id(),
                "limits": {"max_steps": self.limits.max_steps},
                "ending": cx.transcript().ending,
                "steps": cx.transcript().turns,
                "final": done,
            });
            let _ = std::fs::create_dir_all(dir).and_then(|()| {
                std::fs::write(
                    dir.join("trajectory.json"),
                    serde_json::to_vec_pretty(&trajectory).unwrap_or_default(),
                )?;
                std::fs::write(dir.join("final.diff"), &done.diff)
            });
        }
        drop(shared);
        drop(scratch);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code_task::TaskCatalog;

    #[test]
    fn the_final_diff_holds_only_editable_text_changes() {
        let dir = tempfile::tempdir().unwrap();
        let task = dir.path().join("t");
        for sub in ["workspace", "tests"] {
            std::fs::create_dir_all(task.join(sub)).unwrap();
        }
        std::fs::write(
            task.join("metadata.json"),
            r#"{"id": "t", "language": "python", "test_command": ["python3", "x"], "editable": ["*.py", "pkg/*.py"]}"#,
        )
        .unwrap();
        std::fs::write(task.join("instructions.md"), "Fix it.\n").unwrap();
        std::fs::write(task.join("workspace/a.py"), "a = 1\n").unwrap();
        std::fs::write(task.join("workspace/gone.py"), "g = 1\n").unwrap();
        std::fs::write(task.join("workspace/notes.txt"), "n\n").unwrap();
        std::fs::write(task.join("tests/t.py"), "\n").unwrap();
        let catalog = TaskCatalog::open(dir.path()).unwrap();
        let task = catalog.task("t").unwrap();
        let copy = dir.path().join("copy");
        copy_tree(&task.workspace_dir(), &copy).unwrap();
        std::fs::write(copy.join("a.py"), "a = 2\n").unwrap();
        std::fs::write(copy.join("new.py"), "n = 1\n").unwrap();
        std::fs::remove_file(copy.join("gone.py")).unwrap();
        std::fs::write(copy.join("notes.txt"), "changed\n").unwrap();
        std::fs::write(copy.join("cache.py"), [0xff, 0x00]).unwrap();
        std::fs::write(copy.join("huge.py"), "x".repeat(1024 * 1024 + 1)).unwrap();
        // A folder replaced by a link out: nothing is read through it.
        std::fs::create_dir(task.workspace_dir().join("pkg")).unwrap();
        std::fs::write(task.workspace_dir().join("pkg/hosts.py"), "h = 1\n").unwrap();
        std::os::unix::fs::symlink("/etc", copy.join("pkg")).unwrap();
        let done = final_diff(task, &copy).unwrap();
        assert_eq!(done.files, ["a.py", "gone.py", "new.py", "pkg/hosts.py"]);
        assert!(done.diff.contains("-h = 1"), "{}", done.diff);
        let left: Vec<(&str, &str)> = done
            .left_out
            .iter()
            .map(|l| (l.path.as_str(), l.reason))
            .collect();
        assert_eq!(
            left,
            [
                ("cache.py", "not a text file"),
                ("huge.py", "larger than 1 MiB"),
                (
                    "notes.txt",
                    "not among the files the task lets an answer change"
                )
            ]
        );
        assert!(done.diff.contains("-a = 1\n+a = 2\n"), "{}", done.diff);
        assert!(done.diff.contains("+++ /dev/null"), "{}", done.diff);
        // The evaluator's reading of it: a diff.
        let answer = crate::code_task::parse_answer(&done.diff, None);
        assert_eq!(answer.format(), "diff");
        assert!(final_diff(task, &task.workspace_dir())
            .unwrap()
            .diff
            .is_empty());
    }
}
