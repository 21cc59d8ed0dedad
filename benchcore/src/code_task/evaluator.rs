//! The code-task evaluator: applies the answer to a fresh copy of the workspace and runs the
//! task's tests in the sandbox.

use super::answer::parse_answer;
use super::catalog::{Task, TaskCatalog};
use super::deps::{declared_dependencies, prepare_attempt, DepsCache};
use super::evidence::{self, Found, JUNIT_PLACEHOLDER, TOKEN_FILE_ENV};
use super::metadata::Evidence;
use super::paths::safe_relative;
use super::verdict::judge;
use super::workspace::{apply_answer, copy_tree};
use crate::{EvalContext, EvalError, Evaluation, Evaluator};
use async_trait::async_trait;
use benchcore_sandbox::{
    remove_tree, Limits, Sandbox, SandboxCommand, SandboxError, SandboxOutput,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

/// The evaluator's name in records.
pub const EVALUATOR_NAME: &str = "tests";

/// Judges a code-task attempt by its tests. For every attempt it:
///
/// 1. copies the task's `workspace/` to a fresh sandbox folder;
/// 2. reads the answer (a unified diff, or whole files) and applies it, refusing any path
///    that leaves the workspace or is not `editable`; a diff that does not apply exactly
///    goes through the fallback chain ([`ApplyStep`](super::ApplyStep));
/// 3. copies the task's `tests/` in (after the answer, so an answer cannot replace them);
/// 4. runs the test command in the [`Sandbox`] with the task's limits, seeing only that
///    folder, the toolchains and the task's installed dependencies;
/// 5. writes `prompt.txt`, `response.txt`, `patch.diff`, `stdout.log` and `stderr.log` to
///    the attempt's artifacts folder.
///
/// The attempt passes when the answer applied, the command exited 0 within its limits, and it
/// left **evidence** that tests ran and passed ([`Evidence`]): the runner's counts or JUnit
/// report, or a result line carrying the attempt's token; at least one test passed and none
/// failed. Exit 0 without it fails as `no_test_results`. An answer without usable code fails
/// (`no_code`; the tests still run on the untouched workspace, which shows whether the task
/// fails as shipped); an unsafe path fails as `rejected`; a diff that does not apply fails as
/// `patch_failed`; a limit fails as `timeout`, `memory_limit`, `process_limit`,
/// `output_limit`, `disk_limit` or `cpu_limit`. When the sandbox itself breaks (it cannot
/// run here, cannot copy, cannot start the command) the evaluator returns
/// [`EvalError::infrastructure`], so the attempt is an `error`, out of accuracy.
#[derive(Debug, Clone)]
pub struct CodeTaskEvaluator {
    tasks: Arc<HashMap<String, Arc<Task>>>,
    sandbox: Result<Arc<Sandbox>, Arc<str>>,
    permits: Arc<Semaphore>,
    keep: bool,
    scratch: Option<PathBuf>,
    deps: DepsCache,
    install_deps: bool,
    installs: Arc<HashMap<String, OnceCell<Result<PathBuf, String>>>>,
    hidden: Vec<PathBuf>,
    catalog_dir: PathBuf,
}

impl CodeTaskEvaluator {
    /// An evaluator for the tasks of a catalog, with the sandbox `BENCHCORE_SANDBOX` names
    /// (isolated by default) and as many test commands at once as there are CPUs. When that
    /// sandbox cannot run here, every attempt is an infrastructure error naming what is
    /// missing; [`try_new`](Self::try_new) reports it at once instead.
    pub fn new(catalog: &TaskCatalog) -> Self {
        Self::with(
            catalog,
            Sandbox::from_env()
                .map(Arc::new)
                .map_err(|e| e.to_string().into()),
        )
    }

    /// An evaluator like [`new`](Self::new), or the reason its sandbox cannot run here.
    ///
    /// # Errors
    /// The sandbox `BENCHCORE_SANDBOX` names cannot run here.
    pub fn try_new(catalog: &TaskCatalog) -> Result<Self, SandboxError> {
        Ok(Self::with(catalog, Ok(Arc::new(Sandbox::from_env()?))))
    }

    /// An evaluator for the tasks of a catalog that runs their tests in `sandbox`.
    pub fn new_with_sandbox(catalog: &TaskCatalog, sandbox: Sandbox) -> Self {
        Self::with(catalog, Ok(Arc::new(sandbox)))
    }

    fn with(catalog: &TaskCatalog, sandbox: Result<Arc<Sandbox>, Arc<str>>) -> Self {
        let tasks: HashMap<String, Arc<Task>> = catalog
            .tasks()
            .iter()
            .map(|t| (t.id().to_owned(), Arc::clone(t)))
            .collect();
        let installs = tasks
            .keys()
            .map(|id| (id.clone(), OnceCell::new()))
            .collect();
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            tasks: Arc::new(tasks),
            sandbox,
            permits: Arc::new(Semaphore::new(parallel)),
            keep: false,
            scratch: None,
            deps: DepsCache::new(DepsCache::default_root()),
            install_deps: false,
            installs: Arc::new(installs),
            hidden: Vec::new(),
            catalog_dir: catalog.dir().to_path_buf(),
        }
    }

    /// Uses this sandbox.
    pub fn with_sandbox(mut self, sandbox: Sandbox) -> Self {
        self.sandbox = Ok(Arc::new(sandbox));
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

    /// Installs each task's declared dependencies before its first attempt (the only step
    /// that may reach the network), into the dependency cache.
    pub fn install_deps(mut self, install: bool) -> Self {
        self.install_deps = install;
        self
    }

    /// Keeps installed dependencies under `dir` (default [`DepsCache::default_root`]).
    pub fn with_deps_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.deps = DepsCache::new(dir);
        self
    }

    /// Keeps `path` (a store file, an artifacts folder) hidden from test commands; the
    /// catalog, the scratch folder and the dependency cache are hidden already.
    pub fn hide(mut self, path: impl Into<PathBuf>) -> Self {
        self.hidden.push(path.into());
        self
    }

    /// The sandbox, when it can run here.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_deref().ok()
    }

    /// Why the sandbox cannot run here, when it cannot.
    pub fn sandbox_error(&self) -> Option<&str> {
        self.sandbox.as_ref().err().map(|e| &**e)
    }

    /// The dependency cache.
    pub fn deps_cache(&self) -> &DepsCache {
        &self.deps
    }

    fn scratch_base(&self) -> PathBuf {
        self.scratch.clone().unwrap_or_else(std::env::temp_dir)
    }

    fn fresh_dir(&self, case_id: &str) -> std::io::Result<PathBuf> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = self.scratch_base();
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

    /// The task's dependency folder: installed now if asked to, else the cache's if ready.
    pub(crate) async fn dependencies(
        &self,
        task: &Task,
        sandbox: &Sandbox,
    ) -> Result<Option<PathBuf>, EvalError> {
        if declared_dependencies(task).is_empty() {
            return Ok(None);
        }
        if !self.install_deps {
            return if self.deps.is_ready(task) {
                Ok(Some(self.deps.dir_for(task)))
            } else {
                Err(EvalError::infrastructure(format!(
                    "task `{}`: its dependencies are not installed (install them with --install-deps)",
                    task.id()
                )))
            };
        }
        let cell = self
            .installs
            .get(task.id())
            .ok_or_else(|| EvalError::new(format!("unknown task `{}`", task.id())))?;
        let installed = cell
            .get_or_init(|| self.deps.install(task, sandbox))
            .await
            .clone();
        installed.map(Some).map_err(|e| {
            EvalError::infrastructure(format!("task `{}`: dependencies: {e}", task.id()))
        })
    }

    /// The task of a case id.
    pub(crate) fn task(&self, id: &str) -> Option<&Arc<Task>> {
        self.tasks.get(id)
    }

    /// The sandbox, or why it cannot run here, as an infrastructure error.
    pub(crate) fn sandbox_or_error(&self) -> Result<Arc<Sandbox>, EvalError> {
        match &self.sandbox {
            Ok(sandbox) => Ok(Arc::clone(sandbox)),
            Err(e) => Err(EvalError::infrastructure(e.to_string())),
        }
    }

    /// A fresh scratch folder for an attempt of `case_id`, removed when the guard drops
    /// unless sandboxes are kept.
    pub(crate) fn scratch_folder(&self, case_id: &str) -> std::io::Result<Cleanup> {
        let dir = self.fresh_dir(case_id)?;
        Ok(Cleanup {
            dir,
            keep: self.keep,
        })
    }

    /// Waits for a slot among the sandboxed commands running at once.
    pub(crate) async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, EvalError> {
        self.permits
            .acquire()
            .await
            .map_err(|e| EvalError::infrastructure(e.to_string()))
    }

    /// Hides from a command what no attempt may see: the catalog, the scratch folders, the
    /// dependency cache, the artifacts and the paths asked for.
    pub(crate) fn confine(
        &self,
        mut command: SandboxCommand,
        task: &Task,
        artifacts: Option<&Path>,
    ) -> SandboxCommand {
        command = command
            .hide(task.dir())
            .hide(&self.catalog_dir)
            .hide(self.scratch_base())
            .hide(self.deps.root());
        if let Some(dir) = artifacts {
            command = command.hide(dir);
        }
        for path in &self.hidden {
            command = command.hide(path);
        }
        command
    }

    /// Tests the workspace at `root/workspace`: copies the tests in at `tests_dir`, runs the
    /// test command in the sandbox with the task's limits and evidence, and reads the
    /// evidence it left.
    pub(crate) async fn run_tests_in(
        &self,
        task: &Task,
        root: &Path,
        sandbox: &Sandbox,
        deps: Option<&Path>,
        artifacts: Option<&Path>,
    ) -> Result<(SandboxOutput, Found), EvalError> {
        let meta = task.metadata();
        let tests_at = safe_relative(&meta.tests_dir)
            .map(|rel| root.join(rel))
            .map_err(|e| EvalError::infrastructure(format!("tests_dir: {e}")))?;
        copy_tree(&task.tests_dir(), &tests_at)
            .map_err(|e| infra(task, "cannot copy the tests", e))?;
        let cwd = if meta.cwd == "." {
            root.to_path_buf()
        } else {
            root.join(safe_relative(&meta.cwd).map_err(|e| EvalError::new(format!("cwd: {e}")))?)
        };
        let limits = task_limits(task);

        // Evidence: a fresh JUnit path where the command asks for one, and a token the
        // driver reads and deletes before it loads the answer.
        let secret = evidence::new_token();
        let junit = meta
            .test_command
            .iter()
            .any(|a| a.contains(JUNIT_PLACEHOLDER))
            .then(|| root.join(format!(".junit-{}.xml", &secret[..16])));
        let argv: Vec<String> = meta
            .test_command
            .iter()
            .map(|a| match &junit {
                Some(path) => a.replace(JUNIT_PLACEHOLDER, &path.display().to_string()),
                None => a.clone(),
            })
            .collect();
        let token = if meta.evidence == Evidence::Token {
            secret.clone()
        } else {
            String::new()
        };
        let mut command = SandboxCommand::new(argv, root).cwd(cwd).limits(limits);
        if !token.is_empty() {
            let file = root.join(format!(".token-{}", &secret[16..]));
            std::fs::write(&file, &token).map_err(|e| infra(task, "cannot write the token", e))?;
            command = command.env(TOKEN_FILE_ENV, file.display().to_string());
        }
        for (key, value) in &meta.env {
            command = command.env(key, value);
        }
        if let Some(dir) = deps {
            let env =
                prepare_attempt(task, dir, root).map_err(|e| infra(task, "dependencies", e))?;
            for (key, value) in env {
                command = command.env(key, value);
            }
            command = command.read_only(dir);
        }
        let command = self.confine(command, task, artifacts);
        let output = sandbox
            .run(&command)
            .await
            .map_err(|e| infra(task, "sandbox", e))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let found = evidence::find(meta.evidence, &stdout, &stderr, &token, junit.as_deref());
        Ok((output, found))
    }
}

