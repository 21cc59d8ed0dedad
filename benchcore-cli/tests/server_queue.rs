//! `benchcore serve` on PostgreSQL, where runs go through the work queue: several servers and
//! `benchcore worker --all-workspaces` processes share a run's attempts; a cancel through any
//! server stops the claims and a resume starts them again; a server or worker killed mid-run
//! gives its attempts back when its leases run out; and each attempt is recorded once.

mod support;

use benchcore_tests::servers::OpenAiServer;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::team::{echo_suite, read_events, Api, TeamServer};
use support::PgSchema;

const KEY: &str = "sk-queue-secret-0123456789";

async fn mock(latency_ms: u64) -> OpenAiServer {
    support::team::keyed_model(latency_ms, KEY).await
}

async fn setup(api: &Api, model: &OpenAiServer) -> String {
    let ws = api.first_workspace().await;
    let config = json!({"kind": "openai_compatible", "model": "m", "base_url": model.base_url(), "api_key": KEY});
    let (status, body) = api
        .call(
            "PUT",
            &format!("/api/workspaces/{ws}/agents/mock"),
            Some(config),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    ws
}

async fn launch(api: &Api, ws: &str, concurrency: usize) -> String {
    let spec = json!({"suite": "echo.jsonl", "agents": ["mock"], "evaluators": [{"kind": "exact"}], "concurrency": concurrency});
    let (status, run) = api
        .call("POST", &format!("/api/workspaces/{ws}/runs"), Some(spec))
        .await;
    assert_eq!(status, 201, "{run}");
    run["id"].as_str().unwrap().to_owned()
}

async fn recorded(api: &Api, ws: &str, run: &str) -> (Value, u64) {
    let body = api.get(&format!("/api/workspaces/{ws}/runs/{run}")).await;
    let recorded = body["recorded"].as_u64().unwrap();
    (body, recorded)
}

/// Waits until the run's recorded count stays the same for a second.
async fn settled(api: &Api, ws: &str, run: &str) -> u64 {
    let (_, mut last) = recorded(api, ws, run).await;
    loop {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let (_, now) = recorded(api, ws, run).await;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// `benchcore worker --all-workspaces` over `store`, leasing for a second.
fn worker(store: &str, dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_benchcore"))
        .args([
            "--store",
            store,
            "worker",
            "--all-workspaces",
            "--lease",
            "1",
            "--poll",
            "0.2",
            "-q",
        ])
        .current_dir(dir)
        .env("BENCHCORE_ENCRYPTION_KEY", support::team::VAULT_KEY)
        .env_remove("BENCHCORE_WORKSPACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// Two servers share a run's attempts; a cancel through one stops every claim, a resume
/// through the other starts them again; the run ends with every attempt sent and recorded
/// once.
#[tokio::test(flavor = "multi_thread")]
async fn servers_share_a_run_and_a_cancel_through_either_stops_it() {
    let schema = PgSchema::new("team_queue");
    let model = mock(30).await;
    let suites = [("echo.jsonl", echo_suite(120).leak() as &str)];
    let first = TeamServer::start(Some(&schema.url), &suites);
    let second = TeamServer::start(Some(&schema.url), &suites);
    let api = Api::admin(&first.base).await.with_token("one").await;
    let ws = setup(&api, &model).await;
    let run = launch(&api, &ws, 4).await;
    let other = Api {
        base: second.base.clone(),
        ..api.clone()
    };
    // The other server follows it live from the store.
    let mut events = other
        .request("GET", &format!("/api/workspaces/{ws}/runs/{run}/events"))
        .send()
        .await
        .unwrap();
    let seen = read_events(&mut events, |name, _, data| {
        name == "progress" && data["recorded"].as_u64() > Some(0)
    })
    .await;
    assert_eq!(seen.last().unwrap().2["total"], 120);
    let (status, body) = other
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let stopped = settled(&api, &ws, &run).await;
    let (body, _) = recorded(&api, &ws, &run).await;
    assert_eq!(body["status"], "cancelled");
    assert!(stopped < 120, "{stopped}");
    let sent = model.stats().requests;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        recorded(&api, &ws, &run).await.1,
        stopped,
        "nothing recorded once stopped"
    );
    assert_eq!(model.stats().requests, sent, "nothing sent once stopped");
    // Resumed through the other server: the queued attempts are claimed again.
    let (status, body) = other
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/resume"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let finished = api.wait_for_run(&ws, &run).await;
    assert_eq!(finished["status"], "finished");
    assert_eq!(finished["summary"]["agents"][0]["n"], 120);
    assert_eq!(finished["summary"]["agents"][0]["passed"], 120);
    assert_eq!(model.stats().requests, 120, "each attempt sent once");
    let ready = Api::anonymous(&first.base).get("/ready").await;
    assert!(ready["queue"]["worker_loops"].is_u64(), "{ready}");
}

/// Runs launched on a server without a worker loop wait on the queue; a `benchcore worker`
/// process runs them; killed mid-run, its attempts go to the next worker when its leases
/// run out; a server restart loses nothing.
#[tokio::test(flavor = "multi_thread")]
async fn workers_run_queued_runs_and_a_killed_one_gives_its_attempts_back() {
    let schema = PgSchema::new("team_workers");
    let model = mock(40).await;
    let suites = [("echo.jsonl", echo_suite(60).leak() as &str)];
    let mut server =
        TeamServer::start_with(Some(&schema.url), &suites, &["--local-worker", "false"]);
    let api = Api::admin(&server.base).await.with_token("ci").await;
    let ws = setup(&api, &model).await;
    let run = launch(&api, &ws, 2).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (body, count) = recorded(&api, &ws, &run).await;
    assert_eq!(
        (body["status"].as_str(), count),
        (Some("running"), 0),
        "queued, not run"
    );

    let mut first = worker(&schema.url, server.path());
    for _ in 0..200 {
        if recorded(&api, &ws, &run).await.1 >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = first.kill(); // SIGKILL: its leases run out
    let _ = first.wait();
    let at_kill = recorded(&api, &ws, &run).await.1;
    assert!((5..60).contains(&at_kill), "{at_kill}");
    // The server restarts meanwhile; nothing is lost.
    assert!(server.stop().success());
    server.restart();
    let api = Api {
        base: server.base.clone(),
        ..api
    };
    let mut second = worker(&schema.url, server.path());
    let finished = api.wait_for_run(&ws, &run).await;
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(finished["status"], "finished");
    assert_eq!(finished["summary"]["agents"][0]["n"], 60, "{finished}");
    assert_eq!(finished["summary"]["agents"][0]["passed"], 60);
    let requests = model.stats().requests;
    // Only attempts in flight (or claimed ahead) at the kill are sent again.
    assert!((60..=70).contains(&requests), "{requests} requests");
}
