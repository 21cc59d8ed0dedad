//! The Anthropic agent and its loopback server, beyond the shared behaviour suite: the
//! exact request the server receives (body and headers), the reply both whole and
//! streamed, Anthropic's error shapes, limits, and building from configs.

use benchcore::{Agent, AgentErrorKind, AgentRequest, Message, Role, Sampling, Usage};
use benchcore_providers::{build_agent, AgentConfig, AnthropicAgent, AnthropicConfig};
use benchcore_tests::servers::{AnthropicServer, Scripted, ServerConfig};
use serde_json::json;
use std::time::{Duration, Instant};

const KEY: &str = "sk-ant-loopback-0123";

async fn server() -> AnthropicServer {
    AnthropicServer::start(ServerConfig::default().with_api_key(KEY).recording())
        .await
        .unwrap()
}

fn config(server: &AnthropicServer) -> AnthropicConfig {
    AnthropicConfig::new("claude-mock")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
}

fn agent(server: &AnthropicServer) -> AnthropicAgent {
    config(server).build().unwrap()
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
async fn the_request_body_and_headers_match_the_reference() {
    let server = server().await;
    let agent = config(&server)
        .with_temperature(0.7)
        .with_max_tokens(300)
        .with_header("anthropic-beta", "test-beta-2025")
        .build()
        .unwrap();
    let request = AgentRequest::new(vec![
        Message::system("Be brief."),
        Message::user("My name is Ada."),
        Message::user("Remember it."),
        Message::assistant("Noted, Ada."),
        Message::new(Role::Tool, "tool says 42"),
        Message::system("Answer in English."),
        Message::user("What is my name?"),
    ]);
    agent.respond(&request).await.unwrap();
    assert_eq!(server.request_headers().len(), 1);
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({
            "model": "claude-mock",
            "max_tokens": 300,
            "system": "Be brief.\n\nAnswer in English.",
            "messages": [
                {"role": "user", "content": "My name is Ada.\n\nRemember it."},
                {"role": "assistant", "content": "Noted, Ada."},
                {"role": "user", "content": "tool says 42\n\nWhat is my name?"}
            ],
            "temperature": 0.7
        })
    );
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["x-api-key"], KEY);
    assert_eq!(headers["anthropic-version"], "2023-06-01");
    assert_eq!(headers["anthropic-beta"], "test-beta-2025");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["accept"], "application/json");
    assert!(headers["user-agent"].starts_with("benchcore/"));
    assert!(!headers.contains_key("authorization"));
}

#[tokio::test]
async fn max_tokens_is_always_sent_and_the_request_wins() {
    let server = server().await;
    agent(&server).respond(&ask("hi")).await.unwrap();
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({"model": "claude-mock", "max_tokens": 1024,
               "messages": [{"role": "user", "content": "hi"}]})
    );
    let agent = config(&server)
        .with_max_tokens(50)
        .with_temperature(1.0)
        .build()
        .unwrap();
    let sampling = Sampling::default().with_max_tokens(7).with_seed(3);
    agent
        .respond(&ask("hi").with_sampling(sampling))
        .await
        .unwrap();
    let body = server.requests().pop().unwrap();
    assert_eq!(body["max_tokens"], 7);
    assert_eq!(body["temperature"], 1.0);
    // The Messages API takes no seed.
    assert!(body.get("seed").is_none(), "{body}");
}

#[tokio::test]
async fn a_version_header_in_the_config_replaces_the_default() {
    let server = server().await;
    config(&server)
        .with_header("anthropic-version", "2099-01-01")
        .build()
        .unwrap()
        .respond(&ask("hi"))
        .await
        .unwrap();
    assert_eq!(
        server.request_headers().pop().unwrap()["anthropic-version"],
        "2099-01-01"
    );
}