/// The limits of a task's commands: its time, memory and process limits.
pub(crate) fn task_limits(task: &Task) -> Limits {
    let meta = task.metadata();
    let mut limits = Limits::default();
    limits.time = Duration::from_secs(meta.time_limit_secs);
    limits.memory_mb = meta.memory_limit_mb;
    limits.max_processes = meta.max_processes.unwrap_or(limits.max_processes);
    limits
}

/// Removes the sandbox folder when the attempt is done.
pub(crate) struct Cleanup {
    dir: PathBuf,
    keep: bool,
}

impl Cleanup {
    /// The folder.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
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

fn infra(task: &Task, what: &str, e: impl std::fmt::Display) -> EvalError {
    EvalError::infrastructure(format!("task `{}`: {what}: {e}", task.id()))
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
        let sandbox = match &self.sandbox {
            Ok(sandbox) => Arc::clone(sandbox),
            Err(e) => return Err(EvalError::infrastructure(e.to_string())),
        };
        let deps = self.dependencies(task, &sandbox).await?;

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
        copy_tree(&task.workspace_dir(), &workspace)
            .map_err(|e| infra(task, "cannot copy the workspace", e))?;

        let sole = task.sole_editable_file();
        let answer = parse_answer(cx.reply, sole.as_deref());
        let report = apply_answer(&workspace, &answer, task.editable());
        write_artifact(artifacts, "patch.diff", report.patch.as_bytes())?;
        let mut details = serde_json::json!({
            "apply": report,
            "sandbox": {
                "isolation": sandbox.isolation(),
                "network_blocked": sandbox.isolation().blocks_network(),
                "cgroups": sandbox.cgroups(),
                "warnings": sandbox.warnings(),
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

        let (output, found) = self
            .run_tests_in(task, &root, &sandbox, deps.as_deref(), artifacts)
            .await?;
        write_artifact(artifacts, "stdout.log", &output.stdout)?;
        write_artifact(artifacts, "stderr.log", &output.stderr)?;

        let verdict = judge(&report, &output, &found, meta.evidence);
        details["run"] = serde_json::json!({
            "passed": verdict.tests_passed,
            "exit_code": output.exit_code,
            "signal": output.signal,
            "limit": output.limit,
            "process_cap_hit": output.process_cap_hit,
            "output_truncated": output.truncated,
            "duration_ms": output.duration.as_millis() as u64,
        });
        details["tests"] = serde_json::to_value(&found.counts).unwrap_or_default();
        details["evidence"] = serde_json::json!({
            "kind": meta.evidence,
            "source": found.source,
            "found": found.counts.is_some(),
            "forged_lines": found.forged_lines,
        });
        Ok(Evaluation::binary(EVALUATOR_NAME, verdict.passed)
            .with_label(verdict.label)
            .with_rationale(verdict.rationale)
            .with_details(details))
    }
}
