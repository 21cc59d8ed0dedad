//! Code tasks in agent mode end to end: an OpenAI-compatible agent over loopback HTTP works
//! on its own copy of a real task's workspace with sandboxed tools (`read_file`,
//! `write_file`, `apply_patch`, `bash`, `run_tests`); the final workspace, as a diff, is
//! judged by the task's own tests exactly as a one-shot answer is; hostile calls are error
//! results the model reads, and the catalog is never touched.

use benchcore::code_task::{
    CodeTaskAgentEpisode, CodeTaskEvaluator, CodeTaskKind, CodeTaskMode, CodeTaskSettings,
    Isolation, PromptOptions, Sandbox, TaskCatalog,
};
use benchcore::kind::SuiteKinds;
use benchcore::tools::LoopLimits;
use benchcore::{
    AttemptQuery, AttemptRecord, Ending, Engine, MemoryStore, Outcome, Run, RunSpec, RunStore,
    Speaker, Turn, Workspace,
};
use benchcore_providers::{AgentConfig, OpenAiCompatConfig, ProviderFactory};
use benchcore_tests::servers::{OpenAiServer, Scripted, ScriptedCall, ServerConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const TASK: &str = "py_roman_numerals";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// A catalog holding a copy of the example task, so a test can prove it is left unchanged.
fn catalog(dir: &Path) -> PathBuf {
    let catalog = dir.join("tasks");
    copy_dir(
        &repo().join("examples/tasks").join(TASK),
        &catalog.join(TASK),
    );
    catalog
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                out.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

fn solution() -> String {
    std::fs::read_to_string(
        repo()
            .join("examples/tasks")
            .join(TASK)
            .join("solution/roman.py"),
    )
    .unwrap()
}

fn call(id: &str, name: &str, args: Value) -> ScriptedCall {
    ScriptedCall::new(id, name, args.to_string())
}

fn calls(text: &str, calls: Vec<ScriptedCall>) -> Scripted {
    Scripted::ToolCalls {
        text: text.into(),
        calls,
    }
}

struct Played {
    record: AttemptRecord,
    artifacts: PathBuf,
    scratch: PathBuf,
    catalog: PathBuf,
    catalog_before: BTreeMap<PathBuf, Vec<u8>>,
    _dir: tempfile::TempDir,
}

impl Played {
    /// The tool turn answering `call_id`.
    fn result(&self, call_id: &str) -> &Turn {
        self.record
            .transcript
            .turns
            .iter()
            .find(|t| t.speaker == Speaker::Tool && t.tool_call_id.as_deref() == Some(call_id))
            .unwrap_or_else(|| panic!("no result for {call_id}: {:?}", self.record.transcript))
    }

    fn label(&self) -> &str {
        self.record.evaluations[0].label.as_deref().unwrap_or("")
    }
}

/// Runs the task once in agent mode with an agent that answers `script`.
async fn play(script: Vec<Scripted>) -> Played {
    let dir = tempfile::tempdir().unwrap();
    let catalog_dir = catalog(dir.path());
    let catalog_before = snapshot(&catalog_dir);
    let scratch = dir.path().join("scratch");
    let artifacts = dir.path().join("runs");
    let server = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    server.push_script(script);
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .build()
        .unwrap();
    let options = PromptOptions::default().with_mode(CodeTaskMode::Agent);
    let catalog = TaskCatalog::open_with(&catalog_dir, options).unwrap();
    let sandbox = Sandbox::new(Isolation::Namespaces).unwrap_or_else(|e| panic!("sandbox: {e}"));
    let evaluator =
        CodeTaskEvaluator::new_with_sandbox(&catalog, sandbox).with_scratch_dir(&scratch);
    let episode = CodeTaskAgentEpisode::new(evaluator.clone())
        .with_limits(LoopLimits::default().with_max_steps(6));
    let run = Run::new(catalog)
        .agent(agent)
        .episode(episode)
        .evaluator(evaluator)
        .artifacts_dir(&artifacts);
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let mut records = store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await
        .unwrap();
    server.stop().await;
    assert_eq!(records.len(), 1);
    let record = records.remove(0);
    let folder = PathBuf::from(record.artifacts_dir.clone().expect("an artifacts folder"));
    Played {
        record,
        artifacts: folder,
        scratch,
        catalog: catalog_dir,
        catalog_before,
        _dir: dir,
    }
}

fn have_python() -> bool {
    benchcore_tests::require_tool("python3", "python3")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_reads_fixes_and_tests_passes_with_the_tasks_own_tests() {
    if !have_python() {
        return;
    }
    let played = play(vec![
        calls(
            "Let me look.",
            vec![call("c1", "read_file", json!({"path": "roman.py"}))],
        ),
        calls(
            "",
            vec![call(
                "c2",
                "write_file",
                json!({"path": "roman.py", "content": solution()}),
            )],
        ),
        calls("", vec![call("c3", "run_tests", json!({}))]),
        Scripted::reply("Done: both conversions are implemented."),
    ])
    .await;
    let record = &played.record;
    assert_eq!(
        (record.outcome, played.label()),
        (Outcome::Passed, "passed"),
        "{:?}",
        record.evaluations
    );
    let read = played.result("c1");
    assert!(
        !read.is_error && read.text.contains("raise NotImplementedError"),
        "{read:?}"
    );
    let wrote = played.result("c2");
    assert_eq!(
        (wrote.text.as_str(), wrote.is_error),
        ("done: modify roman.py", false)
    );
    let tested = played.result("c3");
    assert!(
        !tested.is_error && tested.text.starts_with("passed:"),
        "{tested:?}"
    );
    // The reply judged is the workspace's diff, not the agent's closing words.
    assert!(
        record.reply().contains("+++ b/roman.py"),
        "{}",
        record.reply()
    );
    assert!(!record.reply().contains("Done: both"));
    let diff = std::fs::read_to_string(played.artifacts.join("final.diff")).unwrap();
    assert!(diff.contains("+_VALUES = ["), "{diff}");
    let trajectory: Value =
        serde_json::from_slice(&std::fs::read(played.artifacts.join("trajectory.json")).unwrap())
            .unwrap();
    assert_eq!(trajectory["task"], TASK);
    assert_eq!(trajectory["final"]["files"], json!(["roman.py"]));
    let steps = trajectory["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["tool_call_id"] == "c3"), "{steps:?}");
    for file in ["prompt.txt", "response.txt", "patch.diff", "stdout.log"] {
        assert!(played.artifacts.join(file).exists(), "{file} missing");
    }
    let prompt = std::fs::read_to_string(played.artifacts.join("prompt.txt")).unwrap();
    assert!(
        prompt.contains("run_tests") && !prompt.contains("## Answer format"),
        "{prompt}"
    );
    assert!(
        std::fs::read_dir(&played.scratch).unwrap().next().is_none(),
        "the scratch folders are removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_changes_nothing_fails_as_the_null_answer_does() {
    if !have_python() {
        return;
    }
    let played = play(vec![Scripted::reply(
        "```python roman.py\nprint('this text is never applied')\n```",
    )])
    .await;
    assert_eq!(
        (played.record.outcome, played.label()),
        (Outcome::Failed, "no_code")
    );
    let details = &played.record.evaluations[0].details;
    assert_eq!(
        details["run"]["passed"], false,
        "the starter ran and failed"
    );
    assert_eq!(played.record.reply(), "");
    assert_eq!(
        std::fs::read_to_string(played.artifacts.join("final.diff")).unwrap(),
        ""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_calls_are_error_results_and_the_catalog_is_untouched() {
    if !have_python() {
        return;
    }
    let played = play(vec![
        calls(
            "Let me try a few things.",
            vec![
                call("h1", "read_file", json!({"path": "../../etc/passwd"})),
                call("h2", "read_file", json!({"path": "/etc/passwd"})),
                call(
                    "h3",
                    "write_file",
                    json!({"path": "tests/test_x.py", "content": "print('1 passed')\n"}),
                ),
                call("h4", "bash", json!({"command": "curl -sS -m 5 http://example.com"})),
                call(
                    "h5",
                    "bash",
                    json!({"command": "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)\""}),
                ),
                call(
                    "h6",
                    "apply_patch",
                    json!({"diff": "--- a/../x.py\n+++ b/../x.py\n@@ -0,0 +1 @@\n+x = 1\n"}),
                ),
                call("h7", "bash", json!({"command": "yes | head -c 100000"})),
                call("h8a", "bash", json!({"command": "ln -s /etc outside"})),
                call("h8", "read_file", json!({"path": "outside/passwd"})),
                call("h9", "write_file", json!({"path": "roman.py"})),
            ],
        ),
        calls(
            "",
            vec![
                call(
                    "ok1",
                    "write_file",
                    json!({"path": "roman.py", "content": solution()}),
                ),
                call(
                    "ok3",
                    "apply_patch",
                    json!({"diff": "--- a/roman.py\n+++ b/roman.py\n@@ -1,3 +1,3 @@\n-\"\"\"Roman numerals.\"\"\"\n+\"\"\"Roman numerals, both ways.\"\"\"\n \n _VALUES = [\n"}),
                ),
                call(
                    "ok2",
                    "bash",
                    json!({"command": "python3 -c 'import roman; print(roman.to_roman(1994))'"}),
                ),
            ],
        ),
        Scripted::reply("done"),
    ])
    .await;
    let error = |id: &str, needle: &str| {
        let turn = played.result(id);
        assert!(turn.is_error, "{id} should fail: {turn:?}");
        assert!(turn.text.contains(needle), "{id}: {}", turn.text);
    };
    error("h1", "`..` would leave the workspace");
    error("h2", "absolute path");
    error("h3", "not among the files the task lets an answer change");
    error("h4", "exit status");
    error("h5", "exit status");
    error("h6", "refused, nothing written");
    error("h8", "goes through the symbolic link `outside`");
    error("h9", "`content` (a string) is required");
    let long = played.result("h7");
    assert!(
        !long.is_error && long.text.contains("output truncated"),
        "{long:?}"
    );
    assert!(long.text.len() < 10_000, "{}", long.text.len());
    let patched = played.result("ok3");
    assert_eq!(
        (patched.text.as_str(), patched.is_error),
        ("done: modify roman.py", false)
    );
    let ran = played.result("ok2");
    assert!(!ran.is_error && ran.text.contains("MCMXCIV"), "{ran:?}");
    // The attempt went on and passed; nothing reached the catalog.
    assert_eq!(
        played.record.outcome,
        Outcome::Passed,
        "{:?}",
        played.record
    );
    assert_eq!(snapshot(&played.catalog), played.catalog_before);
    // Python's byte code, written by `bash`, is left out of the answer.
    let diff = std::fs::read_to_string(played.artifacts.join("final.diff")).unwrap();
    assert!(
        diff.contains("+\"\"\"Roman numerals, both ways.\"\"\"") && !diff.contains("__pycache__"),
        "{diff}"
    );
    let trajectory: Value =
        serde_json::from_slice(&std::fs::read(played.artifacts.join("trajectory.json")).unwrap())
            .unwrap();
    let left_out = trajectory["final"]["left_out"].as_array().unwrap();
    assert!(
        left_out
            .iter()
            .all(|l| l["path"].as_str().unwrap().starts_with("__pycache__/")),
        "{left_out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_in_agent_mode_rebuilds_the_agent_loop_with_its_step_limit() {
    if !have_python() {
        return;
    }
    // What `benchcore run --mode agent --max-steps 1` records, and `resume` rebuilds from.
    let dir = tempfile::tempdir().unwrap();
    let catalog_dir = catalog(dir.path());
    let server = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    server.push_script(vec![
        calls(
            "",
            vec![call(
                "w1",
                "write_file",
                json!({"path": "roman.py", "content": solution()}),
            )],
        ),
        Scripted::reply("never asked: the step limit ends the loop first"),
    ]);
    let options = PromptOptions::default()
        .with_mode(CodeTaskMode::Agent)
        .with_max_steps(1);
    let mut spec = RunSpec::for_suite(&catalog_dir);
    spec.tags = json!({ "code_task": options.to_json() });
    assert_eq!(
        spec.tags["code_task"],
        json!({"mode": "agent", "max_steps": 1})
    );
    let agent =
        AgentConfig::parse_spec(&format!("openai_compatible:m@{}", server.base_url())).unwrap();
    spec = spec.with_agent_config(agent.to_stored());
    let kinds =
        SuiteKinds::builtin().register(Arc::new(CodeTaskKind::new(CodeTaskSettings::default())));
    let run = Run::from_spec_in(spec, &ProviderFactory::new(), &kinds).unwrap();
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let records = store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await
        .unwrap();
    let record = &records[0];
    assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
    assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
    assert_eq!(server.requests().len(), 1, "one model reply at most");
    let tools = server.requests()[0]["tools"].as_array().unwrap().len();
    assert_eq!(tools, benchcore::code_task::AGENT_TOOLS.len());
    server.stop().await;
}