#[tokio::test]
async fn the_reply_carries_text_usage_and_model() {
    let server = server().await;
    let reply = agent(&server)
        .respond(&AgentRequest::new(vec![
            Message::system("Be kind."),
            Message::user("What is two plus three?"),
        ]))
        .await
        .unwrap();
    assert_eq!(reply.text, "What is two plus three?");
    // Word counts: the system prompt and the question in, the echo out.
    assert_eq!(reply.usage, Some(Usage::new(7, 5)));
    assert_eq!(reply.model.as_deref(), Some("claude-mock"));
    assert!(reply.latency.is_some());
    assert_eq!(reply.time_to_first_token, None);
    let stats = server.stats();
    assert_eq!((stats.replies, stats.streamed), (1, 0));
}

#[tokio::test]
async fn text_blocks_are_joined_and_other_blocks_skipped() {
    let server = server().await;
    server.push_script(vec![raw(
        200,
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
               "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                           {"type": "text", "text": "Five"},
                           {"type": "tool_use", "id": "toolu_1", "name": "calc", "input": {}},
                           {"type": "text", "text": "."}],
               "stop_reason": "end_turn", "stop_sequence": null,
               "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 0}}),
    )]);
    let reply = agent(&server).respond(&ask("2+3?")).await.unwrap();
    assert_eq!(reply.text, "Five.");
    assert_eq!(reply.usage, Some(Usage::new(12, 3)));
    assert_eq!(reply.model.as_deref(), Some("claude-x"));
}

#[tokio::test]
async fn a_streamed_reply_is_joined_and_timed() {
    let server = AnthropicServer::start(
        ServerConfig::default()
            .with_api_key(KEY)
            .recording()
            .with_stream_chunk_delay(Duration::from_millis(30)),
    )
    .await
    .unwrap();
    server.push_script(vec![Scripted::Streamed {
        chunks: vec!["Hel".into(), "lo, ".into(), "Ada".into(), "!".into()],
        usage: Some(Usage::new(21, 6)),
    }]);
    let agent = config(&server).with_stream(true).build().unwrap();
    assert!(agent.capabilities().streaming && agent.streams());
    let reply = agent.respond(&ask("Greet Ada")).await.unwrap();
    assert_eq!(reply.text, "Hello, Ada!");
    assert_eq!(reply.usage, Some(Usage::new(21, 6)));
    assert_eq!(reply.model.as_deref(), Some("claude-mock"));
    let first = reply.time_to_first_token.unwrap();
    let latency = reply.latency.unwrap();
    // Seven events 30 ms apart: the first text comes after 3 of them, the end after 8.
    assert!(
        first + Duration::from_millis(60) < latency,
        "first token {first:?}, latency {latency:?}"
    );
    let body = server.requests().pop().unwrap();
    assert_eq!(body["stream"], true);
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["accept"], "text/event-stream");
    assert_eq!(server.stats().streamed, 1);
}

