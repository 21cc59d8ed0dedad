//! The team server's dashboard in a real headless Chromium (driven over the DevTools protocol
//! by `tests/browser/drive.mjs`), against a real `benchcore serve` on PostgreSQL and loopback
//! OpenAI-compatible model servers: sign in through the form, save agents and send a test
//! prompt, launch runs through the launch form, watch one finish live, read an attempt,
//! compare two runs, cancel a slow run from its page, sign out. A hostile reply is shown as
//! text and runs nothing; no page logs an error beyond the failed requests the flow makes on
//! purpose. Screenshots go to `target/screenshots/`.
//!
//! Without chromium or node the test says so loudly and passes, except under `CI`.

mod support;

/// The models of the loopback LM Studio server: its agent's own, and the one the form picks.
const LOCAL_OWN: &str = "qwen/qwen3-4b";
const LOCAL_PICKED: &str = "google/gemma-3-1b";

use benchcore_tests::servers::{LmStudioServer, OpenAiServer, ServerConfig};
use serde_json::{json, Value};
use std::time::Duration;
use support::browser::{drive, tools};
use support::team::{echo_suite, Api, TeamServer, ADMIN_EMAIL, ADMIN_PASSWORD};
use support::{screenshots_dir, PgSchema};

const KEY: &str = "sk-dashboard-0123456789";
/// Echoed back by the model: it must reach the page as text.
const HOSTILE: &str = "</script><script>window.__xss=1</script>";

async fn model(latency_ms: u64) -> OpenAiServer {
    OpenAiServer::start(ServerConfig {
        latency: Duration::from_millis(latency_ms),
        require_api_key: Some(KEY.to_owned()),
        ..ServerConfig::default()
    })
    .await
    .unwrap()
}

/// Three cases for the echoing model: the hostile one and a plain one pass under `exact`;
/// `loose` passes only under `includes` (its target is a part of its input).
fn mixed_suite() -> String {
    [
        json!({"id": "hostile", "input": HOSTILE, "target": HOSTILE}),
        json!({"id": "plain", "input": "echo 1", "target": "echo 1"}),
        json!({"id": "loose", "input": "say beta please", "target": "beta"}),
    ]
    .iter()
    .map(|case| format!("{case}\n"))
    .collect()
}

/// `document.body` says page `name` has loaded.
fn ready(name: &str) -> String {
    format!("document.body.getAttribute('data-ready') === '{name}'")
}

fn text(selector: &str) -> String {
    format!("document.querySelector('{selector}').textContent")
}

/// Steps that save agent `name` through the agents page.
fn save_agent(name: &str, base_url: &str) -> Vec<Value> {
    // Attempts are recorded under the model's name.
    let model = format!("{name}-model");
    let config =
        json!({"kind": "openai_compatible", "model": model, "base_url": base_url, "api_key": KEY});
    vec![
        json!({"click": "#agent-new"}),
        json!({"fill": "#agent-name", "text": name}),
        json!({"fill": "#agent-config", "text": serde_json::to_string_pretty(&config).unwrap()}),
        json!({"click": "#agent-save"}),
        json!({"wait": format!("document.querySelector('#agents-table tr[data-agent=\"{name}\"]') && {}.indexOf('Saved {name}') === 0", text("#agent-saved"))}),
    ]
}

