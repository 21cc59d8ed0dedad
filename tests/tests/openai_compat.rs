//! The OpenAI-compatible agent and the loopback server, beyond the shared behaviour suite:
//! the exact wire format both ways, error details, limits, concurrency and the
//! `mock-openai` binary.

use benchcore::{Agent, AgentErrorKind, AgentRequest, Message, Sampling, Usage};
use benchcore_providers::{
    build_agent, AgentConfig, OpenAiCompatConfig, OpenAiConfig, OpenRouterConfig,
};
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "sk-loopback-secret-0123";

async fn server() -> OpenAiServer {
    OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap()
}

fn agent(server: &OpenAiServer) -> benchcore_providers::OpenAiCompatAgent {
    OpenAiCompatConfig::new("mock-model", server.base_url())
        .build()
        .unwrap()
}

fn ask(text: &str) -> AgentRequest {
    AgentRequest::new(vec![Message::user(text)])
}

fn raw(status: u16, body: serde_json::Value) -> Scripted {
    Scripted::Raw {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

#[tokio::test]
async fn the_default_reply_echoes_the_question_and_counts_words() {
    let server = server().await;
    let reply = agent(&server)
        .respond(&ask("What is two plus three?"))
        .await
        .unwrap();
    assert_eq!(reply.text, "What is two plus three?");
    assert_eq!(reply.usage, Some(Usage::new(5, 5)));
    assert_eq!(reply.model.as_deref(), Some("mock-model"));
    assert!(reply.latency.is_some());
    assert_eq!(server.stats().replies, 1);
}

#[tokio::test]
async fn the_request_body_matches_the_reference() {
    let server = server().await;
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .with_temperature(1.0)
        .with_max_tokens(64)
        .with_seed(9)
        .build()
        .unwrap();
    // Config defaults alone.
    agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({
            "model": "mock-model",
            "messages": [{"role": "user", "content": "hi"}],
            "temperature": 1.0,
            "max_tokens": 64,
            "seed": 9,
            "stream": false
        })
    );
    // The request's sampling wins field by field.
    let mut sampling = Sampling::default();
    sampling.temperature = Some(0.0);
    sampling.seed = Some(1);
    let request = AgentRequest::new(vec![Message::system("Be terse."), Message::user("hi")])
        .with_sampling(sampling);
    agent.respond(&request).await.unwrap();
    let body = server.requests().pop().unwrap();
    assert_eq!(body["temperature"], json!(0.0));
    assert_eq!(body["max_tokens"], json!(64));
    assert_eq!(body["seed"], json!(1));
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be terse."})
    );
}

#[tokio::test]
async fn unset_sampling_is_not_sent() {
    let server = server().await;
    agent(&server).respond(&ask("hi")).await.unwrap();
    let body = server.requests().pop().unwrap();
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["messages", "model", "stream"]);
}

#[tokio::test]
async fn the_reply_matches_the_reference() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let body: serde_json::Value = client
        .post(format!("{}/chat/completions", server.base_url()))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "one two"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["id"].as_str().unwrap().starts_with("chatcmpl-"),
        "{body}"
    );
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(body["model"], "m");
    assert_eq!(body["choices"][0]["index"], 0);
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], "one two");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4})
    );
}

