//! A run too big for one page: the viewer embeds the first window of attempts and sends the
//! others on request; a report file holds the first window and says where to see the rest.
//! The latency chart comes from the store's counts, so it describes every attempt.

mod support;

use benchcore::Workspace;
use serde_json::Value;
use support::{get, get_json, page_data, seed_big, ViewServer};

/// Attempts in one window (the viewer's and the report's).
const WINDOW: usize = 10_000;
/// One more than a window: the last attempt is on the second.
const CASES: u32 = WINDOW as u32 + 1;

async fn seeded() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("runs.db").display());
    let store = benchcore_store::connect(&url).await.unwrap().store();
    seed_big(store.as_ref(), &Workspace::default(), "big", CASES).await;
    (dir, url)
}

#[tokio::test]
async fn the_viewer_pages_through_a_run_bigger_than_a_window() {
    let (_dir, url) = seeded().await;
    let view = ViewServer::start(&url, 100);
    let base = &view.base;

    let (status, page) = get(&format!("{base}/runs/big")).await;
    assert_eq!(status, 200);
    let data = page_data(&page);
    assert_eq!(data["rows"].as_array().unwrap().len(), WINDOW);
    assert_eq!(data["recorded"], CASES);
    assert_eq!(data["rows_api"], "/api/runs/big/rows");
    assert_eq!(
        data["next"],
        serde_json::json!({"case": "case-09999", "agent": "alpha", "sample": 0})
    );
    // The latency box describes all attempts (10 to 19 ms), not the window alone.
    assert!(page.contains(r#"id="chart-latency""#), "no latency chart");

    // The window after the first: the one attempt left, and no further window.
    let rest = get_json(&format!(
        "{base}/api/runs/big/rows?after_case=case-09999&after_agent=alpha&after_sample=0"
    ))
    .await;
    assert_eq!(rest["cases"], serde_json::json!(["case-10000"]));
    assert_eq!(
        rest["rows"],
        serde_json::json!([[0, 0, 0, "p", 1, 10, 0.002]])
    );
    assert_eq!(rest["next"], Value::Null);

    // Going to a case: its window starts at the first case at or after the id given.
    let from = get_json(&format!("{base}/api/runs/big/rows?after_case=case-05000")).await;
    assert_eq!(from["cases"][0], "case-05000");
    assert_eq!(from["rows"].as_array().unwrap().len(), 5001);
    assert_eq!(from["next"], Value::Null);
    let first = get_json(&format!("{base}/api/runs/big/rows")).await;
    assert_eq!(first["rows"].as_array().unwrap().len(), WINDOW);
    assert_eq!(first["next"], data["next"]);

    // Hostile or mistaken requests: a clear status, and the viewer goes on serving.
    let (status, body) = get(&format!("{base}/api/runs/ghost/rows")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = get(&format!(
        "{base}/api/runs/big/rows?after_case=x&after_sample=minus-one"
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    let weird = get_json(&format!(
        "{base}/api/runs/big/rows?after_case=zz%27%3B%20DROP%20TABLE%20attempts%3B--"
    ))
    .await;
    assert_eq!(weird["rows"].as_array().unwrap().len(), 0);
    assert_eq!(
        get_json(&format!("{base}/api/runs/big")).await["summary"]["total"],
        CASES
    );

    // A finished run's summary is kept between page loads, and read again once it changes.
    let (_, again) = get(&format!("{base}/runs/big")).await;
    assert!(again.contains("<b>85.7%</b>"), "the kept summary");
    let store = benchcore_store::connect(&url).await.unwrap().store();
    let mut extra = benchcore::AttemptRecord::new(
        "big",
        benchcore::AttemptKey::new("case-10001", "alpha", 0),
        benchcore::Outcome::Failed,
    );
    extra.latency_ms = Some(5000);
    store
        .record_attempts(&Workspace::default(), &[extra])
        .await
        .unwrap();
    let (_, changed) = get(&format!("{base}/runs/big")).await;
    assert_eq!(page_data(&changed)["recorded"], CASES + 1);
    assert!(
        changed.contains("p95 19 · n 10002"),
        "the latency counts were read again"
    );
}

#[test]
fn a_report_of_a_run_bigger_than_a_window_holds_the_first_and_says_so() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (dir, url) = runtime.block_on(seeded());
    let out = dir.path().join("big.html");
    let done = support::benchcore()
        .args(["--store", &url, "report", "big", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(
        stderr.contains("the grid holds the first 10000 attempts of 10001"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(&out).unwrap();
    let data = page_data(&html);
    assert_eq!(data["rows"].as_array().unwrap().len(), WINDOW);
    assert_eq!(data["details"].as_array().unwrap().len(), WINDOW);
    assert_eq!(data["rows_api"], Value::Null);
    assert_eq!(data["next"]["case"], "case-09999");
}
