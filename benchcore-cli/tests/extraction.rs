//! `--extract` and `--eval choice` through the binary: accepted, applied, and shown by
//! `show --attempts` next to the reply.

mod support;

use support::command::{benchcore, run_against, text};

use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::process::Output;

fn reply(text: &str) -> Scripted {
    Scripted::Reply {
        text: text.into(),
        usage: None,
    }
}

/// Runs `cases` (JSON lines) one at a time, the server giving `replies` in order.
async fn run(dir: &std::path::Path, cases: &str, replies: &[&str], extra: &[&str]) -> Output {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    server.push_script(replies.iter().map(|r| reply(r)).collect());
    run_against(dir, cases, &server.base_url(), extra)
}

fn attempts(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = benchcore(dir, &["show", "latest", "--attempts", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut attempts = json["attempts"].as_array().unwrap().clone();
    attempts.sort_by_key(|a| a["key"]["case_id"].as_str().unwrap_or("").to_owned());
    attempts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_takes_the_answer_and_show_displays_it() {
    let dir = tempfile::tempdir().unwrap();
    let cases = "{\"id\": \"q0\", \"input\": \"6*7?\", \"target\": \"42\"}\n\
                 {\"id\": \"q1\", \"input\": \"6*7?\", \"target\": \"42\"}\n";
    let replies = ["6*7 = <<6*7=42>>42.\n#### 42", "It is forty-two."];
    let out = run(dir.path(), cases, &replies, &["--extract", "after:####"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let attempts = attempts(dir.path());
    assert_eq!(attempts[0]["outcome"], "passed");
    assert_eq!(attempts[0]["evaluations"][0]["details"]["extracted"], "42");
    assert_eq!(attempts[1]["outcome"], "invalid");
    let why = attempts[1]["evaluations"][0]["error"].as_str().unwrap();
    assert!(why.contains("found no answer"), "{why}");

    let show = benchcore(dir.path(), &["show", "latest", "--attempts"]);
    let shown = text(&show.stdout);
    assert!(shown.contains("extracted"), "{shown}");
    let q0 = shown.lines().find(|l| l.starts_with("q0")).unwrap();
    assert!(q0.contains(" 42 "), "{shown}");

    let listed = benchcore(dir.path(), &["runs", "--json"]);
    assert!(text(&listed.stdout).contains("after:####"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_extractor_is_refused_with_the_valid_forms() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("s.jsonl");
    std::fs::write(
        &suite,
        "{\"id\": \"q\", \"input\": \"?\", \"target\": \"1\"}\n",
    )
    .unwrap();
    let suite = suite.display().to_string();
    let out = benchcore(
        dir.path(),
        &["run", &suite, "-a", "gold", "-q", "--extract", "boxd"],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("--extract boxd") && err.contains("after:MARKER"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_choice_reads_multiple_choice_replies() {
    let dir = tempfile::tempdir().unwrap();
    let case = |id: &str, target: &str| {
        format!(
            "{{\"id\": \"{id}\", \"input\": \"Capital of France?\", \"target\": {target}, \
             \"choices\": [\"Berlin\", \"Madrid\", \"Paris\", \"Rome\"]}}\n"
        )
    };
    let cases = [
        case("q0", "\"C\""),
        case("q1", "2"),
        case("q2", "\"Paris\""),
    ]
    .concat();
    let replies = [
        "Paris is the capital.\nTherefore, the answer is (C).",
        "**B**",
        "I would rather not say.",
    ];
    let out = run(dir.path(), &cases, &replies, &["--eval", "choice"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let attempts = attempts(dir.path());
    let outcomes: Vec<&str> = attempts
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["passed", "failed", "invalid"]);
    assert_eq!(
        attempts[1]["evaluations"][0]["details"],
        serde_json::json!({"read": "B", "target": "C"})
    );
    let show = benchcore(dir.path(), &["show", "latest", "--attempts"]);
    assert!(text(&show.stdout).contains("invalid"));
}
