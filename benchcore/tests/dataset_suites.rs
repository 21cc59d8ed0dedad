//! Datasets as suites through the public API: presets on the sample files, field maps and
//! their errors, few-shot determinism, sampling, shuffled choices, per-subject accuracy.

use benchcore::dataset::{configure, Dataset, DatasetOptions, Preset};
use benchcore::kind::{write_summary, BuiltinFactory, SuiteKinds};
use benchcore::{
    AttemptQuery, AttemptRecord, Case, CaseSource, Engine, MemoryStore, Outcome, ResumeOptions,
    Run, RunSpec, RunStore, Workspace,
};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn samples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/datasets")
        .join(name)
}

fn options(value: serde_json::Value) -> DatasetOptions {
    serde_json::from_value(value).unwrap()
}

async fn cases(set: &Dataset) -> Vec<Case> {
    set.cases().map(|c| c.unwrap()).collect().await
}

fn preset(preset: Preset, user: DatasetOptions) -> DatasetOptions {
    let mut spec = RunSpec::for_suite("x");
    configure(&mut spec, Some(preset), &user).unwrap();
    spec.suite.dataset.unwrap()
}

#[tokio::test]
async fn mmlu_cases_get_their_subjects_examples_in_order() {
    let options = preset(
        Preset::Mmlu,
        DatasetOptions {
            fewshot: 2,
            ..Default::default()
        },
    );
    let set = Dataset::open(samples("mmlu"), &options).unwrap();
    assert_eq!(set.len(), 8);
    let all = cases(&set).await;
    let first = &all[0];
    assert_eq!(first.id, "test-00001");
    assert_eq!(first.target, Some(serde_json::json!("B")));
    // system, two worked examples (question and answer), the question.
    assert_eq!(first.messages.len(), 6, "{:#?}", first.messages);
    assert!(first.messages[0].content.contains("about astronomy"));
    let chemistry = all
        .iter()
        .find(|c| c.metadata["subject"] == "high_school_chemistry")
        .unwrap();
    assert!(
        chemistry.messages[1].content.contains("gas")
            || chemistry.messages[1].content.contains("NaCl")
    );
    // The same seed gives the same prompts.
    let again = cases(&Dataset::open(samples("mmlu"), &options).unwrap()).await;
    assert_eq!(all, again);
}

fn spec(path: PathBuf, preset_name: Option<Preset>, user: DatasetOptions, samples: u32) -> RunSpec {
    let mut spec = RunSpec::for_suite(path).with_agent_config(serde_json::json!({"kind": "gold"}));
    configure(&mut spec, preset_name, &user).unwrap();
    spec.samples = samples;
    spec
}

async fn run_spec(store: &Arc<MemoryStore>, spec: RunSpec) -> (String, Vec<AttemptRecord>) {
    let engine = Engine::new(store.clone());
    let run = Run::from_spec(spec, &BuiltinFactory).unwrap();
    let report = engine.run(run).await.unwrap();
    let records = store
        .attempts(
            &Workspace::default(),
            &report.run_id,
            &AttemptQuery::default(),
        )
        .await
        .unwrap();
    (report.run_id, records)
}

#[tokio::test]
async fn every_preset_passes_with_the_gold_agent_on_its_sample_files() {
    for (preset, folder, cases) in [
        (Preset::Mmlu, "mmlu", 8),
        (Preset::Gsm8k, "gsm8k", 4),
        (Preset::Hellaswag, "hellaswag", 3),
        (Preset::Arc, "arc", 4),
        (Preset::TruthfulqaMc1, "truthfulqa", 3),
    ] {
        let store = Arc::new(MemoryStore::new());
        let user = DatasetOptions {
            fewshot: 1,
            ..Default::default()
        };
        let user = if preset == Preset::TruthfulqaMc1 {
            DatasetOptions::default()
        } else {
            user
        };
        let (_, records) = run_spec(&store, spec(samples(folder), Some(preset), user, 1)).await;
        assert_eq!(records.len(), cases, "{folder}");
        for record in &records {
            assert_eq!(record.outcome, Outcome::Passed, "{folder}: {record:#?}");
        }
    }
}

#[tokio::test]
async fn shuffled_choices_differ_per_sample_and_stay_put_on_resume() {
    let store = Arc::new(MemoryStore::new());
    let spec = spec(
        samples("truthfulqa"),
        Some(Preset::TruthfulqaMc1),
        DatasetOptions::default(),
        4,
    );
    let (run_id, records) = run_spec(&store, spec.clone()).await;
    assert_eq!(records.len(), 12);
    assert!(records.iter().all(|r| r.outcome == Outcome::Passed));
    let shown = |r: &AttemptRecord| r.transcript.turns[0].text.clone();
    let case2: Vec<String> = records
        .iter()
        .filter(|r| r.key.case_id == "validation-00002")
        .map(shown)
        .collect();
    assert!(
        case2.iter().any(|t| t != &case2[0]),
        "samples see different orders"
    );
    // The right answer is first in the data; shown elsewhere for some samples.
    assert!(records.iter().any(|r| r.reply() != "A"));
    // A resume rebuilds the same cases from the stored spec: nothing to redo, digest unchanged.
    let engine = Engine::new(store.clone());
    let again = Run::from_spec(spec, &BuiltinFactory).unwrap();
    let handle = engine
        .resume(&run_id, again, ResumeOptions::default())
        .await
        .unwrap();
    handle.wait().await.unwrap();
    let after = store
        .attempts(&Workspace::default(), &run_id, &AttemptQuery::default())
        .await
        .unwrap();
    let started = |rs: &[AttemptRecord]| rs.iter().map(|r| r.started_at_ms).collect::<Vec<_>>();
    assert_eq!(started(&after), started(&records), "nothing was run again");
}

