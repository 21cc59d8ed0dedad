//! The tools of a code task played as an agent loop, all working on the attempt's own copy
//! of the task's workspace: `read_file`, `write_file`, `apply_patch`, `bash` (in the
//! sandbox) and `run_tests` (the task's tests, on a separate copy).

use super::answer::{Answer, AnswerFile};
use super::catalog::Task;
use super::evaluator::{task_limits, CodeTaskEvaluator};
use super::metadata::Evidence;
use super::paths::{resolve_in, safe_relative, slash};
use super::verdict::judge;
use super::workspace::{apply_answer, copy_tree, list_files, ApplyReport};
use crate::agent::ToolSpec;
use crate::tools::{Tool, ToolError, Toolbox};
use async_trait::async_trait;
use benchcore_sandbox::SandboxCommand;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `read_file` shows at most this many bytes of a file.
pub const MAX_READ_BYTES: usize = 64 * 1024;
/// `bash` and `run_tests` show at most this many bytes of each output stream (its end).
pub const MAX_OUTPUT_BYTES: usize = 8 * 1024;
/// The names of the tools, as the model sees them.
pub const AGENT_TOOLS: [&str; 5] = [
    "read_file",
    "write_file",
    "apply_patch",
    "bash",
    "run_tests",
];

/// What every tool of one attempt shares: the task, the workspace copy, and the evaluator
/// whose sandbox, limits and confinement the commands use.
pub(crate) struct AgentWorkspace {
    pub(crate) task: Arc<Task>,
    /// The folder holding `workspace/` (the copy the tools work on).
    pub(crate) root: PathBuf,
    pub(crate) evaluator: CodeTaskEvaluator,
    pub(crate) artifacts: Option<PathBuf>,
}

impl AgentWorkspace {
    /// The workspace copy.
    pub(crate) fn workspace(&self) -> PathBuf {
        self.root.join("workspace")
    }
}

/// The toolbox of one attempt over `shared`. Every call is bounded: the task's time limit
/// plus a margin for copying.
pub(crate) fn toolbox(shared: &Arc<AgentWorkspace>) -> Toolbox {
    let secs = shared.task.metadata().time_limit_secs.max(1) + 30;
    let tool = |kind| {
        Arc::new(WorkspaceTool {
            kind,
            shared: Arc::clone(shared),
        }) as Arc<dyn Tool>
    };
    [
        Kind::ReadFile,
        Kind::WriteFile,
        Kind::ApplyPatch,
        Kind::Bash,
        Kind::RunTests,
    ]
    .into_iter()
    .fold(Toolbox::new(), |toolbox, kind| toolbox.with_arc(tool(kind)))
    .with_timeout(Duration::from_secs(secs))
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    ReadFile,
    WriteFile,
    ApplyPatch,
    Bash,
    RunTests,
}

struct WorkspaceTool {
    kind: Kind,
    shared: Arc<AgentWorkspace>,
}

fn string_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, ToolError> {
    args.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ToolError::new(format!("`{name}` (a string) is required")))
}

