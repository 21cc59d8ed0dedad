//! The prompt: the instructions, the workspace files (and the tests when asked), and the
//! answer format stated.

use super::catalog::Task;
use super::fence::{fence_for, fence_language};
use super::metadata::AnswerFormat;
use super::prompt_options::{CodeTaskMode, PromptOptions};
use super::workspace::list_files;
use crate::{Case, Message};
use std::fmt::Write as _;
use std::path::Path;

/// Files larger than this are listed but not shown.
const MAX_SHOWN_BYTES: u64 = 64 * 1024;

fn show_folder(out: &mut String, root: &Path, prefix: &str) -> std::io::Result<()> {
    for rel in list_files(root)? {
        let path = root.join(&rel);
        let shown = if prefix.is_empty() {
            rel.clone()
        } else {
            format!("{prefix}/{rel}")
        };
        let size = std::fs::metadata(&path)?.len();
        let bytes = if size <= MAX_SHOWN_BYTES {
            std::fs::read(&path)?
        } else {
            Vec::new()
        };
        match String::from_utf8(bytes) {
            Ok(text) if size <= MAX_SHOWN_BYTES => {
                let fence = fence_for(&text);
                let _ = writeln!(out, "### `{shown}`\n\n{fence}{}", fence_language(&rel));
                out.push_str(&text);
                if !text.ends_with('\n') {
                    out.push('\n');
                }
                let _ = writeln!(out, "{fence}\n");
            }
            _ => {
                let _ = writeln!(
                    out,
                    "### `{shown}`\n\n(not shown: {size} bytes, binary or too large)\n"
                );
            }
        }
    }
    Ok(())
}

/// The closing paragraph of an agent-mode prompt, in place of the answer format.
pub const AGENT_MODE_TEXT: &str = "You work on your own copy of the workspace with tools: \
`read_file` reads a file (`.` lists them), `write_file` writes a whole file and `apply_patch` \
applies a unified diff (both only to files you may change), `bash` runs a shell command in the \
workspace (no network), and `run_tests` runs the task's tests on a copy of the workspace as it \
is. When you are done, answer with a short summary and no tool call: the workspace as you \
leave it is your answer, and the task's tests judge it.";

/// The answer-format paragraph.
pub fn answer_format_text(format: AnswerFormat, example_path: &str) -> String {
    match format {
        AnswerFormat::Files => format!(
            "Answer with the complete new content of every file you change or create, each \
             in its own fenced code block whose info string is the file's path relative to \
             the workspace, for example:\n\n```{example_path}\n<the whole file>\n```\n\n\
             Files you do not include stay as they are. Paths must stay inside the workspace."
        ),
        AnswerFormat::Diff => format!(
            "Answer with one unified diff (as `git diff` prints it) in a ```diff fenced \
             block, with paths relative to the workspace, for example:\n\n```diff\n\
             --- a/{example_path}\n+++ b/{example_path}\n@@ -1,3 +1,3 @@\n unchanged line\n\
             -old line\n+new line\n unchanged line\n```\n\n\
             Use `/dev/null` as the old path of a new file. Paths must stay inside the \
             workspace."
        ),
    }
}

/// Builds a task's prompt.
///
/// # Errors
/// A workspace or test file cannot be read.
pub fn build_prompt(task: &Task, options: &PromptOptions) -> std::io::Result<String> {
    let meta = task.metadata();
    let mut out = String::new();
    let _ = writeln!(out, "# Task: {}\n", meta.title());
    out.push_str(task.instructions().trim_end());
    out.push_str("\n\n## Workspace\n\n");
    let _ = writeln!(
        out,
        "Language: {}. The workspace's files follow; the tests run with `{}`{}.\n",
        meta.language,
        meta.test_command.join(" "),
        if meta.time_limit_secs > 0 {
            format!(" within {} s", meta.time_limit_secs)
        } else {
            String::new()
        }
    );
    if meta.editable != ["**"] {
        let _ = writeln!(
            out,
            "You may change or create only: {}.\n",
            meta.editable
                .iter()
                .map(|g| format!("`{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    show_folder(&mut out, &task.workspace_dir(), "")?;
    if options.include_tests.unwrap_or(meta.show_tests) {
        out.push_str("## Tests\n\nThese tests judge your answer (you cannot change them).\n\n");
        show_folder(&mut out, &task.tests_dir(), "tests")?;
    }
    if options.mode() == CodeTaskMode::Agent {
        out.push_str("## How to work\n\n");
        out.push_str(AGENT_MODE_TEXT);
        out.push('\n');
        return Ok(out);
    }
    let format = options.answer_format.unwrap_or(meta.answer_format);
    let example = task
        .sole_editable_file()
        .or_else(|| task.workspace_files().ok()?.into_iter().next())
        .unwrap_or_else(|| "path/to/file".to_owned());
    out.push_str("## Answer format\n\n");
    out.push_str(&answer_format_text(format, &example));
    out.push('\n');
    Ok(out)
}

impl Task {
    /// The task as a case: the prompt as its one message, the gold answer as its target,
    /// and the folder, language, tags and difficulty in its metadata.
    ///
    /// # Errors
    /// A file cannot be read.
    pub fn to_case(&self, options: &PromptOptions) -> std::io::Result<Case> {
        let prompt = build_prompt(self, options)?;
        let meta = self.metadata();
        let dir = std::fs::canonicalize(self.dir()).unwrap_or_else(|_| self.dir().to_path_buf());
        let mut case = Case::from_messages(self.id(), vec![Message::user(prompt)]).with_metadata(
            serde_json::json!({
                "task_dir": dir.display().to_string(),
                "language": meta.language,
                "tags": meta.tags,
                "difficulty": meta.difficulty,
                "test_command": meta.test_command,
            }),
        );
        if let Some(gold) = self.gold_answer()? {
            case = case.with_target(gold);
        }
        Ok(case)
    }
}
