//! The prompt: the instructions, the workspace files (and the tests when asked), and the
//! answer format stated.

use super::catalog::Task;
use super::metadata::AnswerFormat;
use super::workspace::list_files;
use std::fmt::Write as _;
use std::path::Path;

/// What a prompt shows and asks for, over the tasks' own settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptOptions {
    /// Show the tests too (`Some(true)`), hide them (`Some(false)`), or as each task says.
    pub include_tests: Option<bool>,
    /// Ask for this answer format instead of each task's.
    pub answer_format: Option<AnswerFormat>,
}

impl PromptOptions {
    /// Shows the tests.
    pub fn with_tests(mut self, include: bool) -> Self {
        self.include_tests = Some(include);
        self
    }

    /// Asks for this format.
    pub fn with_answer_format(mut self, format: AnswerFormat) -> Self {
        self.answer_format = Some(format);
        self
    }

    /// The options as the run spec records them (`null` when all are defaults).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if let Some(t) = self.include_tests {
            map.insert("include_tests".into(), t.into());
        }
        if let Some(f) = self.answer_format {
            map.insert("answer_format".into(), f.as_str().into());
        }
        if map.is_empty() {
            serde_json::Value::Null
        } else {
            map.into()
        }
    }

    /// Reads what [`PromptOptions::to_json`] wrote; unknown or missing keys are defaults.
    pub fn from_json(value: &serde_json::Value) -> Self {
        Self {
            include_tests: value
                .get("include_tests")
                .and_then(serde_json::Value::as_bool),
            answer_format: value
                .get("answer_format")
                .and_then(serde_json::Value::as_str)
                .and_then(|s| s.parse().ok()),
        }
    }
}

/// Files larger than this are listed but not shown.
const MAX_SHOWN_BYTES: u64 = 64 * 1024;

/// The fence language for a file name, for readability only.
pub(crate) fn fence_language(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "py" => "python",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" => "typescript",
        "rs" => "rust",
        "go" => "go",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "h" => "cpp",
        "c" => "c",
        "html" | "htm" => "html",
        "css" => "css",
        "json" => "json",
        "toml" => "toml",
        "md" => "markdown",
        "sh" => "sh",
        "mod" => "go",
        _ => "",
    }
}

/// A fence longer than any backtick run in `content`.
pub(crate) fn fence_for(content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A file as a fenced block whose info string is its path (the whole-files answer format).
pub(crate) fn file_block(path: &str, content: &str) -> String {
    let fence = fence_for(content);
    let mut out = format!("{fence}{path}\n{content}");
    if !content.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
    out
}

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