#[tokio::test]
async fn server_errors_have_the_reference_shape() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let url = format!("{}/chat/completions", server.base_url());
    let response = client.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"].as_object().unwrap().contains_key("param"));
    assert!(body["error"].as_object().unwrap().contains_key("code"));

    let response = client
        .post(&url)
        .json(&json!({"messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "model");

    let response = client
        .get(format!("{}/nothing", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Unknown request URL"));
    assert_eq!(server.stats().bad_requests, 2);
}

#[tokio::test]
async fn the_key_and_headers_are_sent() {
    let server = OpenAiServer::start(ServerConfig::default().with_api_key(KEY).recording())
        .await
        .unwrap();
    let openai = OpenAiConfig::new("gpt-mock")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
        .with_organization("org-1")
        .with_project("proj-1")
        .with_header("X-Custom", "yes")
        .build()
        .unwrap();
    openai.respond(&ask("hi")).await.unwrap();
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(headers["openai-organization"], "org-1");
    assert_eq!(headers["openai-project"], "proj-1");
    assert_eq!(headers["x-custom"], "yes");
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers["user-agent"].starts_with("benchcore/"));

    let mut router = OpenRouterConfig::new("vendor/model")
        .with_base_url(server.base_url())
        .with_api_key(KEY);
    router.referer = Some("https://example.org".into());
    router.title = Some("benchcore tests".into());
    router.build().unwrap().respond(&ask("hi")).await.unwrap();
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["http-referer"], "https://example.org");
    assert_eq!(headers["x-title"], "benchcore tests");
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_auth_and_never_shown() {
    let server = OpenAiServer::start(ServerConfig::default().with_api_key(KEY))
        .await
        .unwrap();
    let wrong = "sk-wrong-key-4567";
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .with_api_key(wrong)
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert_eq!(err.http_status, Some(401));
    assert!(err.message.contains("Incorrect API key provided"), "{err}");
    let shown = format!("{err} {err:?} {agent:?}");
    assert!(!shown.contains(wrong) && !shown.contains(KEY), "{shown}");
    assert!(
        err.message.ends_with("(sent the API key given as api_key)"),
        "{err}"
    );

    let err = OpenAiCompatConfig::new("m", server.base_url())
        .build()
        .unwrap()
        .respond(&ask("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(
        err.message
            .ends_with("(sent no API key: none is configured)"),
        "{err}"
    );
    assert_eq!(server.stats().unauthorized, 2);
}

#[tokio::test]
async fn an_echoed_key_is_masked() {
    let server = server().await;
    server.push_script(vec![raw(
        401,
        json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
    )]);
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .with_api_key(KEY)
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(
        err.message.contains("Incorrect API key provided: ***."),
        "{err}"
    );
}

#[tokio::test]
async fn insufficient_quota_is_auth_not_rate_limited() {
    let server = server().await;
    server.push_script(vec![raw(
        429,
        json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}),
    )]);
    let err = agent(&server).respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(!err.is_retryable());
    assert!(err.message.contains("billing"), "{err}");
}

#[tokio::test]
async fn retry_after_is_read_in_every_form() {
    let server = server().await;
    let date = std::time::SystemTime::now() + Duration::from_secs(30);
    let http_date = http_date(date);
    server.push_script(vec![
        Scripted::Raw {
            status: 429,
            headers: vec![("retry-after-ms".into(), "250".into()), ("retry-after".into(), "9".into())],
            body: json!({"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}).to_string(),
        },
        Scripted::Raw {
            status: 429,
            headers: vec![("retry-after".into(), http_date)],
            body: "{}".into(),
        },
        Scripted::RateLimited { retry_after_secs: None },
        Scripted::Raw {
            status: 503,
            headers: vec![("retry-after".into(), "4".into())],
            body: "overloaded".into(),
        },
    ]);
    let agent = agent(&server);
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (
            AgentErrorKind::RateLimited,
            Some(Duration::from_millis(250))
        )
    );
    assert_eq!(err.message, "slow down (code rate_limit_exceeded)");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    let wait = err.retry_after.unwrap();
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (AgentErrorKind::RateLimited, None)
    );
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (AgentErrorKind::Transient, Some(Duration::from_secs(4)))
    );
    assert_eq!(err.message, "overloaded");
}

/// An IMF-fixdate for `at`, written by hand to keep the test free of date crates.
fn http_date(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    // Civil-from-days (Howard Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][month as usize - 1];
    format!("{weekday}, {d:02} {month_name} {year} {h:02}:{m:02}:{s:02} GMT")
}

#[tokio::test]
async fn cost_null_content_and_missing_choices() {
    let server = server().await;
    server.push_script(vec![
        raw(
            200,
            json!({"id": "gen-1", "object": "chat.completion", "created": 1, "model": "vendor/model",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": "priced"}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12, "cost": 0.00042}}),
        ),
        raw(
            200,
            json!({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}, "finish_reason": "stop"}]}),
        ),
        raw(200, json!({"id": "x", "object": "chat.completion"})),
        raw(200, json!({"error": {"message": "Upstream provider failed", "code": 502}})),
    ]);
    let agent = agent(&server);
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.cost_usd, reply.usage),
        ("priced", Some(0.00042), Some(Usage::new(10, 2)))
    );
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!((reply.text.as_str(), reply.usage), ("", None));
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply);
    assert!(err.message.contains("choices"), "{err}");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient);
    assert_eq!(err.message, "Upstream provider failed (code 502)");
}

