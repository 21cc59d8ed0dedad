//! Code tasks end to end: the sandbox's limits on real processes, answers applied through
//! the patch fallback chain, artifacts, pass@k, the bundled catalog and HumanEval import.

use benchcore::code_task::{
    import_humaneval, CodeTaskEpisode, CodeTaskEvaluator, CodeTaskSummary, Isolation, LimitHit,
    Limits, Sandbox, SandboxCommand, SandboxError, Severity, TaskCatalog,
};
use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, AttemptQuery, AttemptRecord, Engine,
    MemoryStore, Outcome, Run, RunStore, Workspace,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// The sandbox

/// Every isolation that works on this machine, `None` always among them.
fn isolations() -> Vec<Isolation> {
    let best = Sandbox::detect().isolation();
    let mut out = vec![Isolation::None];
    if best != Isolation::None {
        out.push(Isolation::Namespaces);
    }
    if best == Isolation::Bubblewrap {
        out.push(Isolation::Bubblewrap);
    }
    out
}

fn sh(script: &str, root: &Path) -> SandboxCommand {
    SandboxCommand::new(vec!["sh".into(), "-c".into(), script.into()], root)
}

fn limits(edit: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    l.time = Duration::from_secs(30);
    edit(&mut l);
    l
}

/// Processes whose command line mentions `marker`.
fn processes_with(marker: &str) -> Vec<String> {
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

#[tokio::test]
async fn every_available_isolation_runs_commands_and_reports_exit_codes() {
    for isolation in isolations() {
        let dir = tempfile::tempdir().unwrap();
        let out = Sandbox::with_isolation(isolation)
            .run(&sh(
                "echo out; echo err >&2; echo made > f.txt; exit 3",
                dir.path(),
            ))
            .await
            .unwrap();
        assert_eq!(out.exit_code, Some(3), "{isolation:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "out\n",
            "{isolation:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "err\n",
            "{isolation:?}"
        );
        assert_eq!(out.isolation, isolation);
        assert!(
            dir.path().join("f.txt").exists(),
            "{isolation:?}: the folder is writable"
        );
        assert!(!out.passed());
    }
}

#[tokio::test]
async fn a_loop_forever_is_stopped_at_the_time_limit() {
    for isolation in isolations() {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("loop-{}", fastrand::u64(..));
        let cmd = sh(&format!("while :; do :; done # {marker}"), dir.path())
            .limits(limits(|l| l.time = Duration::from_secs(1)));
        let out = Sandbox::with_isolation(isolation).run(&cmd).await.unwrap();
        assert_eq!(out.limit, Some(LimitHit::Time), "{isolation:?}");
        assert_eq!(out.exit_code, None);
        assert!(
            processes_with(&marker).is_empty(),
            "{isolation:?}: {:?}",
            processes_with(&marker)
        );
    }
}

#[tokio::test]
async fn the_memory_limit_stops_a_large_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::detect();
    let alloc = |mb: u32| {
        sh(
            &format!("python3 -c 'b = bytearray({mb} * 1024 * 1024); print(len(b))'"),
            dir.path(),
        )
        .limits(limits(|l| l.memory_mb = 256))
    };
    let small = sandbox.run(&alloc(32)).await.unwrap();
    assert!(
        small.passed(),
        "32 MiB fits in 256: {}",
        String::from_utf8_lossy(&small.stderr)
    );
    let big = sandbox.run(&alloc(1024)).await.unwrap();
    assert!(!big.passed());
    assert!(
        String::from_utf8_lossy(&big.stderr).contains("MemoryError"),
        "{}",
        String::from_utf8_lossy(&big.stderr)
    );
}

