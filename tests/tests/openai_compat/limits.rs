//! Body limits, deadlines, seeded faults, concurrency, configs and the mock-openai binary.

use super::*;

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
    // A refusal in place of content is the reply's text, and its stop reason says so.
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.usage),
        ("I can't help with that.", None)
    );
    assert_eq!(
        reply.stop_reason,
        Some(benchcore::agent::StopReason::Refusal)
    );
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
