//! Tool-use scoring through the binary: a BFCL category file in BFCL's own folder layout
//! (`possible_answer/` beside it) is recognized, asked with its functions over loopback
//! HTTP, and its calls matched.

use benchcore_tests::servers::{OpenAiServer, Scripted, ScriptedCall, ServerConfig};
use serde_json::json;
use std::process::{Command, Stdio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bfcl_category_runs_from_its_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("possible_answer")).unwrap();
    let function = json!({"name": "convert", "description": "Converts units.",
        "parameters": {"type": "dict", "properties": {"value": {"type": "float"}, "to": {"type": "string"}},
        "required": ["value", "to"]}});
    let questions: String = (0..2)
        .map(|i| format!("{}\n", json!({"id": format!("simple_{i}"), "question": [[{"role": "user", "content": format!("Convert {i} km to miles")}]], "function": [function]})))
        .collect();
    std::fs::write(data.join("BFCL_v3_simple.json"), questions).unwrap();
    let answers: String = (0..2)
        .map(|i| format!("{}\n", json!({"id": format!("simple_{i}"), "ground_truth": [{"convert": {"value": [i], "to": ["miles", "mi"]}}]})))
        .collect();
    std::fs::write(data.join("possible_answer/BFCL_v3_simple.json"), answers).unwrap();

    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    server.push_script(vec![
        Scripted::ToolCalls {
            text: String::new(),
            calls: vec![ScriptedCall::new(
                "c0",
                "convert",
                r#"{"value": 0, "to": "Miles"}"#,
            )],
        },
        Scripted::ToolCalls {
            text: String::new(),
            calls: vec![ScriptedCall::new(
                "c1",
                "convert",
                r#"{"value": 1, "to": "yards"}"#,
            )],
        },
    ]);
    let agent = format!("openai_compatible:m@{}", server.base_url());
    let out = Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args([
            "run",
            "data/BFCL_v3_simple.json",
            "-a",
            &agent,
            "-j",
            "1",
            "--json",
        ])
        .current_dir(dir.path())
        .env(
            "BENCHCORE_STORE",
            format!("sqlite://{}", dir.path().join("runs.db").display()),
        )
        .env_remove("BENCHCORE_WORKSPACE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let agent_summary = &result["summary"]["agents"][0];
    assert_eq!(
        (
            agent_summary["passed"].as_u64(),
            agent_summary["failed"].as_u64()
        ),
        (Some(1), Some(1)),
        "{result}"
    );
}

#[test]
fn the_bundled_tool_tasks_validate_with_gold_and_null() {
    let dir = tempfile::tempdir().unwrap();
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tools");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_benchcore"))
            .args(args)
            .current_dir(dir.path())
            .env(
                "BENCHCORE_STORE",
                format!("sqlite://{}", dir.path().join("runs.db").display()),
            )
            .env_remove("BENCHCORE_WORKSPACE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let suite = suite.display().to_string();
    let out = run(&[
        "run",
        &suite,
        "-a",
        "gold",
        "-a",
        "null",
        "--samples",
        "2",
        "-q",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("runs/latest_summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["kind"], "tool_tasks");
    assert_eq!(summary["pass_hat_k"]["gold"]["pass^2"], 1.0, "{summary}");
    assert_eq!(summary["pass_hat_k"]["null"]["pass^1"], 0.0, "{summary}");
    let tasks = summary["agents"][0]["n"].as_u64().unwrap();
    assert!(
        tasks >= 40,
        "at least 20 tasks, two samples each: {summary}"
    );
    // A finished run resumes to nothing, through its kind.
    let out = run(&["resume", "latest", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