#[tokio::test]
async fn a_fork_bomb_is_capped_and_nothing_of_it_survives() {
    let sandbox = Sandbox::detect();
    if !sandbox.enforces_process_limit() {
        // Without a process cap a fork bomb would exhaust this machine's process table.
        println!("skipped: no process cap here ({:?})", sandbox.warnings());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("bomb{}", fastrand::u64(..));
    std::fs::write(
        dir.path().join(format!("{marker}.sh")),
        "bomb() { bomb | bomb & }; bomb; wait\n",
    )
    .unwrap();
    let cmd = SandboxCommand::new(vec!["sh".into(), format!("{marker}.sh")], dir.path()).limits(
        limits(|l| {
            l.time = Duration::from_secs(3);
            l.max_processes = 64;
        }),
    );
    let out = sandbox.run(&cmd).await.unwrap();
    assert!(out.process_cap_hit, "the cap refused forks: {out:?}");
    assert!(
        processes_with(&marker).is_empty(),
        "{:?}",
        processes_with(&marker)
    );
}

#[tokio::test]
async fn a_background_process_does_not_outlive_the_command() {
    for isolation in isolations() {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("bg{}", fastrand::u64(..));
        let script = dir.path().join(format!("{marker}.sh"));
        std::fs::write(&script, "sleep 300\n").unwrap();
        // One child stays in the group; another leaves it with setsid.
        let cmd = sh(
            &format!(
                "sh {0} & setsid sh {0} & echo started; exit 0",
                script.display()
            ),
            dir.path(),
        )
        .limits(limits(|l| l.time = Duration::from_secs(20)));
        let out = Sandbox::with_isolation(isolation).run(&cmd).await.unwrap();
        assert_eq!(out.exit_code, Some(0), "{isolation:?}: {out:?}");
        assert_eq!(
            out.limit, None,
            "{isolation:?}: ended with the command, not the time limit"
        );
        assert!(
            processes_with(&marker).is_empty(),
            "{isolation:?}: {:?}",
            processes_with(&marker)
        );
    }
}

#[tokio::test]
async fn filling_the_disk_is_stopped_by_the_file_and_disk_limits() {
    let sandbox = Sandbox::detect();
    let dir = tempfile::tempdir().unwrap();
    let one_file = sh("yes > big.txt", dir.path()).limits(limits(|l| l.max_file_mb = 1));
    let out = sandbox.run(&one_file).await.unwrap();
    assert!(!out.passed());
    let size = std::fs::metadata(dir.path().join("big.txt")).unwrap().len();
    assert!(size <= 1 << 20, "big.txt grew to {size} bytes");

    let dir = tempfile::tempdir().unwrap();
    let many = sh(
        "i=0; while :; do head -c 524288 /dev/zero > f$i; i=$((i+1)); done",
        dir.path(),
    )
    .limits(limits(|l| {
        l.max_file_mb = 1;
        l.max_disk_mb = 8;
    }));
    let out = sandbox.run(&many).await.unwrap();
    assert_eq!(out.limit, Some(LimitHit::Disk));
}

#[tokio::test]
async fn an_output_flood_is_cut_at_the_output_limit() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = sh("yes flood", dir.path()).limits(limits(|l| l.max_output_bytes = 64 * 1024));
    let out = Sandbox::detect().run(&cmd).await.unwrap();
    assert_eq!(out.limit, Some(LimitHit::Output));
    assert!(out.truncated);
    assert_eq!(out.stdout.len(), 64 * 1024);
}

