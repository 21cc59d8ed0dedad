//! `0` only when every attempt has a verdict and every gate holds; `3`, with the count and
//! the command that retries them, when attempts ended as errors; gates keep `1`.

use super::{examples, refusing_base_url, text, Sandbox};

/// Every attempt refused a connection: the run is stored, but exits 3 naming the retry.
#[test]
fn a_run_of_connection_errors_exits_3_and_says_how_to_retry() {
    let sandbox = Sandbox::new();
    let suite = sandbox.echo_suite(3);
    let agent = format!("openai_compatible:m@{}", refusing_base_url());
    let out = sandbox.run(&["run", &suite, "-a", &agent, "--max-retries", "0", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], 3);
    let run_id = json["run_id"].as_str().unwrap();
    let err = text(&out.stderr);
    assert!(err.contains("3 attempts"), "{err}");
    assert!(err.contains("3 errors"), "{err}");
    assert!(
        err.contains(&format!("benchcore resume {run_id} --retry-errors")),
        "{err}"
    );

    // The retry the message names: `latest` finds the run, the errors are tried again and
    // fail again, so the exit code stays 3.
    let out = sandbox.run(&["resume", "latest", "--retry-errors", "-q"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(run_id), "{}", text(&out.stdout));
    // Without the flag the errors stay as they are, and so does the code.
    let out = sandbox.run(&["resume", "latest", "-q"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
}

/// A failed gate keeps its code 1, even when attempts also ended as errors.
#[test]
fn a_failed_gate_keeps_exit_1() {
    let sandbox = Sandbox::new();
    let suite = sandbox.echo_suite(2);
    let agent = format!("openai_compatible:m@{}", refusing_base_url());
    let out = sandbox.run(&[
        "run",
        &suite,
        "-a",
        &agent,
        "-a",
        "null",
        "--max-retries",
        "0",
        "--min-pass-rate",
        "0.5",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("--min-pass-rate"), "{err}");
    assert!(err.contains("--retry-errors"), "{err}");
}

/// Judged attempts, failed ones included, exit 0; `resume latest` of a complete run too.
#[test]
fn a_fully_judged_run_exits_0_and_resume_latest_finds_it() {
    let sandbox = Sandbox::new();
    let suite = examples().join("arithmetic.jsonl");
    let out = sandbox.run(&[
        "run",
        suite.to_str().unwrap(),
        "-a",
        "gold",
        "-a",
        "null",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("incomplete"));
    let out = sandbox.run(&["resume", "latest", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `resume latest` in a workspace with no run is the same error `show latest` gives.
#[test]
fn resume_latest_without_runs_is_an_error_like_show() {
    let sandbox = Sandbox::new();
    let shown = sandbox.run(&["show", "latest"]);
    let resumed = sandbox.run(&["resume", "latest"]);
    assert_eq!(shown.status.code(), Some(2));
    assert_eq!(resumed.status.code(), Some(2));
    let last = |out: &std::process::Output| text(&out.stderr).lines().last().unwrap().to_owned();
    assert_eq!(last(&shown), last(&resumed));
}

/// `--stop-after-failures N` stops the agent after N refused connections in a row: the rest
/// of its attempts are left pending (not burned as errors), and the reason is printed once.
#[test]
fn the_breaker_threshold_is_set_from_the_command_line() {
    let sandbox = Sandbox::new();
    let suite = sandbox.echo_suite(30);
    let agent = format!("openai_compatible:m@{}", refusing_base_url());
    let out = sandbox.run(&[
        "run",
        &suite,
        "-a",
        &agent,
        "--max-retries",
        "0",
        "-j",
        "1",
        "--stop-after-failures",
        "3",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = text(&out.stderr);
    assert!(err.contains("3 connection failures in a row"), "{err}");
    let reason = json["stopped_agents"][0]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("3 connection failures in a row"), "{json}");
    let errors = json["errors"].as_u64().unwrap();
    let unrecorded = json["unrecorded"].as_u64().unwrap();
    assert!(
        errors <= 4,
        "only the failures before the stop are errors: {json}"
    );
    assert_eq!(errors + unrecorded, 30, "{json}");
}
