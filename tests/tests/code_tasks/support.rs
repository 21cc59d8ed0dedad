//! What the code-task tests share: scripted agents, small catalogs, running a catalog
//! through the engine, reading attempts.

use benchcore::code_task::{
    CodeTaskEpisode, CodeTaskEvaluator, Isolation, Limits, Sandbox, SandboxCommand, TaskCatalog,
};
use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, AttemptQuery, AttemptRecord, Engine,
    MemoryStore, Run, RunStore, Workspace,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The sandbox of a mode; the machine of this project gives every mode.
pub(crate) fn sandbox(mode: Isolation) -> Sandbox {
    Sandbox::new(mode).unwrap_or_else(|e| panic!("{mode}: {e}"))
}

pub(crate) fn sh(script: &str, root: &Path) -> SandboxCommand {
    SandboxCommand::new(vec!["sh".into(), "-c".into(), script.into()], root)
}

pub(crate) fn limits(edit: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    l.time = Duration::from_secs(30);
    edit(&mut l);
    l
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Processes whose command line mentions `marker`.
pub(crate) fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) {
                found.push(format!("{name}: {cmdline}"));
            }
        }
    }
    found
}

/// Makes an answer from the case id and the sample.
type Answerer = Box<dyn Fn(&str, u32) -> String + Send + Sync>;

/// Answers with text made from the case id and the sample.
pub(crate) struct Scripted {
    pub(crate) name: String,
    pub(crate) answer: Answerer,
}

#[async_trait]
impl Agent for Scripted {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let case = request.case.as_ref().map_or("", |c| c.id.as_str());
        Ok(AgentReply::text((self.answer)(case, request.sample)))
    }
}

pub(crate) fn agent(
    name: &str,
    answer: impl Fn(&str, u32) -> String + Send + Sync + 'static,
) -> Arc<dyn Agent> {
    Arc::new(Scripted {
        name: name.to_owned(),
        answer: Box::new(answer),
    })
}

/// An answer that replaces the only editable file with `code`.
pub(crate) fn files_answer(path: &str, code: &str) -> String {
    format!("```python {path}\n{code}\n```\n")
}

pub(crate) fn gold() -> Arc<dyn Agent> {
    Arc::new(benchcore::agent::reference::Gold)
}

pub(crate) fn null() -> Arc<dyn Agent> {
    Arc::new(benchcore::agent::reference::Null)
}

pub(crate) const STARTER: &str =
    "def add(a, b):\n    # TODO\n    return 0\n\n\ndef twice(x):\n    return x * 2\n";

/// A catalog with one Python task `py_add` whose test prints a count line.
pub(crate) fn python_catalog(dir: &Path, test_command: &[&str]) -> PathBuf {
    let task = dir.join("py_add");
    for sub in ["workspace", "tests", "solution"] {
        std::fs::create_dir_all(task.join(sub)).unwrap();
    }
    let meta = serde_json::json!({
        "id": "py_add", "language": "python", "test_command": test_command,
        "time_limit_secs": 30, "editable": ["calc.py"],
    });
    std::fs::write(task.join("metadata.json"), meta.to_string()).unwrap();
    std::fs::write(task.join("instructions.md"), "Make `add` return the sum.\n").unwrap();
    std::fs::write(task.join("workspace/calc.py"), STARTER).unwrap();
    std::fs::write(
        task.join("solution/calc.py"),
        STARTER.replace("    # TODO\n    return 0", "    return a + b"),
    )
    .unwrap();
    std::fs::write(
        task.join("tests/test_calc.py"),
        "import sys\nsys.path.insert(0, 'workspace')\nfrom calc import add, twice\nassert add(2, 3) == 5, add(2, 3)\nassert twice(4) == 8\nprint('2 passed, 0 failed')\n",
    )
    .unwrap();
    dir.to_path_buf()
}

/// A run of a catalog through the engine: the store, the run's id and its attempts.
pub(crate) struct Ran {
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) run_id: String,
    pub(crate) attempts: Vec<AttemptRecord>,
}

impl Ran {
    pub(crate) fn of(&self, agent: &str) -> &AttemptRecord {
        self.attempts
            .iter()
            .find(|a| a.key.agent == agent)
            .unwrap_or_else(|| panic!("no attempt of {agent}"))
    }
}

/// Runs a catalog with the evaluator `evaluator` makes from it.
pub(crate) async fn run_with(
    catalog_dir: &Path,
    agents: Vec<Arc<dyn Agent>>,
    samples: u32,
    artifacts: &Path,
    evaluator: impl FnOnce(&TaskCatalog) -> CodeTaskEvaluator,
) -> Ran {
    let catalog = TaskCatalog::open(catalog_dir).unwrap();
    let evaluator = evaluator(&catalog);
    let mut run = Run::new(catalog)
        .episode(CodeTaskEpisode)
        .evaluator(evaluator)
        .samples(samples)
        .artifacts_dir(artifacts);
    for agent in agents {
        run = run.agent_with(agent, serde_json::Value::Null, Default::default());
    }
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let attempts = store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await
        .unwrap();
    Ran {
        store,
        run_id: report.run_id,
        attempts,
    }
}

/// Runs a catalog in the default sandbox.
pub(crate) async fn run_catalog(
    catalog_dir: &Path,
    agents: Vec<Arc<dyn Agent>>,
    samples: u32,
    artifacts: &Path,
) -> Ran {
    run_with(catalog_dir, agents, samples, artifacts, |c| {
        CodeTaskEvaluator::new_with_sandbox(c, sandbox(Isolation::Namespaces))
    })
    .await
}

pub(crate) fn details(a: &AttemptRecord) -> &serde_json::Value {
    &a.evaluations[0].details
}

pub(crate) fn label(a: &AttemptRecord) -> &str {
    a.evaluations[0].label.as_deref().unwrap_or("")
}

pub(crate) fn rationale(a: &AttemptRecord) -> &str {
    a.evaluations[0].rationale.as_deref().unwrap_or("")
}

/// An attempt's stdout.log.
pub(crate) fn stdout_log(a: &AttemptRecord) -> String {
    let dir = a.artifacts_dir.as_deref().expect("an artifacts folder");
    std::fs::read_to_string(Path::new(dir).join("stdout.log")).unwrap_or_default()
}