#[tokio::test]
async fn oversized_bodies_are_cut_off() {
    let server = server().await;
    server.push_script(vec![
        Scripted::Oversized { bytes: 4096 },
        Scripted::Oversized { bytes: 300_000 },
    ]);
    let small = OpenAiCompatConfig::new("m", server.base_url())
        .with_max_response_bytes(1024)
        .build()
        .unwrap();
    let err = small.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply);
    assert!(err.message.contains("larger than 1024 bytes"), "{err}");
    // Under the default 8 MiB limit a big body is fine.
    let reply = agent(&server).respond(&ask("hi")).await.unwrap();
    assert_eq!(reply.text.len(), 300_000);
    // A declared Content-Length over the limit is refused before reading.
    server.push_script(vec![Scripted::reply("x".repeat(2000))]);
    let err = small.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply);
    assert_eq!(server.stats().oversized, 2);
}

#[tokio::test]
async fn a_truncated_body_is_transient() {
    let server = server().await;
    server.push_script(vec![Scripted::Truncated]);
    let err = agent(&server).respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient, "{err}");
    // The agent recovers on the next request.
    agent(&server).respond(&ask("hi")).await.unwrap();
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let agent = OpenAiCompatConfig::new("m", format!("http://127.0.0.1:{port}/v1"))
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient, "{err}");
    assert!(err.message.contains("could not connect"), "{err}");
    assert_eq!(err.provider.as_deref(), Some("m"));
}

