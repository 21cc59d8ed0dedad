//! The code-task evaluator: applies the answer to a fresh copy of the workspace and runs the
//! task's tests in the sandbox.

use super::answer::parse_answer;
use super::catalog::{Task, TaskCatalog};
use super::counts::parse_test_counts;
use super::paths::safe_relative;
use super::sandbox::{remove_tree, LimitHit, Limits, Sandbox, SandboxCommand, SandboxOutput};
use super::workspace::{apply_answer, copy_tree, ApplyReport};
use crate::{EvalContext, EvalError, Evaluation, Evaluator};
use async_trait::async_trait;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The evaluator's name in records.
pub const EVALUATOR_NAME: &str = "tests";

/// Judges a code-task attempt by its tests. For every attempt it:
///
/// 1. copies the task's `workspace/` to a fresh sandbox folder;
/// 2. reads the answer (a unified diff, or whole files) and applies it, refusing any path
///    that leaves the workspace or is not `editable`; a diff that does not apply exactly
///    goes through the fallback chain ([`ApplyStep`](super::ApplyStep));
/// 3. copies the task's `tests/` in (after the answer, so an answer cannot replace them);
/// 4. runs the test command in the [`Sandbox`] with the task's limits;
/// 5. writes `prompt.txt`, `response.txt`, `patch.diff`, `stdout.log` and `stderr.log` to
///    the attempt's artifacts folder.
///
/// The attempt passes when the answer applied and the command exited 0 within its limits.
/// An answer without usable code fails (label `no_code`; the tests still run on the
/// untouched workspace, which shows whether the task fails as shipped); an unsafe path
/// fails as `rejected`; a diff that does not apply fails as `patch_failed`. When the
/// sandbox itself breaks (cannot copy, cannot start the command) the evaluator returns
/// [`EvalError::infrastructure`], so the attempt is an `error`, out of accuracy.
#[derive(Debug, Clone)]
pub struct CodeTaskEvaluator {
    tasks: Arc<HashMap<String, Arc<Task>>>,
    sandbox: Arc<Sandbox>,
    permits: Arc<Semaphore>,
    keep: bool,
    scratch: Option<PathBuf>,
}

impl CodeTaskEvaluator {
    /// An evaluator for the tasks of a catalog, with the best sandbox this machine offers
    /// and as many test commands at once as there are CPUs.
    pub fn new(catalog: &TaskCatalog) -> Self {
        let tasks = catalog
            .tasks()
            .iter()
            .map(|t| (t.id().to_owned(), Arc::clone(t)))
            .collect();
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            tasks: Arc::new(tasks),
            sandbox: Arc::new(Sandbox::detect()),
            permits: Arc::new(Semaphore::new(parallel)),
            keep: false,
            scratch: None,
        }
    }

    /// Uses this sandbox.
    pub fn with_sandbox(mut self, sandbox: Sandbox) -> Self {
        self.sandbox = Arc::new(sandbox);
        self
    }

    /// Runs at most `n` test commands at once (at least 1).
    pub fn with_parallelism(mut self, n: usize) -> Self {
        self.permits = Arc::new(Semaphore::new(n.max(1)));
        self
    }

    /// Makes sandbox folders under `dir` instead of the system's temporary folder.
    pub fn with_scratch_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.scratch = Some(dir.into());
        self
    }

    /// Keeps each sandbox folder after its run (for debugging a task).
    pub fn keep_sandboxes(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn fresh_dir(&self, case_id: &str) -> std::io::Result<PathBuf> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = self.scratch.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&base)?;
        let safe: String = case_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = base.join(format!(
            "benchcore-task-{safe}-{}-{}-{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        ));
        std::fs::create_dir(&dir)?;
        Ok(dir)
    }
}

/// Removes the sandbox folder when the attempt is done.
struct Cleanup {
    dir: PathBuf,
    keep: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.keep {
            remove_tree(&self.dir);
        }
    }
}

fn write_artifact(dir: Option<&Path>, name: &str, content: &[u8]) -> Result<(), EvalError> {
    let Some(dir) = dir else { return Ok(()) };
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join(name), content))
        .map_err(|e| {
            EvalError::infrastructure(format!("cannot write {}: {e}", dir.join(name).display()))
        })
}

fn label(report: &ApplyReport, output: &SandboxOutput) -> &'static str {
    match report.status.as_str() {
        "no_code" => return "no_code",
        "rejected" => return "rejected",
        "patch_failed" => return "patch_failed",
        _ => {}
    }
    match output.limit {
        Some(LimitHit::Time) => "timeout",
        Some(LimitHit::Output) => "output_limit",
        Some(LimitHit::Disk) => "disk_limit",
        None if output.passed() => "passed",
        None => "tests_failed",
    }
}

