//! `Run::from_spec`: the one path from a spec to a run, for new runs and resumes.

use benchcore::kind::{write_summary, BuiltinFactory, SuiteKinds};
use benchcore::{Engine, Error, MemoryStore, ResumeOptions, Run, RunSpec, RunStore, Workspace};
use std::sync::Arc;

fn question_set(dir: &std::path::Path, lines: &[&str]) -> std::path::PathBuf {
    let path = dir.join("arith.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

const TWO: [&str; 2] = [
    r#"{"id": "a", "input": "2+3?", "target": "5"}"#,
    r#"{"id": "b", "input": "2+2?", "target": "4"}"#,
];

#[tokio::test]
async fn a_spec_names_its_suite_by_path_and_its_agents_by_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = question_set(dir.path(), &TWO);
    let mut spec = RunSpec::for_suite(&path)
        .with_agent_config(serde_json::json!({"kind": "gold"}))
        .with_agent_config(serde_json::json!({"kind": "null"}));
    spec.artifacts_dir = Some(dir.path().join("runs").display().to_string());
    let run = Run::from_spec(spec, &BuiltinFactory).unwrap();
    assert_eq!(run.spec().kind, "question_set", "told from the path");
    assert!(run.spec().suite.digest.is_some());
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let passed: Vec<u64> = report.summary.agents.iter().map(|a| a.passed).collect();
    assert_eq!(passed, [2, 0]);
    let written = write_summary(
        &*store,
        &Workspace::default(),
        &report.run_id,
        &SuiteKinds::builtin(),
    )
    .await
    .unwrap();
    let path = written.path.expect("the run keeps artifacts");
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(document["run_id"], report.run_id);
    assert_eq!(document["agents"][0]["passed"], 2);
    assert!(dir.path().join("runs/latest_summary.json").is_file());
}

#[tokio::test]
async fn a_stored_spec_resumes_and_refuses_a_suite_that_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = question_set(dir.path(), &TWO);
    let spec = RunSpec::for_suite(&path).with_agent_config(serde_json::json!({"kind": "gold"}));
    let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
    let engine = Engine::new(Arc::clone(&store));
    let report = engine
        .run(Run::from_spec(spec, &BuiltinFactory).unwrap())
        .await
        .unwrap();
    let stored = store
        .get_run(&Workspace::default(), &report.run_id)
        .await
        .unwrap()
        .unwrap();
    // Unchanged: the stored spec alone rebuilds the run.
    let again = Run::from_spec(stored.spec.clone(), &BuiltinFactory).unwrap();
    let resumed = engine
        .resume(&report.run_id, again, ResumeOptions::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(resumed.summary.agents[0].passed, 2);
    // A target edited in place: same case count, other content.
    question_set(
        dir.path(),
        &[TWO[0], r#"{"id": "b", "input": "2+2?", "target": "5"}"#],
    );
    let err = Run::from_spec(stored.spec, &BuiltinFactory).unwrap_err();
    assert!(
        matches!(&err, Error::Run(m) if m.contains("changed since the run started")),
        "{err}"
    );
}

#[test]
fn bad_specs_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = question_set(dir.path(), &TWO);
    let unknown = RunSpec::for_suite(&path).with_agent_config(serde_json::json!({"kind": "x"}));
    let err = Run::from_spec(unknown, &BuiltinFactory).unwrap_err();
    assert!(err.to_string().contains("agents[0]"), "{err}");
    let none = RunSpec::for_suite(&path);
    let err = Run::from_spec(none, &BuiltinFactory).unwrap_err();
    assert!(err.to_string().contains("give at least one agent"), "{err}");
    let mut other =
        RunSpec::for_suite(&path).with_agent_config(serde_json::json!({"kind": "gold"}));
    other.kind = "telepathy".into();
    let err = Run::from_spec(other, &BuiltinFactory).unwrap_err();
    assert!(err.to_string().contains("telepathy"), "{err}");
    let nothing = RunSpec::for_suite(dir.path().join("notes.txt"))
        .with_agent_config(serde_json::json!({"kind": "gold"}));
    let err = Run::from_spec(nothing, &BuiltinFactory).unwrap_err();
    assert!(err.to_string().contains("suite.path"), "{err}");
}
