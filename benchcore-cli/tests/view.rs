//! `benchcore view` over HTTP: pages, JSON endpoints and live server-sent events, on a real
//! SQLite file and a PostgreSQL schema that another process (this test) writes to.

mod support;

use benchcore::Workspace;
use serde_json::Value;
use std::time::Duration;
use support::{get, get_json, page_data, seed, start_gated_run, PgSchema, ViewServer, HOSTILE};

async fn check_viewer(store_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let store = benchcore_store::connect(store_url).await.unwrap().store();
    let ids = seed(store.as_ref(), &Workspace::default(), dir.path()).await;
    let view = ViewServer::start(store_url, 100);
    assert!(view.base.starts_with("http://127.0.0.1:"), "{}", view.base);
    let base = &view.base;

    // The runs list: every run, newest first, filters honoured.
    let (status, runs_page) = get(&format!("{base}/")).await;
    assert_eq!(status, 200);
    for id in [&ids.qa_a, &ids.qa_b, &ids.conversation, &ids.code] {
        assert!(runs_page.contains(&format!(r#"data-run="{id}""#)), "{id}");
    }
    assert_eq!(page_data(&runs_page)["live"], "/api/live/runs?limit=50");
    let runs = get_json(&format!("{base}/api/runs")).await;
    assert_eq!(runs.as_array().unwrap().len(), 4);
    let filtered = get_json(&format!(
        "{base}/api/runs?suite=arith&status=finished&agent=alpha"
    ))
    .await;
    assert_eq!(filtered.as_array().unwrap().len(), 2);
    let (status, body) = get(&format!("{base}/api/runs?status=sleeping")).await;
    assert_eq!(status, 400, "{body}");
    let (_, filtered_page) = get(&format!("{base}/?suite=tasks")).await;
    assert!(
        filtered_page.contains(r#"data-run="code-1""#)
            && !filtered_page.contains(r#"data-run="qa-a""#)
    );

    // Run detail: the report page without embedded details, fetched per attempt instead.
    let (status, run_page) = get(&format!("{base}/runs/{}", ids.qa_a)).await;
    assert_eq!(status, 200);
    assert!(run_page.contains(r#"id="chart-accuracy""#) && run_page.contains("<b>75.0%</b>"));
    let data = page_data(&run_page);
    assert_eq!(data["rows"].as_array().unwrap().len(), 48);
    assert!(data.get("details").is_none());
    assert_eq!(data["attempt_api"], "/api/runs/qa-a/attempt");
    assert!(data["live"].is_null(), "a finished run is not live");
    assert_eq!(run_page.matches("</script>").count(), 2);

    let attempt = get_json(&format!(
        "{base}/api/runs/qa-a/attempt?case=case-05&agent=beta&sample=1"
    ))
    .await;
    assert_eq!(attempt["turns"][1]["text"], HOSTILE);
    assert_eq!(attempt["key"]["sample"], 1);
    let first = get_json(&format!(
        "{base}/api/runs/qa-a/attempt?case=case-00&agent=alpha&sample=0"
    ))
    .await;
    assert_eq!(first["outcome"], "passed");
    let code = get_json(&format!(
        "{base}/api/runs/code-1/attempt?case=fizzbuzz&agent=coder"
    ))
    .await;
    assert_eq!(code["artifacts"][2]["name"], "patch.diff");
    let (status, _) = get(&format!(
        "{base}/api/runs/qa-a/attempt?case=case-00&agent=alpha&sample=7"
    ))
    .await;
    assert_eq!(status, 404);
    let (status, body) = get(&format!("{base}/api/runs/nope")).await;
    assert_eq!(status, 404);
    assert!(body.contains("no run \\\"nope\\\""), "{body}");
    let (status, body) = get(&format!("{base}/runs/nope")).await;
    assert_eq!(status, 404);
    assert!(body.contains("<!doctype html>"));
    let summary = get_json(&format!("{base}/api/runs/latest")).await;
    assert_eq!(summary["run"]["id"], ids.code.as_str());

    // Comparison: alpha regresses on case-00 and case-01 and improves on case-11.
    let comparison = get_json(&format!("{base}/api/compare?a=qa-a&b=qa-b")).await;
    assert_eq!(comparison["pairs"].as_array().unwrap().len(), 2);
    let alpha = &comparison["deltas"][0];
    assert_eq!(alpha["changes"]["regression"], 2);
    assert_eq!(alpha["changes"]["improvement"], 1);
    assert_eq!(alpha["changes"]["both_passed"], 7);
    assert!((alpha["delta"].as_f64().unwrap() - (16.0 / 24.0 - 18.0 / 24.0)).abs() < 1e-9);
    let regressions: Vec<&str> = comparison["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "regression")
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    assert_eq!(regressions, ["case-00", "case-01"]);
    let (status, compare_page) = get(&format!("{base}/compare?a=qa-a&b=qa-b")).await;
    assert_eq!(status, 200);
    assert!(
        compare_page.contains(r#"<b class="delta down">-8.3 pp</b>"#),
        "alpha's delta"
    );
    assert_eq!(
        page_data(&compare_page)["cases"].as_array().unwrap().len(),
        24
    );
    let (status, picker) = get(&format!("{base}/compare")).await;
    assert_eq!(status, 200);
    assert!(picker.contains(r#"<select name="a""#));
    let (status, _) = get(&format!("{base}/api/compare?a=qa-a")).await;
    assert_eq!(status, 400);

    // Leaderboard from the store: alpha's best run is A (75%), with A's cost.
    let board = get_json(&format!("{base}/api/leaderboard")).await;
    let alpha = board
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["agent"] == "alpha")
        .unwrap();
    assert_eq!(alpha["run_id"], "qa-a");
    assert_eq!(alpha["runs"], 2);
    let (status, board_page) = get(&format!("{base}/leaderboard")).await;
    assert_eq!(status, 200);
    assert!(board_page.contains(r#"<a href="/runs/qa-a">qa-a</a>"#));
    let (_, none) = get(&format!("{base}/leaderboard?suite=nothing")).await;
    assert!(none.contains(r#"id="no-entries""#));

    let (status, _) = get(&format!("{base}/no/such/page")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_viewer_serves_pages_and_json_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check_viewer(&format!(
        "sqlite://{}",
        dir.path().join("runs.db").display()
    ))
    .await;
}

#[tokio::test]
async fn the_viewer_serves_pages_and_json_on_postgres() {
    let schema = PgSchema::new("view");
    check_viewer(&schema.url).await;
}

#[test]
fn the_viewer_does_not_create_a_missing_store() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let out = support::benchcore()
        .args(["--store", missing.to_str().unwrap(), "view", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    assert!(!missing.exists());
}

/// Reads server-sent events until `until` says stop; returns (event, data) pairs.
async fn events(url: &str, mut step: impl FnMut(&str, &Value) -> bool) -> Vec<(String, Value)> {
    let mut response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut buffer = String::new();
    let mut seen = Vec::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .expect("an event within 30 s")
            .unwrap();
        let Some(chunk) = chunk else { return seen };
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = "message".to_owned();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if data.is_empty() {
                continue; // keep-alive comment
            }
            let value: Value = serde_json::from_str(&data).unwrap();
            let go_on = step(&name, &value);
            seen.push((name, value));
            if !go_on {
                return seen;
            }
        }
    }
}

async fn check_live(store_url: &str) {
    let store = benchcore_store::connect(store_url).await.unwrap().store();
    let ws = Workspace::default();
    let (handle, gate) = start_gated_run(store.clone(), &ws, 6).await;
    let run_id = handle.run_id().to_owned();
    let view = ViewServer::start(store_url, 100);
    // Each progress event lets one more attempt through, so every recorded count shows up.
    let gate_for_events = gate.clone();
    let seen = events(
        &format!("{}/api/runs/{run_id}/live", view.base),
        move |name, data| {
            if name == "progress" {
                gate_for_events.add_permits(1);
            }
            !(name == "done" && data["status"] == "finished")
        },
    )
    .await;
    let report = handle.wait().await.unwrap();
    assert_eq!(report.summary.recorded(), 6);
    let counts: Vec<u64> = seen
        .iter()
        .filter(|(n, _)| n == "progress")
        .map(|(_, d)| d["recorded"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.first(), Some(&0), "{seen:?}");
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts.len() >= 4, "several progress pushes: {counts:?}");
    let (last_name, last) = seen.last().unwrap();
    assert_eq!(last_name, "done");
    assert_eq!(last["recorded"], 6);
    // Rows arrive as deltas: each attempt once (it does not change after being recorded).
    let rows: Vec<&Value> = seen
        .iter()
        .filter(|(n, _)| n == "rows")
        .flat_map(|(_, d)| d.as_array().unwrap())
        .collect();
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(rows.iter().all(|r| r[1] == "gated" && r[3] == "p"));
    let summary = seen.iter().rev().find(|(n, _)| n == "summary").unwrap();
    assert!(summary.1["html"]
        .as_str()
        .unwrap()
        .contains("<b>100.0%</b>"));
}

#[tokio::test]
async fn live_events_follow_a_run_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    check_live(&format!(
        "sqlite://{}",
        dir.path().join("live.db").display()
    ))
    .await;
}

#[tokio::test]
async fn live_events_follow_a_run_on_postgres() {
    let schema = PgSchema::new("live");
    check_live(&schema.url).await;
}