fn schema(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

#[async_trait]
impl Tool for WorkspaceTool {
    fn spec(&self) -> ToolSpec {
        let path = json!({"type": "string", "description": "A path relative to the workspace."});
        match self.kind {
            Kind::ReadFile => ToolSpec::new(
                "read_file",
                "Reads a text file of the workspace (`.` lists every file).",
                schema(json!({ "path": path }), &["path"]),
            ),
            Kind::WriteFile => ToolSpec::new(
                "write_file",
                "Writes the whole content of a workspace file the task lets you change.",
                schema(
                    json!({"path": path, "content": {"type": "string", "description": "The whole new content."}}),
                    &["path", "content"],
                ),
            ),
            Kind::ApplyPatch => ToolSpec::new(
                "apply_patch",
                "Applies a unified diff (paths relative to the workspace) to the workspace.",
                schema(json!({"diff": {"type": "string"}}), &["diff"]),
            ),
            Kind::Bash => ToolSpec::new(
                "bash",
                "Runs a shell command in the workspace, in a sandbox without network.",
                schema(json!({"command": {"type": "string"}}), &["command"]),
            ),
            Kind::RunTests => ToolSpec::new(
                "run_tests",
                "Runs the task's tests on a copy of the workspace as it is now.",
                schema(json!({}), &[]),
            ),
        }
    }

    async fn call(&self, args: &Value) -> Result<String, ToolError> {
        let shared = &*self.shared;
        match self.kind {
            Kind::ReadFile => read_file(&shared.workspace(), string_arg(args, "path")?),
            Kind::WriteFile => {
                let file = AnswerFile {
                    path: string_arg(args, "path")?.to_owned(),
                    content: string_arg(args, "content")?.to_owned(),
                };
                let answer = Answer::Files {
                    files: vec![file],
                    assumed_path: false,
                };
                applied(apply_answer(
                    &shared.workspace(),
                    &answer,
                    shared.task.editable(),
                ))
            }
            Kind::ApplyPatch => {
                let diff = string_arg(args, "diff")?;
                let answer = Answer::Diff(diff.to_owned());
                applied(apply_answer(
                    &shared.workspace(),
                    &answer,
                    shared.task.editable(),
                ))
            }
            Kind::Bash => bash(shared, string_arg(args, "command")?).await,
            Kind::RunTests => run_tests(shared).await,
        }
    }
}

/// Reads a file of the workspace, by the answers' path rules.
fn read_file(workspace: &Path, path: &str) -> Result<String, ToolError> {
    if matches!(path.trim(), "" | "." | "./") {
        let files = list_files(workspace).map_err(|e| ToolError::new(e.to_string()))?;
        return Ok(files.join("\n"));
    }
    let rel = safe_relative(path).map_err(|p| ToolError::new(format!("{path}: {p}")))?;
    let at =
        resolve_in(workspace, &slash(&rel)).map_err(|p| ToolError::new(format!("{path}: {p}")))?;
    let meta = std::fs::symlink_metadata(&at)
        .map_err(|_| ToolError::new(format!("{path}: no such file in the workspace")))?;
    if meta.is_dir() {
        let files = list_files(&at).map_err(|e| ToolError::new(e.to_string()))?;
        let folder = slash(&rel);
        let listed: Vec<String> = files.iter().map(|f| format!("{folder}/{f}")).collect();
        return Ok(listed.join("\n"));
    }
    if !meta.is_file() {
        return Err(ToolError::new(format!("{path}: not a regular file")));
    }
    // Only what is shown is read: the agent may have made the file huge.
    let mut shown = Vec::with_capacity(MAX_READ_BYTES.min(meta.len() as usize));
    std::fs::File::open(&at)
        .and_then(|file| file.take(MAX_READ_BYTES as u64).read_to_end(&mut shown))
        .map_err(|e| ToolError::new(format!("{path}: {e}")))?;
    let size = meta.len() as usize;
    let shown = shown.as_slice();
    let mut text = match std::str::from_utf8(shown) {
        Ok(text) => text.to_owned(),
        // A cut through a multi-byte character is not binary.
        Err(e) if e.error_len().is_none() => String::from_utf8_lossy(shown).into_owned(),
        Err(_) => return Err(ToolError::new(format!("{path}: not a text file"))),
    };
    if size > shown.len() {
        let _ = write!(
            text,
            "\n[… {} more bytes not shown: the file has {size} bytes]",
            size - shown.len(),
        );
    }
    Ok(text)
}

/// What a write or a patch did, in words; a refusal or a patch that does not apply is an
/// error result.
fn applied(report: ApplyReport) -> Result<String, ToolError> {
    match report.status.as_str() {
        "applied" => {
            let files: Vec<String> = report
                .files
                .iter()
                .map(|f| format!("{} {}", f.action, f.path))
                .collect();
            Ok(if files.is_empty() {
                "nothing changed".to_owned()
            } else {
                format!("done: {}", files.join(", "))
            })
        }
        "rejected" => Err(ToolError::new(format!(
            "refused, nothing written: {}",
            report
                .rejected
                .iter()
                .map(|r| format!("{}: {}", r.path, r.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ))),
        "no_code" => Err(ToolError::new("the diff holds no file change")),
        _ => Err(ToolError::new(format!(
            "the patch did not apply, nothing written: {}",
            report.error.unwrap_or_default()
        ))),
    }
}

/// The end of an output stream, at most [`MAX_OUTPUT_BYTES`], with a note when cut.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= MAX_OUTPUT_BYTES {
        return text.into_owned();
    }
    let mut start = text.len() - MAX_OUTPUT_BYTES;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!(
        "[… output truncated: the first {start} of {} bytes are not shown]\n{}",
        text.len(),
        &text[start..]
    )
}

fn streams(out: &mut String, stdout: &[u8], stderr: &[u8], truncated: bool) {
    let _ = write!(
        out,
        "\n--- stdout ---\n{}\n--- stderr ---\n{}",
        tail(stdout),
        tail(stderr)
    );
    if truncated {
        out.push_str("\n[the output limit stopped the command]");
    }
}

/// Runs a shell command in the sandbox, in the workspace copy, with the task's limits.
async fn bash(shared: &AgentWorkspace, command: &str) -> Result<String, ToolError> {
    let fail = |e: crate::EvalError| ToolError::new(format!("bash: {}", e.message));
    let sandbox = shared.evaluator.sandbox_or_error().map_err(fail)?;
    let _permit = shared.evaluator.permit().await.map_err(fail)?;
    let argv = vec!["bash".to_owned(), "-c".to_owned(), command.to_owned()];
    let cmd = SandboxCommand::new(argv, &shared.root)
        .cwd(shared.workspace())
        .limits(task_limits(&shared.task));
    let cmd = shared
        .evaluator
        .confine(cmd, &shared.task, shared.artifacts.as_deref());
    let output = sandbox
        .run(&cmd)
        .await
        .map_err(|e| ToolError::new(format!("bash: the sandbox could not run it: {e}")))?;
    let mut text = match (output.limit, output.exit_code, output.signal) {
        (Some(limit), _, _) => format!("stopped: {limit:?} limit reached"),
        (None, Some(code), _) => format!("exit status {code}"),
        (None, None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None, None) => "stopped".to_owned(),
    };
    streams(&mut text, &output.stdout, &output.stderr, output.truncated);
    if output.exited_cleanly() {
        Ok(text)
    } else {
        Err(ToolError::new(text))
    }
}

/// Runs the task's tests on a separate copy of the workspace as it is now, with the tests
/// copied in, exactly as the evaluator does; says how it ended.
async fn run_tests(shared: &AgentWorkspace) -> Result<String, ToolError> {
    let fail = |e: crate::EvalError| ToolError::new(format!("run_tests: {}", e.message));
    let evaluator = &shared.evaluator;
    let task = &shared.task;
    let sandbox = evaluator.sandbox_or_error().map_err(fail)?;
    let deps = evaluator.dependencies(task, &sandbox).await.map_err(fail)?;
    let _permit = evaluator.permit().await.map_err(fail)?;
    let scratch = evaluator
        .scratch_folder(task.id())
        .map_err(|e| ToolError::new(format!("run_tests: cannot make a folder: {e}")))?;
    copy_tree(&shared.workspace(), &scratch.dir().join("workspace"))
        .map_err(|e| ToolError::new(format!("run_tests: cannot copy the workspace: {e}")))?;
    let (output, found) = evaluator
        .run_tests_in(
            task,
            scratch.dir(),
            &sandbox,
            deps.as_deref(),
            shared.artifacts.as_deref(),
        )
        .await
        .map_err(fail)?;
    let report = ApplyReport {
        format: "files".into(),
        status: "applied".into(),
        ..ApplyReport::default()
    };
    let evidence: Evidence = task.metadata().evidence;
    let verdict = judge(&report, &output, &found, evidence);
    let mut text = format!(
        "{}; exit status {}",
        verdict.rationale,
        output
            .exit_code
            .map_or_else(|| "none".to_owned(), |c| c.to_string())
    );
    streams(&mut text, &output.stdout, &output.stderr, output.truncated);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_file_keeps_to_the_workspace_and_caps_what_it_shows() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path();
        std::fs::create_dir(ws.join("src")).unwrap();
        std::fs::write(ws.join("src/a.py"), "x = 1\n").unwrap();
        std::fs::write(ws.join("big.txt"), "y".repeat(MAX_READ_BYTES + 10)).unwrap();
        std::fs::write(ws.join("bin.dat"), [0xff, 0xfe, 0x00, 0x80]).unwrap();
        std::os::unix::fs::symlink("/etc", ws.join("out")).unwrap();
        assert_eq!(read_file(ws, "./src/a.py").unwrap(), "x = 1\n");
        assert_eq!(read_file(ws, ".").unwrap(), "big.txt\nbin.dat\nsrc/a.py");
        assert_eq!(read_file(ws, "src").unwrap(), "src/a.py");
        let big = read_file(ws, "big.txt").unwrap();
        assert!(big.ends_with("[… 10 more bytes not shown: the file has 65546 bytes]"));
        for (path, why) in [
            ("../x", "`..`"),
            ("/etc/passwd", "absolute"),
            ("out/passwd", "symbolic link"),
            ("bin.dat", "not a text file"),
            ("nope.py", "no such file"),
        ] {
            let err = read_file(ws, path).unwrap_err();
            assert!(err.message.contains(why), "{path}: {err}");
        }
    }

    #[test]
    fn long_output_keeps_its_end_with_a_note() {
        assert_eq!(tail(b"short"), "short");
        let long = "é".repeat(MAX_OUTPUT_BYTES);
        let cut = tail(long.as_bytes());
        assert!(
            cut.starts_with("[… output truncated: the first "),
            "{cut:.80}"
        );
        assert!(cut.len() < MAX_OUTPUT_BYTES + 100);
    }
}
