//! A reply cut at the token limit through the binary: its stop reason shows in `show`, the
//! JSON Lines and CSV exports, and `--fail-on-truncation` fails it.

mod support;

use support::command::{benchcore, run_against, text};

use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::process::Output;

/// Runs three echo cases, the first reply cut at the token limit (its text still right).
async fn run(dir: &std::path::Path, extra: &[&str]) -> Output {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    server.push_script(vec![Scripted::MaxTokens {
        text: "echo 0".into(),
    }]);
    let cases: String = (0..3)
        .map(|i| {
            format!("{{\"id\": \"q{i}\", \"input\": \"echo {i}\", \"target\": \"echo {i}\"}}\n")
        })
        .collect();
    run_against(dir, &cases, &server.base_url(), extra)
}

fn exported(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = benchcore(dir, &["export", "latest", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_reply_is_shown_and_failed_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = exported(dir.path());
    let q0 = rows.iter().find(|r| r["case_id"] == "q0").unwrap();
    assert_eq!(q0["stop_reason"], "max_tokens");
    assert_eq!(q0["outcome"], "passed", "without the flag the text decides");
    assert!(rows
        .iter()
        .filter(|r| r["case_id"] != "q0")
        .all(|r| r["stop_reason"] == "end_turn"));
    let show = benchcore(dir.path(), &["show", "latest", "--attempts"]);
    let shown = text(&show.stdout);
    assert!(
        shown.contains("stop") && shown.contains("max_tokens"),
        "{shown}"
    );
    let csv = benchcore(dir.path(), &["export", "latest", "--format", "csv"]);
    let csv = text(&csv.stdout);
    assert!(csv.lines().next().unwrap().contains("stop_reason"), "{csv}");
    assert!(csv.contains("max_tokens"), "{csv}");

    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--fail-on-truncation"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = exported(dir.path());
    let q0 = rows.iter().find(|r| r["case_id"] == "q0").unwrap();
    assert_eq!(q0["outcome"], "failed", "{q0}");
    let guard = q0["evaluations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["evaluator"] == "not_truncated")
        .unwrap();
    assert_eq!(guard["passed"], false);
    let others: Vec<_> = rows.iter().filter(|r| r["case_id"] != "q0").collect();
    assert!(
        others.iter().all(|r| r["outcome"] == "passed"),
        "{others:?}"
    );
    assert!(
        others
            .iter()
            .all(|r| r["evaluations"].as_array().unwrap().len() == 2),
        "exact still judges beside the guard: {others:?}"
    );
}
