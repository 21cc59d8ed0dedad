//! Code tasks through the `benchcore` binary: the bundled catalog validated by gold and
//! null (tasks whose toolchain is missing skipped), dry runs, catalog checks, HumanEval
//! import, the task schema and the leaderboard; the sandbox modes, `doctor`, hostile answers
//! and skipped dependencies in `sandbox`.

mod sandbox;

use benchcore_tests::servers::openai::{OpenAiServer, ServerConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch folder to run the binary in, with its own SQLite store.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_benchcore"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env(
                "BENCHCORE_STORE",
                format!("sqlite://{}", self.path("runs.db").display()),
            )
            .env_remove("BENCHCORE_WORKSPACE")
            .env_remove("OPENAI_API_KEY")
            .env_remove("BENCHCORE_SANDBOX")
            .env("XDG_CACHE_HOME", self.path("cache"))
            .stdin(Stdio::null());
        cmd
    }

    /// A catalog with one Python task whose tests print the environment.
    fn python_task(&self, starter_passes: bool) -> PathBuf {
        let root = self.path("tasks");
        let task = root.join("py_env");
        for sub in ["workspace", "tests", "solution"] {
            std::fs::create_dir_all(task.join(sub)).unwrap();
        }
        std::fs::write(
            task.join("metadata.json"),
            r#"{"id": "py_env", "language": "python", "test_command": ["python3", "tests/test_env.py"], "editable": ["value.py"]}"#,
        )
        .unwrap();
        std::fs::write(task.join("instructions.md"), "Set VALUE to 42.\n").unwrap();
        let starter = if starter_passes {
            "VALUE = 42\n"
        } else {
            "VALUE = 0\n"
        };
        std::fs::write(task.join("workspace/value.py"), starter).unwrap();
        std::fs::write(task.join("solution/value.py"), "VALUE = 42\n").unwrap();
        std::fs::write(
            task.join("tests/test_env.py"),
            "import os, sys\nsys.path.insert(0, 'workspace')\nfor k, v in sorted(os.environ.items()):\n    print(f'{k}={v}')\nfrom value import VALUE\nassert VALUE == 42\nprint('1 passed, 0 failed')\n",
        )
        .unwrap();
        root
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn files_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn gold_and_null_validate_the_bundled_catalog() {
    let scratch = Scratch::new();
    let catalog = repo().join("examples/tasks");
    let out = scratch.run(&[
        "run",
        catalog.to_str().unwrap(),
        "--agent",
        "gold",
        "--agent",
        "null",
        "--out",
        "runs",
        "-q",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // A task whose toolchain is missing is listed once as skipped, naming its package, and is
    // no catalog failure (under CI every toolchain must be there).
    benchcore_tests::require_tool("go", "golang-go");
    let bundled = benchcore::code_task::TaskCatalog::open(&catalog).unwrap();
    let mut runnable = 0;
    for task in bundled.tasks() {
        match benchcore::code_task::missing_toolchain(task) {
            Some(why) => {
                let line = format!("skipped {}: {why}\n", task.id());
                assert_eq!(stderr.matches(&line).count(), 1, "{line}{stderr}");
            }
            None => runnable += 1,
        }
    }
    assert!(
        stdout.contains(&format!(
            "catalog check: ok, each of the {runnable} tasks fails as shipped and passes with its gold answer"
        )),
        "{stdout}"
    );
    if benchcore::code_task::find_program("go").is_none() {
        assert!(
            stderr.contains("skipped go_wordcount: `go` not found on PATH (install golang-go)"),
            "{stderr}"
        );
        assert!(stdout.contains("(2 skipped: listed above)"), "{stdout}");
    }
    assert!(stdout.contains("pass@1"), "{stdout}");
    let runs = scratch.path("runs");
    let latest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runs.join("latest_summary.json")).unwrap()).unwrap();
    let run_id = latest["run_id"].as_str().unwrap().to_owned();
    assert!(runs.join(&run_id).join("summary.json").is_file());
    assert_eq!(latest["agents"][0]["pass_at_1"], 1.0);
    assert_eq!(latest["agents"][1]["pass_at_1"], 0.0);
    let attempts = latest["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2 * runnable);
    for attempt in attempts {
        let dir = scratch.path(attempt["artifacts_dir"].as_str().unwrap());
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            name,
            format!(
                "{}__{}__sample00",
                attempt["task"].as_str().unwrap(),
                attempt["agent"].as_str().unwrap()
            )
        );
        assert_eq!(dir.parent().unwrap(), runs.join(&run_id));
        for file in [
            "prompt.txt",
            "response.txt",
            "patch.diff",
            "stdout.log",
            "stderr.log",
        ] {
            assert!(dir.join(file).is_file(), "{}/{file}", dir.display());
        }
    }
}

#[test]
fn a_task_that_passes_as_shipped_fails_the_catalog_check() {
    let scratch = Scratch::new();
    let catalog = scratch.python_task(true);
    let out = scratch.run(&[
        "run",
        catalog.to_str().unwrap(),
        "-a",
        "gold",
        "-a",
        "null",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("catalog check: FAILED"), "{stdout}");
    assert!(stdout.contains("py_env: passes as shipped"), "{stdout}");
}

#[test]
fn secrets_never_reach_the_test_command() {
    let scratch = Scratch::new();
    let catalog = scratch.python_task(false);
    let out = scratch
        .command(&[
            "run",
            catalog.to_str().unwrap(),
            "-a",
            "gold",
            "--out",
            "runs",
            "-q",
        ])
        .env("OPENAI_API_KEY", "sk-secret-never-shown")
        .env("ANTHROPIC_API_KEY", "sk-ant-secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let logs = files_named(&scratch.path("runs"), "stdout.log");
    assert_eq!(logs.len(), 1);
    let env = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(env.contains("PATH="), "{env}");
    assert!(
        !env.contains("sk-secret") && !env.contains("API_KEY"),
        "{env}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_every_prompt_and_calls_no_model() {
    let server = OpenAiServer::start(ServerConfig {
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let scratch = Scratch::new();
    let catalog = repo().join("examples/tasks");
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = scratch.run(&[
        "run",
        catalog.to_str().unwrap(),
        "-a",
        &agent,
        "-a",
        "openai:gpt-4o-mini",
        "--dry-run",
        "--include-tests",
        "--answer-format",
        "diff",
        "--out",
        "runs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no model was called"));
    let prompts = files_named(&scratch.path("runs"), "prompt.txt");
    assert_eq!(prompts.len(), 32, "16 tasks × 2 agents");
    let prompt = prompts
        .iter()
        .find(|p| p.to_string_lossy().contains("py_lru_cache__m__sample00"))
        .expect("the prompt of py_lru_cache for agent m");
    let prompt = std::fs::read_to_string(prompt).unwrap();
    assert!(
        prompt.contains("## Tests") && prompt.contains("test_lru.py"),
        "{prompt}"
    );
    assert!(prompt.contains("unified diff"), "{prompt}");
    assert!(
        !prompt.contains("OrderedDict"),
        "the solution is never shown"
    );
    assert!(server.requests().is_empty(), "a dry run sent a request");
    assert!(
        !scratch.path("runs.db").exists(),
        "a dry run stores nothing"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_http_agent_is_tested_and_its_tokens_recorded() {
    // The loopback server echoes the prompt: its workspace files come back unchanged, so
    // the answer applies and the tests run and fail.
    let server = OpenAiServer::start(ServerConfig {
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let scratch = Scratch::new();
    let catalog = scratch.python_task(false);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = scratch.run(&[
        "run",
        catalog.to_str().unwrap(),
        "-a",
        &agent,
        "--out",
        "runs",
        "--json",
        "--temperature",
        "0.2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scratch.path("runs/latest_summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["temperature"], 0.2);
    let attempt = &summary["attempts"][0];
    assert_eq!(attempt["outcome"], "failed");
    assert_eq!(attempt["label"], "tests_failed");
    assert!(attempt["input_tokens"].as_u64().unwrap() > 0);
    assert_eq!(server.requests().len(), 1);
    server.stop().await;
}

#[test]
fn tasks_check_names_each_problem_and_its_file() {
    let scratch = Scratch::new();
    let clean = scratch.run(&[
        "tasks",
        "check",
        repo().join("examples/tasks").to_str().unwrap(),
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
    assert!(text(&clean.stdout).contains("16 task folder(s), 0 error(s), 0 warning(s)"));

    let catalog = scratch.python_task(false);
    std::fs::write(
        catalog.join("py_env/metadata.json"),
        "{\"id\": \"py_env\", \"language\": \"python\",\n \"test_command\": [\"python3\"], \"memory\": 5}",
    )
    .unwrap();
    std::fs::remove_file(catalog.join("py_env/instructions.md")).unwrap();
    let out = scratch.run(&["tasks", "check", catalog.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("py_env/metadata.json:2: error: unknown field `memory`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("py_env/instructions.md: error: cannot read"),
        "{stdout}"
    );
    let json = scratch.run(&["tasks", "check", catalog.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["errors"], 2);
}

#[test]
fn humaneval_import_then_gold_and_null() {
    // Problems whose tests call helpers the prompt defines (as HumanEval/32, /38, /50 do).
    let scratch = Scratch::new();
    let jsonl = repo().join("tests/data/humaneval_sample.jsonl");
    let out = scratch.run(&[
        "tasks",
        "import",
        "humaneval",
        jsonl.to_str().unwrap(),
        "--out",
        "he",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("imported 5 HumanEval problems"));
    assert!(scratch.path("he/sample_0/solution/solution.py").is_file());
    let run = scratch.run(&["run", "he", "-a", "gold", "-a", "null", "-q", "-j", "2"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("catalog check: ok, each of the 5 tasks"),
        "{}",
        text(&run.stdout)
    );
}

#[test]
fn the_task_schema_describes_metadata_json() {
    let out = Scratch::new().run(&["schema", "task"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    for field in [
        "id",
        "language",
        "test_command",
        "time_limit_secs",
        "memory_limit_mb",
        "tags",
        "difficulty",
        "editable",
    ] {
        assert!(
            schema["properties"][field]["description"].is_string(),
            "{field}: {schema}"
        );
    }
}

#[test]
fn the_leaderboard_shows_each_agents_best_run() {
    let scratch = Scratch::new();
    let questions = repo().join("examples/questions/arithmetic.jsonl");
    let q = questions.to_str().unwrap();
    let first = scratch.run(&[
        "run", q, "-a", "gold", "-a", "null", "--eval", "numeric", "--json", "-q",
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let second = scratch.run(&["run", q, "-a", "null", "--eval", "numeric", "--json", "-q"]);
    let second: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();

    let out = scratch.run(&["leaderboard", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let board: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(board[0]["agent"], "gold");
    assert_eq!(board[0]["accuracy"], 1.0);
    assert_eq!(board[0]["run_id"], first["run_id"]);
    assert_eq!(board[1]["agent"], "null");
    assert_eq!(board[1]["runs"], 2);
    assert_eq!(
        board[1]["run_id"], second["run_id"],
        "a tie goes to the newer run"
    );

    let table = text(
        &scratch
            .run(&["leaderboard", "--suite", "arithmetic"])
            .stdout,
    );
    assert!(
        table.lines().next().unwrap().contains("accuracy"),
        "{table}"
    );
    assert!(
        table.contains("gold") && table.contains("100.0%"),
        "{table}"
    );
    let none = scratch.run(&["leaderboard", "--suite", "nothing", "--json"]);
    assert_eq!(text(&none.stdout).trim(), "[]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_mode_plays_a_loop_whose_final_workspace_is_judged() {
    use benchcore_tests::servers::{Scripted, ScriptedCall};
    let server = OpenAiServer::start(ServerConfig {
        record_requests: true,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    server.push_script(vec![
        Scripted::ToolCalls {
            text: String::new(),
            calls: vec![ScriptedCall::new(
                "c1",
                "write_file",
                r#"{"path": "value.py", "content": "VALUE = 42\n"}"#,
            )],
        },
        Scripted::reply("VALUE is 42 now."),
    ]);
    let scratch = Scratch::new();
    let catalog = scratch.python_task(false);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = scratch.run(&[
        "run",
        catalog.to_str().unwrap(),
        "-a",
        &agent,
        "-a",
        "gold",
        "--mode",
        "agent",
        "--max-steps",
        "4",
        "--out",
        "runs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("catalog check"),
        "gold answers in text, which agent mode never applies: {}",
        text(&out.stdout)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scratch.path("runs/latest_summary.json")).unwrap())
            .unwrap();
    let outcome = |agent: &str| {
        summary["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agent"] == agent)
            .map(|a| a["outcome"].clone())
    };
    assert_eq!(outcome("m").unwrap(), "passed", "{summary}");
    assert_eq!(outcome("gold").unwrap(), "failed", "{summary}");
    let diff: Vec<PathBuf> = files_named(&scratch.path("runs"), "final.diff")
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("__m__"))
        .collect();
    assert_eq!(diff.len(), 1);
    assert!(std::fs::read_to_string(&diff[0])
        .unwrap()
        .contains("+VALUE = 42"));
    assert_eq!(
        files_named(&scratch.path("runs"), "trajectory.json").len(),
        2
    );
    assert_eq!(server.requests().len(), 2);
    assert!(server.requests()[0]["tools"].is_array());
    assert_eq!(
        std::fs::read_to_string(catalog.join("py_env/workspace/value.py")).unwrap(),
        "VALUE = 0\n",
        "the catalog is never changed"
    );
    server.stop().await;
}