#[tokio::test]
async fn the_network_is_refused_where_isolation_is_available() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')\""
    );
    for isolation in isolations() {
        let dir = tempfile::tempdir().unwrap();
        let out = Sandbox::with_isolation(isolation)
            .run(&sh(&script, dir.path()))
            .await
            .unwrap();
        if isolation.blocks_network() {
            assert!(!out.passed(), "{isolation:?} reached the host's loopback");
        } else {
            assert!(
                out.passed(),
                "without isolation the connection works: {out:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_environment_is_scrubbed() {
    assert!(
        std::env::var("CARGO_PKG_NAME").is_ok(),
        "cargo sets CARGO_PKG_NAME for tests"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = Sandbox::detect()
        .run(&sh("env", dir.path()).env("TASK_SETTING", "1"))
        .await
        .unwrap();
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(!env.contains("CARGO_PKG_NAME"), "{env}");
    assert!(env.contains("TASK_SETTING=1"));
    let home = format!("HOME={}", dir.path().join(".home").display());
    assert!(env.lines().any(|l| l == home), "{env}");
}

#[tokio::test]
async fn a_missing_program_is_a_sandbox_error() {
    let dir = tempfile::tempdir().unwrap();
    let cmd = SandboxCommand::new(vec!["no-such-program-xyz".into()], dir.path());
    match Sandbox::detect().run(&cmd).await {
        Err(SandboxError::NotFound(p)) => assert_eq!(p, "no-such-program-xyz"),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Tasks through the engine

/// Answers with fixed text per case (the same for every sample), or by sample parity.
struct Scripted {
    name: &'static str,
    answer: fn(&str, u32) -> String,
}

#[async_trait]
impl Agent for Scripted {
    fn name(&self) -> &str {
        self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let case = request.case.as_ref().map_or("", |c| c.id.as_str());
        Ok(AgentReply::text((self.answer)(case, request.sample)))
    }
}

const STARTER: &str =
    "def add(a, b):\n    # TODO\n    return 0\n\n\ndef twice(x):\n    return x * 2\n";

/// A catalog with one Python task `py_add` (and optionally more by name).
fn python_catalog(dir: &Path, test_command: &[&str]) -> PathBuf {
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

async fn run_catalog(
    catalog_dir: &Path,
    agents: Vec<Arc<dyn Agent>>,
    samples: u32,
    artifacts: &Path,
) -> (Arc<dyn RunStore>, String, Vec<AttemptRecord>) {
    let catalog = TaskCatalog::open(catalog_dir).unwrap();
    let evaluator = CodeTaskEvaluator::new(&catalog);
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
    (store, report.run_id, attempts)
}

fn details(a: &AttemptRecord) -> &serde_json::Value {
    &a.evaluations[0].details
}

fn label(a: &AttemptRecord) -> &str {
    a.evaluations[0].label.as_deref().unwrap_or("")
}

fn agent(name: &'static str, answer: fn(&str, u32) -> String) -> Arc<dyn Agent> {
    Arc::new(Scripted { name, answer })
}

#[tokio::test]
async fn artifacts_outcomes_and_summary_of_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(
        &dir.path().join("tasks"),
        &["python3", "tests/test_calc.py"],
    );
    let out = dir.path().join("runs");
    let agents = vec![
        Arc::new(benchcore::agent::reference::Gold) as Arc<dyn Agent>,
        Arc::new(benchcore::agent::reference::Null),
        agent("prose", |_, _| {
            "I would change the add function to return a + b.".into()
        }),
        agent("escape", |_, _| {
            "```python ../../outside.py\nprint('x')\n```\n".into()
        }),
    ];
    let (store, run_id, attempts) = run_catalog(&catalog, agents, 1, &out).await;
    let by_agent = |name: &str| attempts.iter().find(|a| a.key.agent == name).unwrap();

    let gold = by_agent("gold");
    assert_eq!((gold.outcome, label(gold)), (Outcome::Passed, "passed"));
    assert_eq!(details(gold)["tests"]["passed"], 2);
    let null = by_agent("null");
    assert_eq!((null.outcome, label(null)), (Outcome::Failed, "no_code"));
    assert_eq!(
        details(null)["run"]["passed"],
        false,
        "the starter ran and failed"
    );
    assert_eq!(label(by_agent("prose")), "no_code");
    let escape = by_agent("escape");
    assert_eq!(
        (escape.outcome, label(escape)),
        (Outcome::Failed, "rejected")
    );
    assert_eq!(
        details(escape)["apply"]["rejected"][0]["kind"],
        "parent_dir"
    );
    assert!(!dir.path().join("outside.py").exists() && !catalog.join("outside.py").exists());

    let run_dir = out.join(&run_id);
    for agent in ["gold", "null", "prose", "escape"] {
        let attempt = run_dir.join(format!("py_add__{agent}__sample00"));
        for file in [
            "prompt.txt",
            "response.txt",
            "patch.diff",
            "stdout.log",
            "stderr.log",
        ] {
            assert!(attempt.join(file).is_file(), "{}/{file}", attempt.display());
        }
    }
    let gold_dir = run_dir.join("py_add__gold__sample00");
    let prompt = std::fs::read_to_string(gold_dir.join("prompt.txt")).unwrap();
    assert!(prompt.contains("def add(a, b)") && prompt.contains("## Answer format"));
    assert!(
        !prompt.contains("return a + b"),
        "the prompt never shows the solution"
    );
    let patch = std::fs::read_to_string(gold_dir.join("patch.diff")).unwrap();
    assert!(patch.contains("+    return a + b"), "{patch}");
    assert!(std::fs::read_to_string(gold_dir.join("stdout.log"))
        .unwrap()
        .contains("2 passed"));

    let summary = CodeTaskSummary::load(&*store, &Workspace::default(), &run_id)
        .await
        .unwrap();
    let written = summary.write(&out).unwrap();
    assert_eq!(written, run_dir.join("summary.json"));
    let latest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("latest_summary.json")).unwrap()).unwrap();
    assert_eq!(latest["run_id"], run_id.as_str());
    assert_eq!(latest["agents"][0]["agent"], "gold");
    assert_eq!(latest["agents"][0]["pass_at_1"], 1.0);
    assert_eq!(latest["attempts"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn the_patch_fallback_chain_records_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(
        &dir.path().join("tasks"),
        &["python3", "tests/test_calc.py"],
    );
    let agents = vec![
        agent("exact", |_, _| {
            "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,3 +1,2 @@\n def add(a, b):\n-    # TODO\n-    return 0\n+    return a + b\n```".into()
        }),
        // Stale line numbers: the hunk says line 40.
        agent("offset", |_, _| {
            "--- a/calc.py\n+++ b/calc.py\n@@ -40,3 +40,2 @@\n def add(a, b):\n-    # TODO\n-    return 0\n+    return a + b\n".into()
        }),
        // A context line that is not in the file.
        agent("three_way", |_, _| {
            "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,6 +1,5 @@\n def add(a, b):\n-    # TODO\n-    return 0\n+    return a + b\n \n \n-def twice(y):\n+def twice(x):\n```".into()
        }),
        agent("conflict", |_, _| {
            "```diff\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n-def mul(a, b):\n+def add(a, b):\n     pass\n```".into()
        }),
    ];
    let (_, _, attempts) = run_catalog(&catalog, agents, 1, &dir.path().join("runs")).await;
    let step = |name: &str| {
        let a = attempts.iter().find(|a| a.key.agent == name).unwrap();
        (
            a.outcome,
            details(a)["apply"]["step"].clone(),
            label(a).to_owned(),
        )
    };
    assert_eq!(
        step("exact"),
        (Outcome::Passed, "exact".into(), "passed".into())
    );
    assert_eq!(
        step("offset"),
        (Outcome::Passed, "fuzzy".into(), "passed".into())
    );
    assert_eq!(
        step("three_way"),
        (Outcome::Passed, "three_way".into(), "passed".into())
    );
    let conflict = step("conflict");
    assert_eq!(
        (conflict.0, conflict.2.as_str()),
        (Outcome::Failed, "patch_failed")
    );
}

#[tokio::test]
async fn a_symlink_answer_is_rejected_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(
        &dir.path().join("tasks"),
        &["python3", "tests/test_calc.py"],
    );
    let agents = vec![
        agent("symlink", |_, _| {
            "diff --git a/calc.py b/calc.py\nnew file mode 120000\n--- /dev/null\n+++ b/calc.py\n@@ -0,0 +1 @@\n+/etc/passwd\n".into()
        }),
        agent("absolute", |_, _| {
            "```python /tmp/evil.py\nx = 1\n```".into()
        }),
        agent("not_editable", |_, _| {
            "```python tests/test_calc.py\nprint('2 passed, 0 failed')\n```".into()
        }),
    ];
    let (_, _, attempts) = run_catalog(&catalog, agents, 1, &dir.path().join("runs")).await;
    for (name, kind) in [
        ("symlink", "symlink"),
        ("absolute", "absolute"),
        ("not_editable", "not_editable"),
    ] {
        let a = attempts.iter().find(|a| a.key.agent == name).unwrap();
        assert_eq!(
            (a.outcome, label(a)),
            (Outcome::Failed, "rejected"),
            "{name}"
        );
        assert_eq!(details(a)["apply"]["rejected"][0]["kind"], kind, "{name}");
    }
}

#[tokio::test]
async fn a_broken_sandbox_is_an_infrastructure_error_out_of_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(&dir.path().join("tasks"), &["no-such-test-runner-xyz"]);
    let gold = Arc::new(benchcore::agent::reference::Gold) as Arc<dyn Agent>;
    let (store, run_id, attempts) =
        run_catalog(&catalog, vec![gold], 1, &dir.path().join("runs")).await;
    assert_eq!(attempts[0].outcome, Outcome::Error);
    let failure = attempts[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, "infrastructure");
    assert!(
        failure.message.contains("no-such-test-runner-xyz"),
        "{}",
        failure.message
    );
    let summary = store
        .summarize(&Workspace::default(), &run_id)
        .await
        .unwrap();
    assert_eq!(
        (summary.agents[0].errors, summary.agents[0].accuracy),
        (1, None)
    );
}

#[tokio::test]
async fn samples_give_pass_at_k_pass_all_k_and_flaky_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(
        &dir.path().join("tasks"),
        &["python3", "tests/test_calc.py"],
    );
    let flaky = agent("flaky", |_, sample| {
        let body = if sample % 2 == 0 { "a + b" } else { "a - b" };
        format!("```python calc.py\ndef add(a, b):\n    return {body}\n\n\ndef twice(x):\n    return x * 2\n```")
    });
    let (store, run_id, _) = run_catalog(&catalog, vec![flaky], 4, &dir.path().join("runs")).await;
    let summary = CodeTaskSummary::load(&*store, &Workspace::default(), &run_id)
        .await
        .unwrap();
    let a = &summary.agents[0];
    assert_eq!((a.attempts, a.passed), (4, 2));
    assert!((a.pass_at_1.unwrap() - 0.5).abs() < 1e-9);
    assert!(
        (a.pass_at_k[&2] - (1.0 - 1.0 / 6.0)).abs() < 1e-9,
        "{:?}",
        a.pass_at_k
    );
    assert!(
        (a.pass_all_k[&2] - 1.0 / 6.0).abs() < 1e-9,
        "{:?}",
        a.pass_all_k
    );
    assert_eq!(a.pass_at_k[&4], 1.0);
    assert_eq!(a.pass_all_k[&4], 0.0);
    assert_eq!(a.flaky, ["py_add"]);
    assert!(summary.tasks[0].flaky);
}

// ---------------------------------------------------------------------------------------
// Catalogs

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tasks")
}

#[test]
fn the_bundled_catalog_is_clean_and_spans_six_languages() {
    let problems = TaskCatalog::check(bundled());
    assert!(problems.is_empty(), "{problems:#?}");
    let catalog = TaskCatalog::open(bundled()).unwrap();
    assert!(catalog.tasks().len() >= 16);
    let languages: std::collections::BTreeSet<&str> = catalog
        .tasks()
        .iter()
        .map(|t| t.metadata().language.as_str())
        .collect();
    assert_eq!(
        languages.into_iter().collect::<Vec<_>>(),
        ["cpp", "go", "html", "javascript", "python", "rust"]
    );
}

#[test]
fn catalog_check_names_every_problem_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = python_catalog(dir.path(), &["python3", "tests/test_calc.py"]);
    // A second task with many problems.
    let bad = root.join("bad_task");
    std::fs::create_dir_all(bad.join("workspace")).unwrap();
    std::fs::create_dir_all(bad.join("tests")).unwrap();
    std::fs::write(
        bad.join("metadata.json"),
        "{\n  \"id\": \"other\",\n  \"language\": \"python\",\n  \"test_command\": [],\n  \"time_limit_secs\": 0\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc", bad.join("workspace/etc")).unwrap();
    // A third whose metadata does not parse.
    let typo = root.join("typo_task");
    std::fs::create_dir_all(&typo).unwrap();
    std::fs::write(
        typo.join("metadata.json"),
        "{\"id\": \"typo_task\",\n\"timelimit\": 3}",
    )
    .unwrap();
    // py_add's solution touches a file it may not.
    std::fs::write(root.join("py_add/solution/other.py"), "x = 1\n").unwrap();

    let problems = TaskCatalog::check(&root);
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    let has = |file: &str, words: &str| {
        problems
            .iter()
            .any(|p| p.path.ends_with(file) && p.message.contains(words))
    };
    assert!(has("bad_task/metadata.json", "test_command"), "{text:#?}");
    assert!(
        has("bad_task/metadata.json", "time_limit_secs"),
        "{text:#?}"
    );
    assert!(
        has("bad_task/metadata.json", "differs from the folder"),
        "{text:#?}"
    );
    assert!(has("bad_task/instructions.md", "cannot read"), "{text:#?}");
    assert!(has("bad_task/tests", "no test file"), "{text:#?}");
    assert!(has("bad_task/workspace/etc", "symbolic link"), "{text:#?}");
    assert!(has("bad_task/solution", "missing"), "{text:#?}");
    let typo_problem = problems
        .iter()
        .find(|p| p.path.ends_with("typo_task/metadata.json"))
        .unwrap();
    assert!(typo_problem.message.contains("timelimit"), "{typo_problem}");
    assert_eq!(typo_problem.line, Some(2));
    assert!(has("py_add/solution/other.py", "editable"), "{text:#?}");
    let warning = problems
        .iter()
        .find(|p| p.path.ends_with("bad_task/solution"))
        .unwrap();
    assert_eq!(warning.severity, Severity::Warning);
    let err = TaskCatalog::open(&root).unwrap_err();
    assert!(err.to_string().contains("error(s)"));
}