#[tokio::test]
async fn accuracy_per_subject_is_in_the_summary() {
    let store = Arc::new(MemoryStore::new());
    let spec = spec(
        samples("mmlu"),
        Some(Preset::Mmlu),
        DatasetOptions::default(),
        1,
    );
    let (run_id, _) = run_spec(&store, spec).await;
    let summary = write_summary(
        &*store,
        &Workspace::default(),
        &run_id,
        &SuiteKinds::builtin(),
    )
    .await
    .unwrap()
    .summary;
    let subjects = summary.document["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 2);
    assert_eq!(subjects[0]["subject"], "astronomy");
    assert_eq!(subjects[0]["accuracy"], 1.0);
    assert_eq!(summary.table.unwrap().rows.len(), 2);
}

#[tokio::test]
async fn limit_sample_and_shuffle_choose_records_by_seed() {
    let path = samples("mmlu");
    let ids = |set: Dataset| async move {
        cases(&set)
            .await
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    let base =
        options(serde_json::json!({"split": "test", "choices": "choices", "target": "answer"}));
    let with = |extra: serde_json::Value| {
        let mut v = serde_json::to_value(&base).unwrap();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        options(v)
    };
    let limited = ids(Dataset::open(&path, &with(serde_json::json!({"limit": 3}))).unwrap()).await;
    assert_eq!(limited, ["test-00001", "test-00002", "test-00003"]);
    let a = ids(Dataset::open(&path, &with(serde_json::json!({"sample": 4, "seed": 1}))).unwrap())
        .await;
    let b = ids(Dataset::open(&path, &with(serde_json::json!({"sample": 4, "seed": 1}))).unwrap())
        .await;
    assert_eq!(a, b);
    assert_eq!(a.len(), 4);
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(a, sorted, "a sample runs in file order");
    let other_seeds: Vec<Vec<String>> = futures::future::join_all((2..6).map(|seed| {
        ids(Dataset::open(&path, &with(serde_json::json!({"sample": 4, "seed": seed}))).unwrap())
    }))
    .await;
    assert!(other_seeds.iter().any(|o| o != &a));
    let shuffled = ids(Dataset::open(
        &path,
        &with(serde_json::json!({"shuffle": true, "seed": 9})),
    )
    .unwrap())
    .await;
    assert_eq!(shuffled.len(), 8);
    let mut in_order = shuffled.clone();
    in_order.sort();
    assert_ne!(shuffled, in_order);
}

#[test]
fn a_record_that_cannot_become_a_case_is_named_by_file_row_and_field() {
    let path = samples("mmlu");
    let open = |v: serde_json::Value| Dataset::open(&path, &options(v)).unwrap_err().to_string();
    let err = open(serde_json::json!({"split": "test", "input": "{nope}"}));
    assert!(
        err.contains("test-00000-of-00001.parquet:1") && err.contains("`nope`"),
        "{err}"
    );
    let err = open(serde_json::json!({"split": "test", "choices": "question", "target": "answer"}));
    assert!(err.contains(":1: choices: field `question`"), "{err}");
    let err = open(
        serde_json::json!({"split": "test", "target": "answer", "choices": "choices", "choice_labels": "subject"}),
    );
    assert!(err.contains("choice_labels"), "{err}");
    let err = open(serde_json::json!({"split": "test", "id_field": "subject"}));
    assert!(err.contains("duplicate id \"astronomy\""), "{err}");
    let err = open(serde_json::json!({"split": "nope"}));
    assert!(
        err.contains("test") && err.contains("dev"),
        "the error lists the splits: {err}"
    );
    let err = open(serde_json::json!({"split": "test", "fewshot": 3, "fewshot_split": "test"}));
    assert!(err.contains("fewshot"), "{err}");
    let err =
        open(serde_json::json!({"split": "test", "template": "{{ question | nosuchfilter }}"}));
    assert!(err.contains("template"), "{err}");
}

#[test]
fn options_that_cannot_hold_together_are_refused_before_reading() {
    for (bad, field) in [
        (serde_json::json!({"limit": 0}), "dataset.limit"),
        (serde_json::json!({"sample": 0}), "dataset.sample"),
        (
            serde_json::json!({"shuffle_choices": true}),
            "dataset.shuffle_choices",
        ),
        (serde_json::json!({"target": " "}), "dataset.target"),
        (
            serde_json::json!({"template": "{% if %}"}),
            "dataset.template",
        ),
        (serde_json::json!({"input": "{question"}), "dataset.input"),
    ] {
        let err = options(bad).check().unwrap_err().to_string();
        assert!(err.contains(field), "{err}");
    }
    assert!(serde_json::from_value::<DatasetOptions>(serde_json::json!({"limt": 3})).is_err());
}