/// Steps that launch a run of `suite` by `agent` through the launch form, and wait for its page.
fn launch(name: &str, suite: &str, agent: &str, evaluators: &[&str]) -> Vec<Value> {
    let mut steps = vec![
        json!({"click": "#nav a[data-nav=launch]"}),
        json!({"wait": format!("{} && document.getElementById('launch-form')", ready("launch"))}),
        json!({"fill": "#launch-name", "text": name}),
        json!({"choose": "#launch-suite", "value": suite}),
        json!({"click": format!("#launch-agents input[data-agent={agent}]")}),
        json!({"fill": "#launch-concurrency", "text": "1"}),
    ];
    // `exact` starts checked: a click sets each wanted kind, and clears `exact` when unwanted.
    for kind in ["exact", "includes"] {
        let checked = kind == "exact";
        if evaluators.contains(&kind) != checked {
            steps.push(json!({"click": format!("#launch-evaluators input[data-kind={kind}]")}));
        }
    }
    steps.push(json!({"click": "#launch-submit"}));
    steps.push(json!({"wait": format!("{} && document.getElementById('run-title').textContent === '{name}'", ready("run"))}));
    steps
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_signs_in_launches_watches_compares_and_cancels() {
    let Some(tools) = tools() else { return };
    let fast = model(300).await;
    let slow = model(400).await;
    let schema = PgSchema::new("team_browser");
    let server = TeamServer::start(
        Some(&schema.url),
        &[
            ("mixed.jsonl", &mixed_suite()),
            ("slow.jsonl", &echo_suite(40)),
            ("local.jsonl", &echo_suite(2)),
        ],
    );
    let lm = LmStudioServer::start(&[LOCAL_OWN, LOCAL_PICKED])
        .await
        .unwrap();
    let base = &server.base;

    // The page and its files come with the policy that keeps injected markup inert.
    let client = support::team::new_client();
    for path in [
        "/",
        "/app/w/x/runs/y",
        "/static/app.js",
        "/static/report.css",
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("cache-control"), "{path}");
    }
    // A script is revalidated by its tag.
    let script = client
        .get(format!("{base}/static/app.js"))
        .send()
        .await
        .unwrap();
    let tag = script.headers()["etag"].to_str().unwrap().to_owned();
    assert!(script.text().await.unwrap().contains("BC.pages"));
    let again = client
        .get(format!("{base}/static/app.js"))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let missing = client
        .get(format!("{base}/static/secrets.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let agent_row = |name: &str| format!("#agents-table tr[data-agent=\"{name}\"]");
    let mut steps = vec![
        // Not signed in: the sign-in form.
        json!({"goto": format!("{base}/"), "wait": ready("login")}),
        json!({"fill": "#email", "text": ADMIN_EMAIL}),
        json!({"fill": "#password", "text": "not the password"}),
        json!({"click": "#login-submit"}),
        json!({"wait": "document.querySelector('#login-error .message') && document.querySelector('#login-error .message').textContent.length > 0"}),
        json!({"eval": text("#login-error .message"), "name": "wrong password"}),
        json!({"fill": "#password", "text": ADMIN_PASSWORD}),
        json!({"click": "#login-submit"}),
        json!({"wait": ready("runs")}),
        json!({"eval": "location.pathname", "name": "home"}),
        json!({"eval": text("#who"), "name": "who"}),
        json!({"eval": "document.querySelectorAll('#workspace option').length", "name": "workspaces"}),
        // Agents: a config the API refuses names its field; then two good ones.
        json!({"click": "#nav a[data-nav=agents]"}),
        json!({"wait": ready("agents")}),
        json!({"fill": "#agent-name", "text": "broken"}),
        json!({"fill": "#agent-config", "text": "{\"kind\": \"openai_compatible\", \"model\": \"m\", \"base_url\": \"http://127.0.0.1:9/v1\", \"api_key\": \"k\", \"colour\": \"red\"}"}),
        json!({"click": "#agent-save"}),
        json!({"wait": "document.querySelector('#agent-error .field-name')"}),
        json!({"eval": text("#agent-error .field-name"), "name": "agent error field"}),
    ];
    steps.extend(save_agent("fast", &fast.base_url()));
    steps.extend(save_agent("slow", &slow.base_url()));
    steps.extend([
        json!({"eval": text(&format!("{} td:nth-child(3)", agent_row("fast"))), "name": "fast key"}),
        // Edit shows the config without its key.
        json!({"click": format!("{} button.edit", agent_row("fast"))}),
        json!({"wait": format!("{} === 'Edit fast'", text("#agent-form-title"))}),
        json!({"eval": "document.getElementById('agent-config').value.indexOf('api_key') < 0 && !document.getElementById('agent-note').hidden", "name": "edit hides the key"}),
        // One prompt: the hostile text comes back and is shown as text.
        json!({"choose": "#test-agent", "value": "fast"}),
        json!({"fill": "#test-prompt", "text": HOSTILE}),
        json!({"click": "#test-send"}),
        json!({"wait": "document.getElementById('test-reply-text')", "timeout_ms": 30000}),
        json!({"eval": text("#test-reply-text"), "name": "test reply"}),
        json!({"eval": "document.querySelectorAll('#test-result script').length", "name": "test scripts"}),
        // Deleting asks once more.
        json!({"click": "#agent-new"}),
        json!({"fill": "#agent-name", "text": "spare"}),
        json!({"fill": "#agent-config", "text": format!("{{\"kind\": \"openai_compatible\", \"model\": \"m\", \"base_url\": \"{}\", \"api_key\": \"{KEY}\"}}", fast.base_url())}),
        json!({"click": "#agent-save"}),
        json!({"wait": format!("document.querySelector('{}')", agent_row("spare"))}),
        json!({"click": format!("{} button.delete", agent_row("spare"))}),
        json!({"eval": format!("!!document.querySelector('{}')", agent_row("spare")), "name": "spare after one click"}),
        json!({"click": format!("{} button.delete", agent_row("spare"))}),
        json!({"wait": format!("!document.querySelector('{}')", agent_row("spare"))}),
        json!({"screenshot": "dashboard-agents", "full": true}),
        // The launch form: the API's error shows next to it, with its field.
        json!({"click": "#nav a[data-nav=launch]"}),
        json!({"wait": format!("{} && document.getElementById('launch-form')", ready("launch"))}),
        json!({"eval": "Array.prototype.map.call(document.querySelectorAll('#launch-evaluators input:not([disabled])'), function (i) { return i.value; })", "name": "evaluator kinds"}),
        json!({"eval": "Array.prototype.map.call(document.querySelectorAll('#launch-suite option'), function (o) { return o.value; })", "name": "suites"}),
        json!({"choose": "#launch-suite", "value": "mixed.jsonl"}),
        json!({"click": "#launch-agents input[data-agent=fast]"}),
        json!({"fill": "#launch-samples", "text": "0"}),
        json!({"click": "#launch-submit"}),
        json!({"wait": "document.querySelector('#launch-error .field-name')"}),
        json!({"eval": text("#launch-error .field-name"), "name": "launch error field"}),
        json!({"eval": "document.querySelector('#launch-samples').classList.contains('invalid')", "name": "samples marked"}),
        // Record what the run page shows over time, across the client-side navigation.
        json!({"eval": "window.__seen = []; new MutationObserver(function () { var c = document.getElementById('progress-count'); window.__seen.push(document.body.getAttribute('data-status') + ' ' + (c ? c.textContent : '')); }).observe(document.body, { attributes: true, attributeFilter: ['data-status'], subtree: true, childList: true, characterData: true }); true", "name": "observer"}),
    ]);
    steps.extend(launch("first", "mixed.jsonl", "fast", &["exact"]));
    steps.extend([
        json!({"wait": format!("{} === 'finished' && {} === '3/3' && document.querySelectorAll('#attempts tr').length === 3", text("#run-status"), text("#progress-count")), "timeout_ms": 30000}),
        json!({"wait": "document.querySelector('#summary-table tbody tr[data-agent=fast-model]')"}),
        json!({"eval": "window.__seen.filter(function (s, i, all) { return all.indexOf(s) === i; })", "name": "seen"}),
        json!({"eval": text("#pass-rate"), "name": "pass rate"}),
        json!({"eval": "Array.prototype.map.call(document.querySelectorAll('#summary-table tbody tr[data-agent=fast-model] td'), function (td) { return td.textContent; }).slice(0, 4)", "name": "summary"}),
        json!({"eval": "!!document.getElementById('resume-run') && !document.getElementById('cancel-run')", "name": "stopped buttons"}),
        json!({"screenshot": "dashboard-run", "full": true}),
        // The hostile attempt.
        json!({"click": "#attempts a.attempt-link[href*='case=hostile']"}),
        json!({"wait": format!("{} && document.querySelector('#transcript .turn.agent')", ready("attempt"))}),
        json!({"eval": text("#transcript .turn.agent .text"), "name": "hostile reply"}),
        json!({"eval": text("#transcript .turn.participant .text"), "name": "hostile prompt"}),
        json!({"eval": "document.querySelectorAll('#attempt script, #attempt img').length", "name": "attempt scripts"}),
        json!({"eval": "document.querySelector('#evaluations tbody tr .badge').textContent", "name": "verdict"}),
        json!({"screenshot": "dashboard-attempt", "full": true}),
    ]);
    // A second run where `includes` lets `loose` pass: the comparison shows the change.
    steps.extend(launch("second", "mixed.jsonl", "fast", &["includes"]));
    steps.extend([
        json!({"wait": format!("{} === 'finished' && {} === '3/3'", text("#run-status"), text("#progress-count")), "timeout_ms": 30000}),
        json!({"click": "#nav a[data-nav=compare]"}),
        json!({"wait": format!("{} && document.getElementById('compare-table')", ready("compare"))}),
        json!({"eval": "Array.prototype.map.call(document.querySelectorAll('#compare-table tbody tr'), function (r) { return r.getAttribute('data-case') + ':' + r.getAttribute('data-change'); })", "name": "changes"}),
        json!({"eval": "document.querySelector('#compare-deltas tbody td.delta').textContent", "name": "delta"}),
        json!({"click": "#compare-all"}),
        json!({"eval": "document.querySelectorAll('#compare-table tbody tr').length", "name": "all cases"}),
        json!({"screenshot": "dashboard-compare", "full": true}),
        json!({"click": "#nav a[data-nav=leaderboard]"}),
        json!({"wait": format!("{} && document.getElementById('leaderboard-table')", ready("leaderboard"))}),
        json!({"eval": "Array.prototype.map.call(document.querySelectorAll('#leaderboard-table tbody tr'), function (r) { return r.children[1].textContent + ' ' + r.children[2].textContent; })", "name": "leaderboard"}),
    ]);
    // A local model picked in the launch form: loaded before the run, which runs on it.
    let local = json!({"kind": "lmstudio", "model": LOCAL_OWN, "base_url": lm.base_url()});
    steps.extend([
        json!({"click": "#nav a[data-nav=agents]"}),
        json!({"wait": ready("agents")}),
        json!({"click": "#agent-new"}),
        json!({"fill": "#agent-name", "text": "local"}),
        json!({"fill": "#agent-config", "text": local.to_string()}),
        json!({"click": "#agent-save"}),
        json!({"wait": "document.querySelector('#agents-table tr[data-agent=\"local\"]')"}),
        json!({"click": "#nav a[data-nav=launch]"}),
        json!({"wait": format!("{} && document.getElementById('launch-form')", ready("launch"))}),
        json!({"fill": "#launch-name", "text": "picked"}),
        json!({"choose": "#launch-suite", "value": "local.jsonl"}),
        json!({"click": "#launch-agents input[data-agent=local]"}),
        json!({"wait": format!("document.querySelector('#launch-agents select[data-agent=local] option[value=\"{LOCAL_PICKED}\"]')")}),
        json!({"choose": "#launch-agents select[data-agent=local]", "value": LOCAL_PICKED}),
        json!({"click": "#launch-submit"}),
        json!({"wait": format!("{} && document.getElementById('run-title').textContent === 'picked'", ready("run"))}),
        json!({"wait": format!("{} === 'finished' && {} === '2/2'", text("#run-status"), text("#progress-count")), "timeout_ms": 30000}),
    ]);
    // A slow run, cancelled from its page.
    steps.extend(launch("slow", "slow.jsonl", "slow", &["exact"]));
    steps.extend([
        json!({"wait": format!("{} === 'running' && document.getElementById('cancel-run')", text("#run-status"))}),
        json!({"click": "#cancel-run"}),
        json!({"wait": format!("{} === 'cancelled' && document.getElementById('resume-run')", text("#run-status")), "timeout_ms": 30000}),
        json!({"eval": text("#progress-count"), "name": "cancelled at"}),
        json!({"screenshot": "dashboard-cancelled", "full": true}),
        // The runs list, filtered.
        json!({"click": "#nav a[data-nav=runs]"}),
        json!({"wait": ready("runs")}),
        json!({"eval": "Array.prototype.map.call(document.querySelectorAll('#runs-body tr'), function (r) { return r.getAttribute('data-status'); })", "name": "runs"}),
        json!({"choose": "#filter-status", "value": "cancelled"}),
        json!({"wait": "document.querySelectorAll('#runs-body tr[data-run]').length === 1"}),
        json!({"eval": "location.search", "name": "filter query"}),
        json!({"screenshot": "dashboard-runs", "full": true}),
        json!({"eval": "typeof window.__xss", "name": "xss"}),
        // Sign out: the pages need signing in again.
        json!({"click": "#sign-out"}),
        json!({"wait": ready("login")}),
        json!({"goto": format!("{base}/app/"), "wait": ready("login")}),
    ]);
    let drive = drive(&tools, server.path(), Value::Array(steps), |_| {}).await;

    // Only the refusals the flow asked for: no exception, no console error.
    for problem in drive.problems().as_array().unwrap() {
        let text = problem["text"].as_str().unwrap_or("");
        let expected = problem["kind"] == "log.network"
            && [" 401 ", " 422 "]
                .iter()
                .any(|status| text.contains(status));
        assert!(
            expected,
            "unexpected problem {problem}; all: {:#?}",
            drive.problems()
        );
    }
    assert_eq!(
        lm.events(),
        [
            format!("load {LOCAL_PICKED}"),
            format!("chat {LOCAL_PICKED}"),
            format!("chat {LOCAL_PICKED}")
        ],
        "the picked model was loaded, then ran the run"
    );
    assert_eq!(drive.eval("wrong password"), "wrong email or password");
    assert!(drive.eval("home").as_str().unwrap().ends_with("/runs"));
    assert_eq!(drive.eval("who"), ADMIN_EMAIL);
    assert_eq!(drive.eval("workspaces"), 1);
    assert_eq!(drive.eval("agent error field"), "config.colour");
    assert_eq!(drive.eval("fast key"), "sealed");
    assert_eq!(drive.eval("edit hides the key"), true);
    assert_eq!(drive.eval("test reply"), HOSTILE);
    assert_eq!(drive.eval("test scripts"), 0);
    assert_eq!(drive.eval("spare after one click"), true);
    let kinds = drive.eval("evaluator kinds");
    for kind in ["exact", "includes", "regex", "numeric"] {
        assert!(kinds.as_array().unwrap().contains(&json!(kind)), "{kinds}");
    }
    assert!(
        !kinds.as_array().unwrap().contains(&json!("judge")),
        "judge needs a config"
    );
    assert_eq!(
        drive.eval("suites"),
        &json!(["local.jsonl", "mixed.jsonl", "slow.jsonl"])
    );
    assert_eq!(drive.eval("launch error field"), "samples");
    assert_eq!(drive.eval("samples marked"), true);

    // The first run was watched live: running before finished, with its count moving.
    let seen: Vec<String> = drive
        .eval("seen")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let running = seen.iter().position(|s| s.starts_with("running "));
    let finished = seen.iter().position(|s| s == "finished 3/3");
    assert!(
        matches!((running, finished), (Some(r), Some(f)) if r < f),
        "{seen:?}"
    );
    assert_eq!(drive.eval("pass rate"), "66.7%");
    assert_eq!(drive.eval("summary"), &json!(["fast-model", "3", "2", "1"]));
    assert_eq!(drive.eval("stopped buttons"), true);
    assert_eq!(drive.eval("hostile reply"), HOSTILE);
    assert_eq!(drive.eval("hostile prompt"), HOSTILE);
    assert_eq!(drive.eval("attempt scripts"), 0);
    assert_eq!(drive.eval("verdict"), "passed");
    assert_eq!(drive.eval("changes"), &json!(["loose:improvement"]));
    assert!(drive
        .eval("delta")
        .as_str()
        .unwrap()
        .starts_with("+33.3 pts"));
    assert_eq!(drive.eval("all cases"), 3);
    assert_eq!(drive.eval("leaderboard"), &json!(["fast-model 100.0%"]));
    let cancelled_at = drive.eval("cancelled at").as_str().unwrap().to_owned();
    let recorded: u64 = cancelled_at.split('/').next().unwrap().parse().unwrap();
    assert!(
        recorded < 40 && cancelled_at.ends_with("/40"),
        "{cancelled_at}"
    );
    assert_eq!(
        drive.eval("runs"),
        &json!(["cancelled", "finished", "finished", "finished"])
    );
    assert_eq!(drive.eval("filter query"), "?status=cancelled");
    assert_eq!(drive.eval("xss"), "undefined");
    for name in ["dashboard-run", "dashboard-compare", "dashboard-attempt"] {
        assert!(
            screenshots_dir().join(format!("{name}.png")).is_file(),
            "{name}.png"
        );
    }

    // What the pages did is what the store holds.
    let api = Api::admin(base).await;
    let ws = api.first_workspace().await;
    let runs = api.get(&format!("/api/workspaces/{ws}/runs")).await;
    let statuses: Vec<(&str, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("slow", "cancelled"),
            ("picked", "finished"),
            ("second", "finished"),
            ("first", "finished")
        ]
    );
    let agents = api.get(&format!("/api/workspaces/{ws}/agents")).await;
    let names: Vec<&str> = agents
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    // The picked local model is kept as a saved agent of its own.
    assert_eq!(
        names,
        ["fast", "local", &format!("local@{LOCAL_PICKED}"), "slow"]
    );
    // Six attempts and one test prompt reached the fast model; the slow one stopped early.
    assert_eq!(fast.stats().requests, 7);
    assert!(slow.stats().requests < 40);
}