#[tokio::test]
async fn timeout_ms_and_deadlines_bound_the_exchange() {
    let server = server().await;
    server.push_script(vec![Scripted::Slow {
        delay: Duration::from_secs(5),
        text: "late".into(),
    }]);
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .with_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout);
    assert!(err.message.contains("timeout_ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // A deadline already passed sends nothing.
    let before = server.stats().requests;
    let err = agent
        .respond(&ask("hi").with_deadline(Instant::now()))
        .await
        .unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout);
    assert_eq!(server.stats().requests, before);

    // A slow reply inside the deadline arrives.
    server.push_script(vec![Scripted::Slow {
        delay: Duration::from_millis(50),
        text: "in time".into(),
    }]);
    let reply = agent
        .respond(&ask("hi").with_deadline(Instant::now() + Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(reply.text, "in time");
}

#[tokio::test]
async fn faults_are_seeded_and_counted() {
    let config = ServerConfig {
        rate_429: 0.2,
        rate_500: 0.2,
        rate_malformed: 0.1,
        retry_after_secs: 0,
        seed: 7,
        ..ServerConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = OpenAiServer::start(config.clone()).await.unwrap();
        let agent = agent(&server);
        let mut kinds = Vec::new();
        for i in 0..200 {
            kinds.push(
                agent
                    .respond(&ask(&format!("q{i}")))
                    .await
                    .map(|r| r.text)
                    .map_err(|e| e.kind),
            );
        }
        let stats = server.stats();
        assert_eq!(stats.requests, 200);
        assert_eq!(
            stats.replies + stats.rate_limited + stats.server_errors + stats.malformed,
            200
        );
        assert!((20..=60).contains(&stats.rate_limited), "{stats:?}");
        assert!((20..=60).contains(&stats.server_errors), "{stats:?}");
        assert!((5..=40).contains(&stats.malformed), "{stats:?}");
        runs.push(kinds);
    }
    assert_eq!(runs[0], runs[1], "the same seed must give the same faults");
}

#[tokio::test]
async fn random_hangs_end_at_the_deadline() {
    let config = ServerConfig {
        rate_hang: 1.0,
        ..ServerConfig::default()
    };
    let server = OpenAiServer::start(config).await.unwrap();
    let request = ask("hi").with_deadline(Instant::now() + Duration::from_millis(100));
    let err = agent(&server).respond(&request).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout);
    assert_eq!(server.stats().hangs, 1);
    // Stopping the server releases the hung request.
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_requests_share_the_pool() {
    let server =
        OpenAiServer::start(ServerConfig::default().with_latency(Duration::from_millis(20)))
            .await
            .unwrap();
    let agent: Arc<dyn Agent> = Arc::new(agent(&server));
    let started = Instant::now();
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let agent = Arc::clone(&agent);
            tokio::spawn(async move { agent.respond(&ask(&format!("question {i}"))).await })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let reply = task.await.unwrap().unwrap();
        assert_eq!(reply.text, format!("question {i}"));
    }
    assert_eq!(server.stats().replies, 500);
    // 500 requests at 20 ms each would take 10 s one at a time.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn configs_build_agents_that_reach_the_server() {
    let server = server().await;
    let spec = format!("openai_compatible:mock-model@{}", server.base_url());
    let config = AgentConfig::parse_spec(&spec).unwrap();
    let agent = build_agent(&config).unwrap();
    assert_eq!(agent.name(), "mock-model");
    assert_eq!(agent.respond(&ask("ping")).await.unwrap().text, "ping");
    let stored = config.to_stored();
    let rebuilt = build_agent(&serde_json::from_value(stored).unwrap()).unwrap();
    assert_eq!(rebuilt.respond(&ask("pong")).await.unwrap().text, "pong");
}

#[tokio::test]
async fn the_mock_openai_binary_serves_until_killed() {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-openai"))
        .args([
            "--port",
            "0",
            "--latency-ms",
            "1",
            "--rate-429=0",
            "--seed",
            "3",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the binary prints its address")
    .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1"),
        "{base_url}"
    );
    let agent = OpenAiCompatConfig::new("m", base_url).build().unwrap();
    assert_eq!(
        agent.respond(&ask("hello binary")).await.unwrap().text,
        "hello binary"
    );
    child.kill().await.unwrap();

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-openai"))
        .args(["--rate-429", "2"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("--rate-429: `2` is not a share between 0 and 1"));
}

fn streaming(server: &OpenAiServer) -> benchcore_providers::OpenAiCompatAgent {
    OpenAiCompatConfig::new("mock-model", server.base_url())
        .with_stream(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_streamed_request_asks_for_usage_and_joins_the_chunks() {
    let server = OpenAiServer::start(
        ServerConfig::default()
            .recording()
            .with_stream_chunk_delay(Duration::from_millis(30)),
    )
    .await
    .unwrap();
    server.push_script(vec![Scripted::Streamed {
        chunks: vec!["Hel".into(), "lo, ".into(), "Ada".into(), "!".into()],
        usage: Some(Usage::new(12, 5)),
    }]);
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .with_stream(true)
        .with_temperature(0.5)
        .build()
        .unwrap();
    assert!(agent.capabilities().streaming && agent.streams());
    let reply = agent.respond(&ask("Greet Ada")).await.unwrap();
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({
            "model": "mock-model",
            "messages": [{"role": "user", "content": "Greet Ada"}],
            "temperature": 0.5,
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
    assert_eq!(
        server.request_headers().pop().unwrap()["accept"],
        "text/event-stream"
    );
    assert_eq!(reply.text, "Hello, Ada!");
    assert_eq!(reply.usage, Some(Usage::new(12, 5)));
    assert_eq!(reply.model.as_deref(), Some("mock-model"));
    let first = reply.time_to_first_token.unwrap();
    let latency = reply.latency.unwrap();
    // Eight events 30 ms apart: the first text is the second event.
    assert!(
        first + Duration::from_millis(100) < latency,
        "first token {first:?}, latency {latency:?}"
    );
    assert_eq!(server.stats().streamed, 1);
    // The default echo streams too, word by word.
    let reply = agent.respond(&ask("one two three")).await.unwrap();
    assert_eq!(reply.text, "one two three");
    assert_eq!(reply.usage, Some(Usage::new(3, 3)));
}

#[tokio::test]
async fn the_stream_matches_the_reference() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let url = format!("{}/chat/completions", server.base_url());
    let events = |include_usage: bool| {
        let mut body = json!({"model": "m", "stream": true,
                              "messages": [{"role": "user", "content": "one two"}]});
        if include_usage {
            body["stream_options"] = json!({"include_usage": true});
        }
        let request = client.post(&url).json(&body);
        async move {
            let response = request.send().await.unwrap();
            assert!(response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream"));
            let text = response.text().await.unwrap();
            assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
            text.lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter(|d| *d != "[DONE]")
                .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap())
                .collect::<Vec<_>>()
        }
    };
    let chunks = events(true).await;
    assert_eq!(chunks.len(), 5, "{chunks:?}");
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk" && c["id"] == chunks[0]["id"]));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[1]["choices"][0]["delta"], json!({"content": "one "}));
    assert_eq!(chunks[2]["choices"][0]["delta"], json!({"content": "two"}));
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert!(chunks[..4]
        .iter()
        .all(|c| c["usage"].is_null() && c.as_object().unwrap().contains_key("usage")));
    assert_eq!(chunks[4]["choices"], json!([]));
    assert_eq!(
        chunks[4]["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4})
    );
    // Without include_usage: no usage chunk, and no usage field at all.
    let chunks = events(false).await;
    assert_eq!(chunks.len(), 4);
    assert!(chunks
        .iter()
        .all(|c| !c.as_object().unwrap().contains_key("usage")));
}

#[tokio::test]
async fn stream_failures_have_their_kinds() {
    let server = server().await;
    server.push_script(vec![
        Scripted::StreamError,
        Scripted::Truncated,
        Scripted::Malformed,
        Scripted::Oversized { bytes: 200_000 },
        Scripted::Overloaded,
    ]);
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .with_stream(true)
        .with_max_response_bytes(100_000)
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient, "{err}");
    assert!(err.message.contains("The server had an error"), "{err}");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient, "{err}");
    assert!(err.message.contains("cut off"), "{err}");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply, "{err}");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply, "{err}");
    assert!(
        err.message
            .contains("larger than 100000 bytes (max_response_bytes)"),
        "{err}"
    );
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.http_status),
        (AgentErrorKind::Transient, Some(503))
    );
    assert!(err.message.contains("overloaded"), "{err}");
    // The agent recovers on the next request.
    assert_eq!(agent.respond(&ask("fine")).await.unwrap().text, "fine");
    let stats = server.stats();
    assert_eq!(
        (
            stats.stream_errors,
            stats.truncated,
            stats.malformed,
            stats.oversized,
            stats.overloaded
        ),
        (1, 1, 1, 1, 1)
    );
}

#[tokio::test]
async fn streams_without_done_and_servers_that_ignore_stream() {
    let server = server().await;
    let stream = |body: &str| Scripted::Raw {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body: body.to_owned(),
    };
    let chunk = |content: &str, finish: Option<&str>| {
        format!(
            "data: {}\n\n",
            json!({"object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]})
        )
    };
    server.push_script(vec![
        // A finish_reason but no [DONE]: complete.
        stream(&format!("{}{}", chunk("ok", None), chunk("", Some("stop")))),
        // Neither: the stream was cut short.
        stream(&chunk("partial", None)),
        // A server that ignores `stream` and answers whole.
        Scripted::Raw {
            status: 200,
            headers: Vec::new(),
            body: json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "whole"}}]})
                .to_string(),
        },
    ]);
    let agent = streaming(&server);
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!((reply.text.as_str(), reply.usage), ("ok", None));
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient);
    assert!(err.message.contains("[DONE]"), "{err}");
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.time_to_first_token),
        ("whole", None)
    );
}

#[tokio::test]
async fn presets_stream_too() {
    let server = server().await;
    let agent = OpenAiConfig::new("gpt-mock")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
        .with_stream(true)
        .build()
        .unwrap();
    let reply = agent.respond(&ask("streamed preset")).await.unwrap();
    assert_eq!(reply.text, "streamed preset");
    assert!(reply.time_to_first_token.is_some());
    assert_eq!(server.requests().pop().unwrap()["stream"], true);
}
