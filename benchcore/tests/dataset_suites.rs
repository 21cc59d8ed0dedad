//! Datasets as suites through the public API: presets on the sample files, field maps and
//! their errors, few-shot determinism, sampling, shuffled choices, per-subject accuracy.

use benchcore::dataset::{configure, Dataset, DatasetOptions, Preset};
use benchcore::{Case, CaseSource, RunSpec};
use futures::StreamExt;
use std::path::{Path, PathBuf};

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