#[tokio::test]
async fn the_stream_matches_the_reference() {
    let server = server().await;
    server.push_script(vec![Scripted::Streamed {
        chunks: vec!["a".into(), "b".into()],
        usage: Some(Usage::new(5, 2)),
    }]);
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let response = client
        .post(format!("{}/v1/messages", server.base_url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "m", "max_tokens": 10, "stream": true,
                      "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = response.text().await.unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let data: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(data[0]["message"]["usage"]["input_tokens"], 5);
    assert_eq!(data[3]["delta"], json!({"type": "text_delta", "text": "a"}));
    assert_eq!(data[6]["usage"], json!({"output_tokens": 2}));
    assert_eq!(data[6]["delta"]["stop_reason"], "end_turn");
}

#[tokio::test]
async fn errors_have_anthropics_shapes_and_kinds() {
    let server = server().await;
    server.push_script(vec![
        Scripted::Overloaded,
        Scripted::RateLimited {
            retry_after_secs: Some(4),
        },
        Scripted::ServerError,
        Scripted::Unauthorized,
        Scripted::ContextTooLong,
        raw(
            400,
            json!({"type": "error", "error": {"type": "invalid_request_error", "message": "temperature: Input should be less than or equal to 1"}}),
        ),
        raw(
            404,
            json!({"type": "error", "error": {"type": "not_found_error", "message": "model: claude-nope"}}),
        ),
        raw(
            403,
            json!({"type": "error", "error": {"type": "permission_error", "message": "Your API key does not have permission to use the specified resource."}}),
        ),
    ]);
    let agent = agent(&server);
    let next = || async { agent.respond(&ask("hi")).await.unwrap_err() };

    let err = next().await;
    assert_eq!(
        (err.kind, err.http_status),
        (AgentErrorKind::Transient, Some(529))
    );
    assert!(
        err.message
            .starts_with("Overloaded (overloaded_error) [request req_mock"),
        "{err}"
    );
    let err = next().await;
    assert_eq!(
        (err.kind, err.retry_after),
        (AgentErrorKind::RateLimited, Some(Duration::from_secs(4)))
    );
    assert!(err.message.contains("rate limit"), "{err}");
    let err = next().await;
    assert_eq!(
        (err.kind, err.http_status),
        (AgentErrorKind::Transient, Some(500))
    );
    let err = next().await;
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(
        err.message
            .starts_with("invalid x-api-key (authentication_error)"),
        "{err}"
    );
    assert!(
        err.message.ends_with("(sent the API key given as api_key)"),
        "{err}"
    );
    let err = next().await;
    assert_eq!(err.kind, AgentErrorKind::ContextTooLong);
    assert!(err.message.contains("prompt is too long"), "{err}");
    let err = next().await;
    assert_eq!(err.kind, AgentErrorKind::BadRequest);
    assert!(err.message.contains("temperature"), "{err}");
    let err = next().await;
    assert_eq!(err.kind, AgentErrorKind::BadRequest);
    let err = next().await;
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(!err.is_retryable());
    let stats = server.stats();
    assert_eq!(
        (
            stats.overloaded,
            stats.rate_limited,
            stats.server_errors,
            stats.unauthorized,
            stats.context_too_long,
            stats.raw
        ),
        (1, 1, 1, 1, 1, 3)
    );
}

#[tokio::test]
async fn a_wrong_key_is_refused_and_never_shown() {
    let server = server().await;
    let wrong = "sk-ant-wrong-4567";
    let agent = config(&server).with_api_key(wrong).build().unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.http_status),
        (AgentErrorKind::Auth, Some(401))
    );
    let shown = format!("{err} {err:?} {agent:?}");
    assert!(!shown.contains(wrong) && !shown.contains(KEY), "{shown}");
    assert_eq!(err.provider.as_deref(), Some("claude-mock"));
}

#[tokio::test]
async fn stream_failures_have_their_kinds() {
    let server = server().await;
    server.push_script(vec![
        Scripted::StreamError,
        Scripted::Truncated,
        Scripted::Malformed,
        Scripted::Oversized { bytes: 200_000 },
    ]);
    let agent = config(&server)
        .with_stream(true)
        .with_max_response_bytes(100_000)
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.http_status),
        (AgentErrorKind::Transient, None)
    );
    assert_eq!(err.message, "Overloaded (overloaded_error)");
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
    // The agent recovers on the next request.
    assert_eq!(agent.respond(&ask("again")).await.unwrap().text, "again");
    let stats = server.stats();
    assert_eq!(
        (
            stats.stream_errors,
            stats.truncated,
            stats.malformed,
            stats.oversized
        ),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn a_stream_that_ends_early_is_truncated_and_an_error_event_is_classified() {
    let server = server().await;
    let stream = |body: &str| Scripted::Raw {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        body: body.to_owned(),
    };
    server.push_script(vec![
        // Ends cleanly, but before message_stop.
        stream(
            "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"model\": \"m\", \"usage\": {\"input_tokens\": 1}}}\n\n\
             event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hi\"}}\n\n",
        ),
        stream(
            "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"rate_limit_error\", \"message\": \"slow down\"}}\n\n",
        ),
        // A server that ignores `stream` and answers whole is read whole.
        raw(
            200,
            json!({"type": "message", "model": "m", "content": [{"type": "text", "text": "whole"}],
                   "usage": {"input_tokens": 1, "output_tokens": 1}}),
        ),
    ]);
    let agent = config(&server).with_stream(true).build().unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient);
    assert!(err.message.contains("message_stop"), "{err}");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::RateLimited);
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.time_to_first_token),
        ("whole", None)
    );
}

