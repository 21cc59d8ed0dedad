//! Streaming: usage, chunks, failures and presets.

use super::*;

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
