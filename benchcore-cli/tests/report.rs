//! `benchcore report`, `completions` and `show` through the binary, on real SQLite files and
//! PostgreSQL schemas written through the public store API.

mod support;

use benchcore::Workspace;
use std::path::Path;
use std::process::Output;
use support::{benchcore, page_data, seed, wilson, PgSchema, Seeded, HOSTILE};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    text(&out.stdout)
}

async fn seeded_sqlite(dir: &Path) -> (String, Seeded) {
    let url = format!("sqlite://{}", dir.join("runs.db").display());
    let store = benchcore_store::connect(&url).await.unwrap().store();
    let ids = seed(
        store.as_ref(),
        &Workspace::default(),
        &dir.join("artifacts"),
    )
    .await;
    (url, ids)
}

fn report(url: &str, args: &[&str]) -> Output {
    benchcore()
        .args(["--store", url, "report"])
        .args(args)
        .output()
        .unwrap()
}

/// Everything a question-set report must hold, checked on the file's text and its data.
fn check_question_set_report(html: &str) {
    // Self-contained: no script, style, image or font from anywhere.
    assert!(html.starts_with("<!doctype html>"));
    for needle in [
        "http://",
        "https://",
        "<script src",
        "<link rel=\"stylesheet\"",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(needle), "the report refers to {needle}");
    }
    // The hostile reply never appears as markup: only two script elements end.
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(!html.contains("<script>alert"));
    // Spec, summary table and charts.
    assert!(html.contains("<h1>baseline</h1>"));
    assert!(html.contains(r#"<section id="spec">"#));
    for id in ["chart-accuracy", "chart-latency", "chart-cost"] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    // alpha: 18 of 24 judged passed; beta passes cases 0, 3, 6 and 9 twice, but case-06's
    // second sample is an infrastructure error, out of accuracy: 7 of 23 judged.
    assert!(html.contains("<b>75.0%</b>"), "alpha accuracy");
    let (lo, hi) = wilson(18.0, 24.0);
    assert!(
        html.contains(&format!(r#"data-lo="{lo:.4}" data-hi="{hi:.4}""#)),
        "alpha's Wilson interval {lo:.4}–{hi:.4}"
    );
    assert!(html.contains(&format!("{:.1}%–{:.1}%", lo * 100.0, hi * 100.0)));
    let (lo, hi) = wilson(7.0, 23.0);
    assert!(
        html.contains(&format!(r#"data-lo="{lo:.4}" data-hi="{hi:.4}""#)),
        "beta"
    );
    // Latency boxes: alpha's latencies are 100..=210 ms.
    assert!(
        html.contains(r#"data-median="150""#),
        "alpha's median latency"
    );

    let data = page_data(html);
    assert_eq!(data["page"], "run");
    assert_eq!(data["agents"], serde_json::json!(["alpha", "beta"]));
    assert_eq!(data["cases"].as_array().unwrap().len(), 12);
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 48);
    assert_eq!(rows[0], serde_json::json!([0, 0, 0, "p", 1, 100, 0.002]));
    let details = data["details"].as_array().unwrap();
    assert_eq!(details.len(), 48);
    let hostile = details
        .iter()
        .find(|d| {
            d["key"]["case_id"] == "case-05"
                && d["key"]["agent"] == "beta"
                && d["key"]["sample"] == 1
        })
        .unwrap();
    assert_eq!(hostile["turns"][1]["text"], HOSTILE);
    assert_eq!(
        hostile["evaluations"][0]["rationale"],
        format!("got {HOSTILE}")
    );
    let error = details.iter().find(|d| d["outcome"] == "error").unwrap();
    assert_eq!(error["failure"]["kind"], "rate_limited");
    assert_eq!(error["retries"], 5);
}

#[tokio::test]
async fn a_report_is_one_self_contained_file_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (url, ids) = seeded_sqlite(dir.path()).await;
    let out_file = dir.path().join("a.html");
    let out = report(&url, &[&ids.qa_a, "--out", out_file.to_str().unwrap()]);
    ok(&out);
    assert!(
        text(&out.stderr).contains("48 attempts"),
        "{}",
        text(&out.stderr)
    );
    check_question_set_report(&std::fs::read_to_string(&out_file).unwrap());

    // Without --out it is RUN.html in the current folder.
    let out = benchcore()
        .args(["--store", &url, "report", &ids.qa_b])
        .current_dir(dir.path())
        .output()
        .unwrap();
    ok(&out);
    let html = std::fs::read_to_string(dir.path().join("qa-b.html")).unwrap();
    assert!(html.contains("<h1>candidate</h1>"));
}

#[tokio::test]
async fn a_report_on_postgres() {
    let schema = PgSchema::new("report");
    let dir = tempfile::tempdir().unwrap();
    let store = benchcore_store::connect(&schema.url).await.unwrap().store();
    let ids = seed(
        store.as_ref(),
        &Workspace::default(),
        &dir.path().join("artifacts"),
    )
    .await;
    let out = report(&schema.url, &[&ids.qa_a, "--out", "-"]);
    check_question_set_report(&ok(&out));
}

#[tokio::test]
async fn a_code_task_report_embeds_patch_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (url, ids) = seeded_sqlite(dir.path()).await;
    let data = page_data(&ok(&report(&url, &[&ids.code, "--out", "-"])));
    let artifacts = data["details"][0]["artifacts"].as_array().unwrap();
    let names: Vec<&str> = artifacts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "prompt.txt",
            "response.txt",
            "patch.diff",
            "stdout.log",
            "stderr.log"
        ]
    );
    assert!(artifacts[2]["text"]
        .as_str()
        .unwrap()
        .contains("+def fizzbuzz(n): return"));
    assert_eq!(artifacts[3]["truncated"], false);

    // A cap keeps the page small; 0 leaves the files out.
    let data = page_data(&ok(&report(
        &url,
        &[&ids.code, "--out", "-", "--artifact-bytes", "8"],
    )));
    let patch = &data["details"][0]["artifacts"][2];
    assert_eq!(patch["text"], "--- a/fi");
    assert_eq!(patch["truncated"], true);
    let data = page_data(&ok(&report(
        &url,
        &[&ids.code, "--out", "-", "--artifact-bytes", "0"],
    )));
    assert!(data["details"][0]["artifacts"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_conversation_report_carries_transcripts_reports_and_rationales() {
    let dir = tempfile::tempdir().unwrap();
    let (url, ids) = seeded_sqlite(dir.path()).await;
    let html = ok(&report(&url, &["latest", "--out", "-"]));
    // `latest` is the newest run: the code task, created last.
    assert!(page_data(&html)["run_id"] == ids.code.as_str());
    let data = page_data(&ok(&report(&url, &[&ids.conversation, "--out", "-"])));
    let first = &data["details"][0];
    assert_eq!(first["turns"].as_array().unwrap().len(), 4);
    assert_eq!(first["turns"][0]["speaker"], "agent");
    assert_eq!(first["turns"][0]["latency_ms"], 800);
    let statuses: Vec<&str> = first["reports"][0]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    // "follow-up" sorts before "intake": its conversation hit the turn limit.
    assert_eq!(first["key"]["case_id"], "follow-up");
    assert_eq!(statuses, ["good", "warning", "poor"]);
    assert_eq!(first["ending"], "turn_limit");
    assert_eq!(first["evaluations"][0]["label"], "D");
    assert_eq!(first["evaluations"][0]["details"]["rubric"], "empathy");
}

#[tokio::test]
async fn a_report_of_an_unknown_run_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = seeded_sqlite(dir.path()).await;
    let out = report(&url, &["no-such-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no-such-run"),
        "{}",
        text(&out.stderr)
    );
    let out = report(&url, &["qa-a", "--out", "/nonexistent-dir/r.html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent-dir/r.html"));
}

#[test]
fn completion_scripts_load_in_their_shells() {
    let bash = ok(&benchcore().args(["completions", "bash"]).output().unwrap());
    for sub in ["report", "view", "leaderboard", "export", "completions"] {
        assert!(bash.contains(sub), "bash completions lack {sub}");
    }
    // bash itself accepts the script and registers the completion.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("benchcore.bash");
    std::fs::write(&script, &bash).unwrap();
    let loaded = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("source {} && complete -p benchcore", script.display()),
        ])
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    assert!(text(&loaded.stdout).contains("benchcore"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = ok(&benchcore().args(["completions", shell]).output().unwrap());
        assert!(
            script.contains("report") && script.contains("view"),
            "{shell}"
        );
    }
    let bad = benchcore().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test]
async fn show_prints_intervals_and_filters_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let (url, ids) = seeded_sqlite(dir.path()).await;
    let show = |args: &[&str]| {
        ok(&benchcore()
            .args(["--store", &url, "show", &ids.qa_a])
            .args(args)
            .output()
            .unwrap())
    };
    let table = show(&[]);
    let (lo, hi) = wilson(18.0, 24.0);
    assert!(table.contains("95% CI"), "{table}");
    assert!(
        table.contains(&format!("{:.1}–{:.1}%", lo * 100.0, hi * 100.0)),
        "{table}"
    );
    let failed = show(&["--attempts", "--outcome", "failed", "--agent", "alpha"]);
    // alpha fails cases 3, 7 and 11, twice each.
    let lines: Vec<&str> = failed.lines().filter(|l| l.starts_with("case-")).collect();
    assert_eq!(lines.len(), 6, "{failed}");
    assert!(lines
        .iter()
        .all(|l| l.contains("alpha") && l.contains("failed")));
    let limited = show(&["--attempts", "--limit", "3"]);
    assert_eq!(
        limited.lines().filter(|l| l.starts_with("case-")).count(),
        3
    );
    let json: serde_json::Value = serde_json::from_str(&show(&["--json"])).unwrap();
    let ci = &json["intervals"][0]["ci95"];
    assert!((ci[0].as_f64().unwrap() - lo).abs() < 1e-6, "{json}");
    let runs = ok(&benchcore()
        .args([
            "--store", &url, "runs", "--json", "--suite", "arith", "--status", "finished",
        ])
        .output()
        .unwrap());
    assert_eq!(runs.lines().count(), 2);
}
