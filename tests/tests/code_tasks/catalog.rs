//! Catalogs: the bundled one, the catalog check, tasks skipped for a missing toolchain, and
//! HumanEval import.

use super::support::{gold, label, null, python_catalog, rationale, run_catalog};
use benchcore::code_task::{
    import_humaneval, missing_toolchain, tasks_to_skip, DepsCache, Severity, TaskCatalog,
};
use benchcore::Outcome;
use benchcore_tests::require_tool;
use std::path::{Path, PathBuf};

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tasks")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/humaneval_sample.jsonl")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundled_go_tasks_pass_with_gold_and_fail_as_shipped() {
    if !require_tool("go", "golang-go") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("go");
    for task in ["go_token_bucket", "go_wordcount"] {
        benchcore::code_task::copy_tree(&bundled().join(task), &catalog.join(task)).unwrap();
    }
    let ran = run_catalog(&catalog, vec![gold(), null()], 1, &dir.path().join("runs")).await;
    for a in &ran.attempts {
        let expected = if a.key.agent == "gold" {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        assert_eq!(
            a.outcome,
            expected,
            "{} {}: {}",
            a.key.case_id,
            a.key.agent,
            rationale(a)
        );
    }
}

#[test]
fn a_task_whose_toolchain_is_missing_is_skipped_with_its_package() {
    let dir = tempfile::tempdir().unwrap();
    let root = python_catalog(dir.path(), &["python3", "tests/test_calc.py"]);
    let meta = root.join("py_add/metadata.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    json["requires"] = serde_json::json!(["python3", "no-such-compiler-xyz"]);
    std::fs::write(&meta, json.to_string()).unwrap();
    let catalog = TaskCatalog::open(&root).unwrap();
    let why = missing_toolchain(&catalog.tasks()[0]).unwrap();
    assert_eq!(why, "`no-such-compiler-xyz` not found on PATH");
    let skipped = tasks_to_skip(&catalog, &DepsCache::new(dir.path().join("deps")), false);
    assert_eq!(skipped.len(), 1);
    assert_eq!(catalog.without(&[skipped[0].task.clone()]).tasks().len(), 0);
    // The bundled Go tasks name the package that brings go.
    let bundled = TaskCatalog::open(bundled()).unwrap();
    let go = bundled.task("go_wordcount").unwrap();
    if benchcore::code_task::find_program("go").is_none() {
        assert_eq!(
            missing_toolchain(go).unwrap(),
            "`go` not found on PATH (install golang-go)"
        );
    } else {
        assert_eq!(missing_toolchain(go), None);
    }
}

#[test]
fn catalog_check_names_every_problem_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = python_catalog(dir.path(), &["python3", "tests/test_calc.py"]);
    let bad = root.join("bad_task");
    std::fs::create_dir_all(bad.join("workspace")).unwrap();
    std::fs::create_dir_all(bad.join("tests")).unwrap();
    std::fs::write(
        bad.join("metadata.json"),
        "{\n  \"id\": \"other\",\n  \"language\": \"python\",\n  \"test_command\": [],\n  \"time_limit_secs\": 0,\n  \"requires\": [\"/bin/sh\"]\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc", bad.join("workspace/etc")).unwrap();
    let typo = root.join("typo_task");
    std::fs::create_dir_all(&typo).unwrap();
    std::fs::write(
        typo.join("metadata.json"),
        "{\"id\": \"typo_task\",\n\"timelimit\": 3}",
    )
    .unwrap();
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
    assert!(has("bad_task/metadata.json", "requires.0"), "{text:#?}");
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
    assert!(TaskCatalog::open(&root)
        .unwrap_err()
        .to_string()
        .contains("error(s)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn humaneval_import_keeps_the_prompts_helpers_for_the_tests() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog");
    let ids = import_humaneval(&sample(), &out).unwrap();
    assert_eq!(
        ids,
        ["sample_0", "sample_1", "sample_2", "sample_3", "sample_4"]
    );
    assert!(
        TaskCatalog::check(&out).is_empty(),
        "{:#?}",
        TaskCatalog::check(&out)
    );
    let meta = std::fs::read_to_string(out.join("sample_0/metadata.json")).unwrap();
    assert!(meta.contains("\"evidence\": \"token\""), "{meta}");
    let ran = run_catalog(&out, vec![gold(), null()], 1, &dir.path().join("runs")).await;
    assert_eq!(ran.attempts.len(), 10);
    for a in &ran.attempts {
        let (outcome, expected) = if a.key.agent == "gold" {
            (Outcome::Passed, "passed")
        } else {
            (Outcome::Failed, "no_code")
        };
        assert_eq!(
            (a.outcome, label(a)),
            (outcome, expected),
            "{} {}: {}",
            a.key.case_id,
            a.key.agent,
            rationale(a)
        );
    }
}

#[test]
fn humaneval_import_names_the_file_and_line_of_a_bad_problem() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("he.jsonl");
    let good = std::fs::read_to_string(sample()).unwrap();
    let two: String = good.lines().take(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(
        &jsonl,
        format!("{two}{{\"task_id\": \"HumanEval/2\", \"prompt\": \"x\"}}\n"),
    )
    .unwrap();
    let err = import_humaneval(&jsonl, &dir.path().join("again")).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.to_string().contains("he.jsonl:3"), "{err}");
}
