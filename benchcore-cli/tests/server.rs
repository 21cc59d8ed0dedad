//! `benchcore serve` end to end over loopback HTTP and WebSocket: sign in, tokens, a managed
//! agent whose key is sealed, a run launched from a spec against a loopback OpenAI-compatible
//! server, live progress over SSE and WebSocket with reconnects, cancel, resume, rerun,
//! delete, and a restart that resumes an interrupted run without redoing an attempt; on a
//! SQLite file and on PostgreSQL (where runs go through the work queue: `server_queue.rs`).

mod support;

use benchcore_tests::servers::OpenAiServer;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use support::team::{echo_suite, read_events, Api, TeamServer, ADMIN_EMAIL};
use support::PgSchema;

const KEY: &str = "sk-team-secret-0123456789";

async fn mock(latency_ms: u64) -> OpenAiServer {
    support::team::keyed_model(latency_ms, KEY).await
}

/// Saves agent `mock` (the loopback server, with its key) in `workspace`.
async fn save_agent(api: &Api, workspace: &str, base_url: &str) {
    let config =
        json!({"kind": "openai_compatible", "model": "m", "base_url": base_url, "api_key": KEY});
    let (status, body) = api
        .call(
            "PUT",
            &format!("/api/workspaces/{workspace}/agents/mock"),
            Some(config),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

fn spec(suite: &str, concurrency: usize) -> Value {
    json!({
        "suite": {"name": suite},
        "agents": [{"name": "mock", "config": {"kind": "saved", "name": "mock"}}],
        "evaluators": [{"kind": "exact"}],
        "concurrency": concurrency,
    })
}

async fn launch(api: &Api, workspace: &str, body: Value) -> String {
    let (status, run) = api
        .call(
            "POST",
            &format!("/api/workspaces/{workspace}/runs"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    run["id"].as_str().unwrap().to_owned()
}

async fn api_flow(store: Option<&str>) {
    let model = mock(0).await;
    let server = TeamServer::start(store, &[("echo.jsonl", &echo_suite(6))]);
    let (session, set_cookie) =
        Api::login(&server.base, ADMIN_EMAIL, support::team::ADMIN_PASSWORD).await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let me = session.get("/api/me").await;
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert!(me["csrf"].is_string());
    let ws = session.first_workspace().await;
    assert!(ws.starts_with("w_") && ws.len() == 18, "{ws}");

    // A token for scripts: shown once, listed without its secret, last use recorded.
    let api = session.with_token("ci").await;
    let tokens = api.get("/api/tokens").await;
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert!(
        tokens[0].get("token").is_none() && tokens[0]["last_used_at_ms"].is_u64(),
        "{tokens}"
    );

    // A managed agent: the key is sealed and never read back; a test prompt works.
    save_agent(&api, &ws, &model.base_url()).await;
    let agent = api.get(&format!("/api/workspaces/{ws}/agents/mock")).await;
    assert_eq!(agent["has_secrets"], true);
    assert!(agent["config"].get("api_key").is_none(), "{agent}");
    let agents = api.get(&format!("/api/workspaces/{ws}/agents")).await;
    assert_eq!(agents[0]["name"], "mock");
    let (status, tested) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/agents/mock/test"),
            Some(json!({"prompt": "hello there"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(tested["ok"], true, "{tested}");
    assert_eq!(tested["text"], "hello there");
    let suites = api.get(&format!("/api/workspaces/{ws}/suites")).await;
    assert_eq!(suites[0]["name"], "echo.jsonl");

    // Launch, follow live to the end, read the result.
    let run = launch(&api, &ws, spec("echo.jsonl", 2)).await;
    let mut response = api
        .request("GET", &format!("/api/workspaces/{ws}/runs/{run}/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = read_events(&mut response, |name, _, _| name == "done").await;
    let last_progress = events
        .iter()
        .rev()
        .find(|(n, _, _)| n == "progress")
        .unwrap();
    assert_eq!(last_progress.2["recorded"], 6, "{events:?}");
    assert_eq!(last_progress.2["pass_rate"], 1.0);
    assert_eq!(events.last().unwrap().2["status"], "finished");
    let detail = api.wait_for_run(&ws, &run).await;
    assert_eq!(detail["status"], "finished");
    assert_eq!(detail["summary"]["agents"][0]["passed"], 6, "{detail}");
    assert!(detail["spec"]["artifacts_dir"]
        .as_str()
        .unwrap()
        .starts_with(server.path().join("data").to_str().unwrap()));
    assert_eq!(
        model.stats().requests,
        7,
        "six attempts and one test prompt"
    );

    // The WebSocket channel of a finished run: its attempts, the state, then done and a
    // normal close.
    let url = format!(
        "{}/api/workspaces/{ws}/runs/{run}/ws",
        server.base.replace("http://", "ws://")
    );
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    let support::team::Auth::Token(token) = &api.auth else {
        unreachable!()
    };
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut types = Vec::new();
    while let Some(Ok(frame)) = socket.next().await {
        match frame {
            tokio_tungstenite::tungstenite::Message::Text(text) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                types.push(message["type"].as_str().unwrap().to_owned());
            }
            tokio_tungstenite::tungstenite::Message::Close(frame) => {
                assert_eq!(u16::from(frame.unwrap().code), 1000);
                break;
            }
            _ => {}
        }
    }
    let _ = socket.close(None).await;
    // Without a resume point a client gets every kept attempt message first.
    assert_eq!(
        types,
        ["attempt", "attempt", "attempt", "attempt", "attempt", "attempt", "progress", "done"]
    );

    // Results: one attempt's detail, the leaderboard, a comparison (with itself), and the
    // API's error form for what is not there.
    let agent = detail["summary"]["agents"][0]["agent"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempt = api
        .get(&format!(
            "/api/workspaces/{ws}/runs/{run}/attempt?case=c001&agent={agent}&sample=0"
        ))
        .await;
    assert_eq!(attempt["outcome"], "passed", "{attempt}");
    assert!(attempt.to_string().contains("echo 1"), "{attempt}");
    let (status, missing) = api
        .call(
            "GET",
            &format!("/api/workspaces/{ws}/runs/{run}/attempt?case=nope&agent={agent}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "not_found", "{missing}");
    let board = api.get(&format!("/api/workspaces/{ws}/leaderboard")).await;
    assert_eq!(board[0]["run_id"], run.as_str(), "{board}");
    let compared = api
        .get(&format!("/api/workspaces/{ws}/compare?a={run}&b={run}"))
        .await;
    assert!(compared.is_object(), "{compared}");

    // Listed, rerun (nothing failed: nothing is sent again), deleted.
    let runs = api
        .get(&format!("/api/workspaces/{ws}/runs?status=finished"))
        .await;
    assert_eq!(runs[0]["id"], run.as_str());
    assert_eq!(runs[0]["recorded"], 6);
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/rerun-failed"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    api.wait_for_run(&ws, &run).await;
    assert_eq!(model.stats().requests, 7);
    let (status, _) = api
        .call("DELETE", &format!("/api/workspaces/{ws}/runs/{run}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .call("GET", &format!("/api/workspaces/{ws}/runs/{run}"), None)
        .await;
    assert_eq!(status, 404);

    // Operations.
    let health = Api::anonymous(&server.base).get("/health").await;
    assert_eq!(health["status"], "ok");
    let ready = Api::anonymous(&server.base).get("/ready").await;
    assert_eq!(ready["store"], "reachable");
    let metrics = Api::anonymous(&server.base)
        .request("GET", "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("benchcore_runs_launched_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("benchcore_attempts_total{outcome=\"passed\"} 6"),
        "{metrics}"
    );
    assert!(
        metrics.contains("benchcore_provider_latency_ms_count 6"),
        "{metrics}"
    );

    // The key was in no answer above and is in no log line.
    assert!(!server.log_text().contains(KEY));
    assert!(
        server.log_text().contains("answered"),
        "request lines are logged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_flow_on_sqlite() {
    api_flow(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api_flow_on_postgres() {
    let schema = PgSchema::new("team_api");
    api_flow(Some(&schema.url)).await;
}

/// A reconnecting client gets exactly what it missed, over SSE (`Last-Event-ID`) and over
/// WebSocket (`?after=`).
#[tokio::test(flavor = "multi_thread")]
async fn live_streams_resume_where_the_client_left() {
    let model = mock(60).await;
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(12))]);
    let api = Api::admin(&server.base).await.with_token("live").await;
    let ws = api.first_workspace().await;
    save_agent(&api, &ws, &model.base_url()).await;
    let run = launch(&api, &ws, spec("echo.jsonl", 1)).await;
    let path = format!("/api/workspaces/{ws}/runs/{run}/events");

    let mut first = api.request("GET", &path).send().await.unwrap();
    let mut attempts = 0;
    let early = read_events(&mut first, |name, _, _| {
        attempts += usize::from(name == "attempt");
        attempts == 3
    })
    .await;
    drop(first);
    let seqs = |events: &[(String, Option<String>, Value)]| -> Vec<u64> {
        events
            .iter()
            .filter(|(name, _, _)| name == "attempt")
            .map(|(_, id, data)| {
                assert_eq!(
                    id.as_deref().map(str::parse::<u64>).unwrap().unwrap(),
                    data["seq"]
                );
                data["seq"].as_u64().unwrap()
            })
            .collect()
    };
    assert_eq!(seqs(&early), [1, 2, 3]);
    let progress = early.iter().find(|(n, _, _)| n == "progress").unwrap();
    assert_eq!(progress.2["total"], 12);

    // Away for a while, then back with the last id seen.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = api
        .request("GET", &path)
        .header("last-event-id", "3")
        .send()
        .await
        .unwrap();
    let rest = read_events(&mut again, |name, _, _| name == "done").await;
    assert_eq!(seqs(&rest), (4..=12).collect::<Vec<_>>(), "{rest:?}");
    let keys: std::collections::BTreeSet<String> = early
        .iter()
        .chain(&rest)
        .filter(|(n, _, _)| n == "attempt")
        .map(|(_, _, d)| d["key"]["case_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 12, "every attempt once");

    // The WebSocket channel resumes the same way.
    let url = format!(
        "{}/api/workspaces/{ws}/runs/{run}/ws?after=9",
        server.base.replace("http://", "ws://")
    );
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    let support::team::Auth::Token(token) = &api.auth else {
        unreachable!()
    };
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut resumed = Vec::new();
    while let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = socket.next().await {
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["type"] == "attempt" {
            resumed.push(message["seq"].as_u64().unwrap());
        }
        if message["type"] == "done" {
            break;
        }
    }
    let _ = socket.close(None).await;
    assert_eq!(resumed, [10, 11, 12]);

    // A seq this server never gave (a client of an earlier server): reset, then the state.
    let mut stale = api
        .request("GET", &format!("{path}?after=500"))
        .send()
        .await
        .unwrap();
    let events = read_events(&mut stale, |name, _, _| name == "done").await;
    assert_eq!(events[0].0, "reset");
    assert_eq!(events[1].2["recorded"], 12);
}

/// Cancel stops a run; resume finishes it; a SIGTERM hands a running run back and the next
/// start resumes it; no attempt is recorded twice, and only those in flight at an
/// interruption are sent again.
#[tokio::test(flavor = "multi_thread")]
async fn cancel_resume_and_restart_redo_nothing() {
    let model = mock(40).await;
    let mut server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(30))]);
    let api = Api::admin(&server.base).await.with_token("ops").await;
    let ws = api.first_workspace().await;
    save_agent(&api, &ws, &model.base_url()).await;

    let run = launch(&api, &ws, spec("echo.jsonl", 2)).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let cancelled = api.wait_for_run(&ws, &run).await;
    assert_eq!(cancelled["status"], "cancelled");
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 409, "a stopped run cannot be cancelled");
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/resume"),
            None,
        )
        .await;
    assert_eq!(status, 202);

    // Interrupted by a graceful stop mid-run, then resumed by the next start.
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(server.stop().success());
    let stored = benchcore_store::connect(&server.store).await.unwrap();
    let workspace = benchcore::Workspace::new(ws.clone()).unwrap();
    let info = stored
        .store()
        .get_run(&workspace, &run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        info.status,
        benchcore::RunStatus::Running,
        "handed back, not cancelled"
    );
    assert!(
        info.recorded < 30,
        "stopped mid-run ({} recorded)",
        info.recorded
    );
    stored.close().await;
    server.restart();
    let api = Api {
        base: server.base.clone(),
        ..api
    };
    let finished = api.wait_for_run(&ws, &run).await;
    assert_eq!(finished["status"], "finished");
    assert_eq!(finished["summary"]["agents"][0]["passed"], 30, "{finished}");
    assert_eq!(
        finished["summary"]["agents"][0]["n"], 30,
        "each attempt recorded once"
    );
    // Attempts in flight at an interruption are dropped, not recorded, and sent again:
    // at most the run's concurrency (2) per interruption.
    let requests = model.stats().requests;
    assert!((30..=34).contains(&requests), "{requests} requests");
    assert!(server.log_text().contains(&format!("resumed run {run}")));
}