const HUMANEVAL: &str = r#"{"task_id": "HumanEval/0", "prompt": "def add_up(xs):\n    \"\"\"Sum of a list of numbers.\"\"\"\n", "canonical_solution": "    return sum(xs)\n", "test": "def check(candidate):\n    assert candidate([1, 2, 3]) == 6\n    assert candidate([]) == 0\n", "entry_point": "add_up"}
{"task_id": "HumanEval/1", "prompt": "def shout(s):\n    \"\"\"Upper-case s and add an exclamation mark.\"\"\"\n", "canonical_solution": "    return s.upper() + '!'\n", "test": "def check(candidate):\n    assert candidate('hi') == 'HI!'\n", "entry_point": "shout"}
"#;

#[tokio::test]
async fn humaneval_problems_import_as_runnable_python_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("he.jsonl");
    std::fs::write(&jsonl, HUMANEVAL).unwrap();
    let out = dir.path().join("catalog");
    let ids = import_humaneval(&jsonl, &out).unwrap();
    assert_eq!(ids, ["humaneval_0", "humaneval_1"]);
    assert!(
        TaskCatalog::check(&out).is_empty(),
        "{:#?}",
        TaskCatalog::check(&out)
    );
    let agents = vec![
        Arc::new(benchcore::agent::reference::Gold) as Arc<dyn Agent>,
        Arc::new(benchcore::agent::reference::Null),
    ];
    let (_, _, attempts) = run_catalog(&out, agents, 1, &dir.path().join("runs")).await;
    for a in &attempts {
        let expected = if a.key.agent == "gold" {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        assert_eq!(
            a.outcome, expected,
            "{} {}: {:?}",
            a.key.case_id, a.key.agent, a.evaluations
        );
    }

    std::fs::write(
        &jsonl,
        format!("{HUMANEVAL}{{\"task_id\": \"HumanEval/2\", \"prompt\": \"x\"}}\n"),
    )
    .unwrap();
    let err = import_humaneval(&jsonl, &dir.path().join("again")).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.to_string().contains("he.jsonl:3"), "{err}");
}