#[tokio::test]
async fn timeouts_and_deadlines_bound_the_exchange() {
    let server = server().await;
    server.push_script(vec![Scripted::Slow {
        delay: Duration::from_secs(5),
        text: "late".into(),
    }]);
    let agent = config(&server)
        .with_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout);
    assert!(err.message.contains("timeout_ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let before = server.stats().requests;
    let err = agent
        .respond(&ask("hi").with_deadline(Instant::now()))
        .await
        .unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout);
    assert_eq!(server.stats().requests, before);
}

#[tokio::test]
async fn the_server_checks_what_the_api_checks() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let url = format!("{}/v1/messages", server.base_url());
    let send = |body: serde_json::Value, version: bool| {
        let mut request = client.post(&url).header("x-api-key", KEY).json(&body);
        if version {
            request = request.header("anthropic-version", "2023-06-01");
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let good =
        json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]});
    let (status, body) = send(good.clone(), false).await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["request_id"].as_str().unwrap().starts_with("req_"));
    let (status, body) = send(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}),
        true,
    )
    .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (400, Some("max_tokens: Field required"))
    );
    let (status, body) = send(
        json!({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}),
        true,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("messages.0.role"));
    let (status, body) = send(good, true).await;
    assert_eq!((status, body["type"].as_str()), (200, Some("message")));
    assert_eq!(body["content"][0], json!({"type": "text", "text": "x"}));
    let response = client
        .get(format!("{}/v1/nothing", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "not_found_error");
    assert_eq!(server.stats().bad_requests, 3);
}

#[tokio::test]
async fn faults_are_seeded_like_the_openai_servers() {
    let config = ServerConfig {
        rate_429: 0.3,
        rate_500: 0.3,
        retry_after_secs: 0,
        seed: 11,
        ..ServerConfig::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = AnthropicServer::start(config.clone()).await.unwrap();
        let agent = AnthropicConfig::new("m")
            .with_base_url(server.base_url())
            .with_api_key("any")
            .build()
            .unwrap();
        let mut kinds = Vec::new();
        for i in 0..60 {
            kinds.push(
                agent
                    .respond(&ask(&format!("q{i}")))
                    .await
                    .map_err(|e| e.kind),
            );
        }
        let stats = server.stats();
        assert_eq!(stats.replies + stats.rate_limited + stats.server_errors, 60);
        assert!(
            stats.rate_limited > 5 && stats.server_errors > 5,
            "{stats:?}"
        );
        runs.push(
            kinds
                .into_iter()
                .map(|k| k.map(|r| r.text))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn configs_build_agents_that_reach_the_server() {
    let server = server().await;
    let configs = AgentConfig::from_json(
        &json!([{"kind": "anthropic", "model": "claude-mock", "base_url": server.base_url(),
                 "api_key": KEY, "stream": true, "max_tokens": 64}])
        .to_string(),
    )
    .unwrap();
    let agent = build_agent(&configs[0]).unwrap();
    assert_eq!(agent.name(), "claude-mock");
    assert!(agent.capabilities().streaming);
    let reply = agent.respond(&ask("ping")).await.unwrap();
    assert_eq!(reply.text, "ping");
    assert!(reply.time_to_first_token.is_some());
    assert_eq!(server.requests().pop().unwrap()["max_tokens"], 64);
    let stored = configs[0].to_stored();
    assert!(!stored.to_string().contains(KEY), "{stored}");
    assert_eq!(
        AgentConfig::parse_spec("anthropic:claude-mock")
            .unwrap()
            .kind(),
        "anthropic"
    );
}