#[async_trait]
impl Evaluator for CodeTaskEvaluator {
    fn name(&self) -> &str {
        EVALUATOR_NAME
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let task = self.tasks.get(&cx.case.id).ok_or_else(|| {
            EvalError::new(format!(
                "case `{}` is not a task of this catalog",
                cx.case.id
            ))
        })?;
        let meta = task.metadata();
        let artifacts = cx.artifacts;
        if artifacts.is_some_and(|d| !d.join("prompt.txt").exists()) {
            write_artifact(artifacts, "prompt.txt", cx.case.input_text().as_bytes())?;
        }
        write_artifact(artifacts, "response.txt", cx.reply.as_bytes())?;

        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| EvalError::infrastructure(e.to_string()))?;
        let root = self
            .fresh_dir(&cx.case.id)
            .map_err(|e| EvalError::infrastructure(format!("cannot make a sandbox folder: {e}")))?;
        let _cleanup = Cleanup {
            dir: root.clone(),
            keep: self.keep,
        };
        let workspace = root.join("workspace");
        copy_tree(&task.workspace_dir(), &workspace).map_err(|e| {
            EvalError::infrastructure(format!("cannot copy the workspace of `{}`: {e}", task.id()))
        })?;

        let sole = task.sole_editable_file();
        let answer = parse_answer(cx.reply, sole.as_deref());
        let report = apply_answer(&workspace, &answer, task.editable());
        write_artifact(artifacts, "patch.diff", report.patch.as_bytes())?;
        let mut details = serde_json::json!({
            "apply": report,
            "sandbox": {
                "isolation": self.sandbox.isolation(),
                "network_blocked": self.sandbox.isolation().blocks_network(),
                "process_limit_enforced": self.sandbox.enforces_process_limit(),
                "warnings": self.sandbox.warnings(),
            },
        });
        if matches!(report.status.as_str(), "rejected" | "patch_failed") {
            let why = match &report.error {
                Some(error) => error.clone(),
                None => report
                    .rejected
                    .iter()
                    .map(|r| format!("{}: {}", r.path, r.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            write_artifact(artifacts, "stdout.log", b"")?;
            write_artifact(
                artifacts,
                "stderr.log",
                format!("tests not run: the answer was {}: {why}\n", report.status).as_bytes(),
            )?;
            return Ok(Evaluation::binary(EVALUATOR_NAME, false)
                .with_label(report.status.clone())
                .with_rationale(why)
                .with_details(details));
        }

        let tests_at = safe_relative(&meta.tests_dir)
            .map(|rel| root.join(rel))
            .map_err(|e| EvalError::infrastructure(format!("tests_dir: {e}")))?;
        copy_tree(&task.tests_dir(), &tests_at).map_err(|e| {
            EvalError::infrastructure(format!("cannot copy the tests of `{}`: {e}", task.id()))
        })?;
        let cwd = if meta.cwd == "." {
            root.clone()
        } else {
            root.join(safe_relative(&meta.cwd).map_err(|e| EvalError::new(format!("cwd: {e}")))?)
        };
        let limits = Limits {
            time: Duration::from_secs(meta.time_limit_secs),
            memory_mb: meta.memory_limit_mb,
            max_processes: meta
                .max_processes
                .unwrap_or(Limits::default().max_processes),
            ..Limits::default()
        };
        let mut command = SandboxCommand::new(meta.test_command.clone(), &root)
            .cwd(cwd)
            .limits(limits);
        for (key, value) in &meta.env {
            command = command.env(key, value);
        }
        let output = self
            .sandbox
            .run(&command)
            .await
            .map_err(|e| EvalError::infrastructure(format!("task `{}`: {e}", task.id())))?;
        write_artifact(artifacts, "stdout.log", &output.stdout)?;
        write_artifact(artifacts, "stderr.log", &output.stderr)?;

        let counts = parse_test_counts(
            &String::from_utf8_lossy(&output.stdout),
            &String::from_utf8_lossy(&output.stderr),
        );
        let label = label(&report, &output);
        let passed = report.is_applied() && output.passed();
        details["run"] = serde_json::json!({
            "passed": output.passed(),
            "exit_code": output.exit_code,
            "signal": output.signal,
            "limit": output.limit,
            "process_cap_hit": output.process_cap_hit,
            "output_truncated": output.truncated,
            "duration_ms": output.duration.as_millis() as u64,
        });
        details["tests"] = serde_json::to_value(&counts).unwrap_or_default();
        let rationale = match (&counts, output.exit_code) {
            (Some(c), _) => format!(
                "{}: {} passed, {} failed, {} skipped ({})",
                label, c.passed, c.failed, c.skipped, c.runner
            ),
            (None, Some(code)) => format!("{label}: the test command exited {code}"),
            (None, None) => format!("{label}: the test command was stopped"),
        };
        Ok(Evaluation::binary(EVALUATOR_NAME, passed)
            .with_label(label)
            .with_rationale(rationale)
            .with_details(details))
    }
}
