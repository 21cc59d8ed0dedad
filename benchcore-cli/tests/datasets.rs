//! Datasets through the binary: a preset end to end on the sample files (with accuracy per
//! subject in `summary.json`), a field map on a plain JSONL file judged by a scripted model,
//! errors naming file, row and field, and `-v` printing the run's spans.

mod support;

use support::command::{benchcore, text};

use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::path::{Path, PathBuf};

fn samples(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/datasets")
        .join(name)
        .display()
        .to_string()
}

fn summary(dir: &Path) -> serde_json::Value {
    let path: PathBuf = dir.join("runs/latest_summary.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn the_mmlu_preset_runs_end_to_end_with_accuracy_per_subject() {
    let dir = tempfile::tempdir().unwrap();
    let mmlu = samples("mmlu");
    let out = benchcore(
        dir.path(),
        &[
            "run",
            &mmlu,
            "--preset",
            "mmlu",
            "--fewshot",
            "2",
            "--agent",
            "gold",
            "--agent",
            "null",
        ],
    );
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("astronomy") && stdout.contains("high_school_chemistry"),
        "{stdout}"
    );
    let summary = summary(dir.path());
    let subjects = summary["subjects"].as_array().unwrap();
    let accuracy = |agent: &str, subject: &str| {
        subjects
            .iter()
            .find(|s| s["agent"] == agent && s["subject"] == subject)
            .unwrap()["accuracy"]
            .clone()
    };
    assert_eq!(accuracy("gold", "astronomy"), 1.0);
    // `null` answers nothing: no letter can be read, so its attempts are invalid, not wrong.
    assert_eq!(accuracy("null", "astronomy"), 0.0);
    let nulls = subjects.iter().filter(|s| s["agent"] == "null");
    assert!(nulls.into_iter().all(|s| s["invalid"] == s["judged"]));
    // The stored spec keeps the dataset options, so a resume rebuilds the same cases.
    let out = benchcore(dir.path(), &["resume", "latest"]);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_map_reads_a_jsonl_file_in_gsm8k_shape() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gsm.jsonl");
    std::fs::write(
        &data,
        "{\"question\": \"2+2?\", \"answer\": \"2+2=4\\n#### 4\"}\n\
         {\"question\": \"3*3?\", \"answer\": \"3*3=9\\n#### 9\"}\n",
    )
    .unwrap();
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    server.push_script(vec![
        Scripted::Reply {
            text: "So the answer is 4.".into(),
            usage: None,
        },
        Scripted::Reply {
            text: "I think 10".into(),
            usage: None,
        },
    ]);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let data = data.display().to_string();
    let out = benchcore(
        dir.path(),
        &[
            "run",
            &data,
            "-a",
            &agent,
            "-j",
            "1",
            "-q",
            "--input",
            "Question: {question}",
            "--target",
            "{{ answer | after(\"####\") }}",
            "--eval",
            "numeric",
            "--extract",
            "last_number",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = benchcore(dir.path(), &["show", "latest", "--attempts", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let attempts = json["attempts"].as_array().unwrap();
    let first = attempts
        .iter()
        .find(|a| a["case_id"] == "gsm-00001")
        .unwrap();
    assert_eq!(first["outcome"], "passed");
    assert_eq!(first["evaluations"][0]["details"]["extracted"], "4");
    let prompt = first["transcript"]["turns"][0]["text"].as_str().unwrap();
    assert_eq!(prompt, "Question: 2+2?");
}

#[test]
fn a_bad_field_is_named_with_its_file_and_row_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    std::fs::write(&data, "{\"question\": \"a\"}\n{\"prompt\": \"b\"}\n").unwrap();
    let data_arg = data.display().to_string();
    let out = benchcore(
        dir.path(),
        &["run", &data_arg, "--input", "{question}", "--agent", "gold"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("d.jsonl:2") && err.contains("`question`"),
        "{err}"
    );
    let out = benchcore(
        dir.path(),
        &["run", &data_arg, "--preset", "mmlu-pro", "--agent", "gold"],
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("--preset") && err.contains("truthfulqa_mc1"),
        "{err}"
    );
    let out = benchcore(
        dir.path(),
        &[
            "run",
            &samples("mmlu"),
            "--split",
            "train",
            "--agent",
            "gold",
        ],
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("dev") && err.contains("test"),
        "the splits found are listed: {err}"
    );
}

#[test]
fn verbose_prints_the_runs_spans() {
    let dir = tempfile::tempdir().unwrap();
    let arc = samples("arc");
    let out = benchcore(
        dir.path(),
        &[
            "-v", "run", &arc, "--preset", "arc", "--agent", "gold", "-q",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("attempt")
            && err.contains("case=Sample_1")
            && err.contains("outcome=\"passed\"")
            || err.contains("outcome=passed"),
        "{err}"
    );
    let quiet = benchcore(
        dir.path(),
        &["run", &arc, "--preset", "arc", "--agent", "gold", "-q"],
    );
    assert!(!text(&quiet.stderr).contains("case=Sample_1"));
}
