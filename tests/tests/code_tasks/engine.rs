//! Tasks through the engine: outcomes and artifacts, the patch fallback chain, refused paths,
//! a broken sandbox, the evidence rule, and pass@k.

use super::support::{agent, details, gold, label, null, python_catalog, rationale, run_catalog};
use benchcore::code_task::CodeTaskSummary;
use benchcore::{Agent, Outcome, Workspace};
use std::sync::Arc;

#[tokio::test]
async fn artifacts_outcomes_and_summary_of_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(
        &dir.path().join("tasks"),
        &["python3", "tests/test_calc.py"],
    );
    let out = dir.path().join("runs");
    let agents = vec![
        gold(),
        null(),
        agent("prose", |_, _| {
            "I would change the add function to return a + b.".into()
        }),
        agent("escape", |_, _| {
            "```python ../../outside.py\nprint('x')\n```\n".into()
        }),
    ];
    let ran = run_catalog(&catalog, agents, 1, &out).await;

    let g = ran.of("gold");
    assert_eq!((g.outcome, label(g)), (Outcome::Passed, "passed"));
    assert_eq!(details(g)["tests"]["passed"], 2);
    assert_eq!(details(g)["evidence"]["source"], "output");
    let n = ran.of("null");
    assert_eq!((n.outcome, label(n)), (Outcome::Failed, "no_code"));
    assert_eq!(
        details(n)["run"]["passed"],
        false,
        "the starter ran and failed"
    );
    assert_eq!(label(ran.of("prose")), "no_code");
    let escape = ran.of("escape");
    assert_eq!(
        (escape.outcome, label(escape)),
        (Outcome::Failed, "rejected")
    );
    assert_eq!(
        details(escape)["apply"]["rejected"][0]["kind"],
        "parent_dir"
    );
    assert!(!dir.path().join("outside.py").exists() && !catalog.join("outside.py").exists());

    let run_dir = out.join(&ran.run_id);
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

    let summary = CodeTaskSummary::load(&*ran.store, &Workspace::default(), &ran.run_id)
        .await
        .unwrap();
    assert_eq!(summary.write(&out).unwrap(), run_dir.join("summary.json"));
    let latest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("latest_summary.json")).unwrap()).unwrap();
    assert_eq!(latest["run_id"], ran.run_id.as_str());
    assert_eq!(latest["agents"][0]["agent"], "gold");
    assert_eq!(latest["agents"][0]["pass_at_1"], 1.0);
    assert_eq!(latest["attempts"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn exit_0_without_test_results_fails_and_a_failed_count_fails() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = python_catalog(
        &dir.path().join("tasks"),
        &["python3", "tests/test_calc.py"],
    );
    let body = "\n\ndef add(a, b):\n    return a + b\n\n\ndef twice(x):\n    return x * 2\n";
    let agents = vec![
        agent("exit_early", move |_, _| {
            format!("```python calc.py\nimport os\nos._exit(0){body}\n```")
        }),
        agent("half_counts", move |_, _| {
            format!("```python calc.py\nimport os\nprint('1 passed, 1 failed', flush=True)\nos._exit(0){body}\n```")
        }),
    ];
    let ran = run_catalog(&catalog, agents, 1, &dir.path().join("runs")).await;
    let early = ran.of("exit_early");
    assert_eq!(
        (early.outcome, label(early)),
        (Outcome::Failed, "no_test_results")
    );
    assert_eq!(details(early)["run"]["exit_code"], 0);
    assert!(
        rationale(early).contains("no test results"),
        "{}",
        rationale(early)
    );
    let half = ran.of("half_counts");
    assert_eq!(
        (half.outcome, label(half)),
        (Outcome::Failed, "tests_failed")
    );
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
    let ran = run_catalog(&catalog, agents, 1, &dir.path().join("runs")).await;
    let step = |name: &str| {
        let a = ran.of(name);
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
    let ran = run_catalog(&catalog, agents, 1, &dir.path().join("runs")).await;
    for (name, kind) in [
        ("symlink", "symlink"),
        ("absolute", "absolute"),
        ("not_editable", "not_editable"),
    ] {
        let a = ran.of(name);
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
    let ran = run_catalog(&catalog, vec![gold()], 1, &dir.path().join("runs")).await;
    assert_eq!(ran.attempts[0].outcome, Outcome::Error);
    let failure = ran.attempts[0].failure.as_ref().unwrap();
    assert_eq!(failure.kind, "infrastructure");
    assert!(
        failure.message.contains("no-such-test-runner-xyz"),
        "{}",
        failure.message
    );
    let summary = ran
        .store
        .summarize(&Workspace::default(), &ran.run_id)
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
    let flaky: Arc<dyn Agent> = agent("flaky", |_, sample| {
        let body = if sample % 2 == 0 { "a + b" } else { "a - b" };
        format!("```python calc.py\ndef add(a, b):\n    return {body}\n\n\ndef twice(x):\n    return x * 2\n```")
    });
    let ran = run_catalog(&catalog, vec![flaky], 4, &dir.path().join("runs")).await;
    let summary = CodeTaskSummary::load(&*ran.store, &Workspace::default(), &ran.run_id)
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
    assert_eq!((a.pass_at_k[&4], a.pass_all_k[&4]), (1.0, 0.0));
    assert_eq!(a.flaky, ["py_add"]);
    assert!(summary.tasks[0].flaky);
}
