//! OpenAI managed prompts: an `openai` agent with a `prompt_id` calls the Responses API.
//! Checks the exact request the loopback server receives, the reading of its reply, errors,
//! and building from configs.

use benchcore::{Agent, AgentErrorKind, AgentRequest, Message, Role, Sampling, Usage};
use benchcore_providers::{build_agent, AgentConfig, OpenAiCompatAgent, OpenAiConfig};
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use serde_json::json;

const KEY: &str = "sk-loopback-responses-0123";

async fn server() -> OpenAiServer {
    OpenAiServer::start(ServerConfig::default().with_api_key(KEY).recording())
        .await
        .unwrap()
}

fn prompted(server: &OpenAiServer) -> OpenAiConfig {
    OpenAiConfig::from_prompt("pmpt_68ab")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
}

fn agent(server: &OpenAiServer) -> OpenAiCompatAgent {
    prompted(server).build().unwrap()
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
async fn the_request_names_the_prompt_and_sends_the_conversation() {
    let server = server().await;
    let agent = prompted(&server)
        .with_prompt_version("4")
        .with_prompt_variable("city", "Paris")
        .with_prompt_variable("tone", "dry")
        .with_organization("org-1")
        .build()
        .unwrap();
    assert_eq!(agent.name(), "pmpt_68ab");
    let request = AgentRequest::new(vec![
        Message::system("Be brief."),
        Message::user("Hello"),
        Message::assistant("Hi."),
        Message::new(Role::Tool, "sunny"),
        Message::user("Weather?"),
    ]);
    agent.respond(&request).await.unwrap();
    assert_eq!(server.request_paths(), ["/v1/responses"]);
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({
            "prompt": {"id": "pmpt_68ab", "version": "4",
                       "variables": {"city": "Paris", "tone": "dry"}},
            "input": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": "Hi."},
                {"role": "user", "content": "sunny"},
                {"role": "user", "content": "Weather?"}
            ]
        })
    );
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(headers["openai-organization"], "org-1");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["accept"], "application/json");
}

#[tokio::test]
async fn a_model_and_sampling_are_sent_when_set() {
    let server = server().await;
    let agent = OpenAiConfig::new("gpt-4o")
        .with_prompt("pmpt_1")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
        .with_temperature(0.3)
        .build()
        .unwrap();
    assert_eq!(agent.name(), "gpt-4o");
    let sampling = Sampling::default().with_max_tokens(99).with_seed(5);
    agent
        .respond(&ask("hi").with_sampling(sampling))
        .await
        .unwrap();
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({
            "model": "gpt-4o",
            "prompt": {"id": "pmpt_1"},
            "input": [{"role": "user", "content": "hi"}],
            "temperature": 0.3,
            "max_output_tokens": 99
        })
    );
}

#[tokio::test]
async fn the_reply_is_read_from_the_output_items() {
    let server = server().await;
    let reply = agent(&server)
        .respond(&ask("What is two plus three?"))
        .await
        .unwrap();
    assert_eq!(reply.text, "What is two plus three?");
    assert_eq!(reply.usage, Some(Usage::new(5, 5)));
    // The prompt's own model answered.
    assert_eq!(reply.model.as_deref(), Some("gpt-mock-prompted"));
    assert!(reply.latency.is_some());
    assert_eq!(server.stats().replies, 1);
}

#[tokio::test]
async fn the_server_answers_in_the_reference_shape() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let body: serde_json::Value = client
        .post(format!("{}/responses", server.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"prompt": {"id": "pmpt_1", "variables": {"a": "b"}}, "input": "one two"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("resp_"), "{body}");
    assert_eq!(body["object"], "response");
    assert_eq!(body["status"], "completed");
    assert_eq!(
        body["prompt"],
        json!({"id": "pmpt_1", "variables": {"a": "b"}})
    );
    assert_eq!(body["output"][0]["type"], "message");
    assert_eq!(body["output"][0]["role"], "assistant");
    assert_eq!(
        body["output"][0]["content"][0],
        json!({"type": "output_text", "text": "one two", "annotations": []})
    );
    assert_eq!(body["usage"]["input_tokens"], 2);
    assert_eq!(body["usage"]["output_tokens"], 2);
    assert_eq!(body["usage"]["total_tokens"], 4);
    // Neither a model nor a prompt: refused as OpenAI refuses it.
    let response = client
        .post(format!("{}/responses", server.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "model");
}

#[tokio::test]
async fn output_text_wins_and_other_items_are_skipped() {
    let server = server().await;
    server.push_script(vec![
        raw(
            200,
            json!({"id": "resp_1", "object": "response", "status": "completed", "model": "gpt-x",
                   "output_text": "from output_text",
                   "output": [{"type": "message", "role": "assistant",
                               "content": [{"type": "output_text", "text": "from items"}]}],
                   "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}}),
        ),
        raw(
            200,
            json!({"id": "resp_2", "object": "response", "status": "completed", "model": "gpt-x",
                   "output": [
                       {"type": "reasoning", "id": "rs_1", "summary": []},
                       {"type": "message", "role": "assistant", "content": [
                           {"type": "output_text", "text": "Paris", "annotations": []},
                           {"type": "refusal", "refusal": "no"},
                           {"type": "output_text", "text": " is sunny.", "annotations": []}]}],
                   "usage": {"input_tokens": 30, "output_tokens": 4, "total_tokens": 34}}),
        ),
    ]);
    let agent = agent(&server);
    let reply = agent.respond(&ask("x")).await.unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.usage),
        ("from output_text", Some(Usage::new(3, 2)))
    );
    let reply = agent.respond(&ask("x")).await.unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.usage),
        ("Paris is sunny.", Some(Usage::new(30, 4)))
    );
}

#[tokio::test]
async fn errors_have_their_kinds() {
    let server = server().await;
    server.push_script(vec![
        Scripted::RateLimited {
            retry_after_secs: Some(2),
        },
        raw(
            400,
            json!({"error": {"message": "Prompt 'pmpt_68ab' has no version '9'.", "type": "invalid_request_error", "param": "prompt.version", "code": null}}),
        ),
        raw(
            200,
            json!({"id": "resp_3", "object": "response", "status": "failed", "output": [],
                   "error": {"code": "server_error", "message": "The model failed to respond."}}),
        ),
        Scripted::Unauthorized,
        Scripted::Malformed,
        Scripted::Truncated,
        raw(200, json!({"id": "resp_4", "object": "response"})),
    ]);
    let agent = agent(&server);
    let mut kinds = Vec::new();
    for _ in 0..7 {
        let err = agent.respond(&ask("x")).await.unwrap_err();
        kinds.push((err.kind, err.retry_after.map(|d| d.as_secs())));
        if err.kind == AgentErrorKind::BadRequest {
            assert!(err.message.contains("no version '9'"), "{err}");
        }
    }
    assert_eq!(
        kinds,
        [
            (AgentErrorKind::RateLimited, Some(2)),
            (AgentErrorKind::BadRequest, None),
            (AgentErrorKind::Transient, None),
            (AgentErrorKind::Auth, None),
            (AgentErrorKind::MalformedReply, None),
            (AgentErrorKind::Transient, None),
            (AgentErrorKind::MalformedReply, None),
        ]
    );
}

#[tokio::test]
async fn configs_with_a_prompt_build_store_and_rebuild() {
    let server = server().await;
    let configs = AgentConfig::from_json(
        &json!([{"kind": "openai", "prompt_id": "pmpt_cfg", "prompt_version": "2",
                 "prompt_variables": {"lang": "fr"}, "base_url": server.base_url(), "api_key": KEY}])
        .to_string(),
    )
    .unwrap();
    assert_eq!(configs[0].name(), "pmpt_cfg");
    let agent = build_agent(&configs[0]).unwrap();
    assert!(!agent.capabilities().seed);
    assert_eq!(
        agent.respond(&ask("bonjour")).await.unwrap().text,
        "bonjour"
    );
    assert_eq!(
        server.requests().pop().unwrap()["prompt"],
        json!({"id": "pmpt_cfg", "version": "2", "variables": {"lang": "fr"}})
    );
    let stored = configs[0].to_stored();
    assert!(!stored.to_string().contains(KEY), "{stored}");
    assert_eq!(stored["prompt_id"], "pmpt_cfg");
    let back: AgentConfig = serde_json::from_value(stored).unwrap();
    assert_eq!(back.name(), "pmpt_cfg");

    let err = AgentConfig::from_json(r#"{"kind": "openai"}"#).unwrap_err();
    assert_eq!(
        err.field.as_deref(),
        Some("agents.<unnamed>.model"),
        "{err}"
    );
    assert!(err.message.contains("prompt_id"), "{err}");
    let err = AgentConfig::from_json(r#"{"kind": "openai", "model": "m", "prompt_version": "1"}"#)
        .unwrap_err();
    assert_eq!(
        err.field.as_deref(),
        Some("agents.m.prompt_version"),
        "{err}"
    );
}

#[tokio::test]
async fn a_streamed_managed_prompt_reads_deltas_usage_and_time_to_first_token() {
    let server = server().await;
    let agent = prompted(&server).with_stream(true).build().unwrap();
    server.push_script(vec![Scripted::Streamed {
        chunks: vec!["Bon".into(), "jour".into()],
        usage: Some(Usage::new(11, 2)),
    }]);
    let reply = agent.respond(&ask("Say hello in French")).await.unwrap();
    assert_eq!(reply.text, "Bonjour");
    assert_eq!(reply.usage, Some(Usage::new(11, 2)));
    assert!(reply.time_to_first_token.is_some());
    assert!(agent.capabilities().streaming);
    assert_eq!(server.requests()[0]["stream"], true);
}

#[tokio::test]
async fn a_streamed_managed_prompt_cut_off_or_failing_is_classified() {
    let server = server().await;
    let agent = prompted(&server).with_stream(true).build().unwrap();
    server.push_script(vec![
        Scripted::Truncated,
        Scripted::StreamError,
        Scripted::Malformed,
    ]);
    let kinds: Vec<AgentErrorKind> = [
        agent.respond(&ask("a")).await,
        agent.respond(&ask("b")).await,
        agent.respond(&ask("c")).await,
    ]
    .into_iter()
    .map(|r| r.unwrap_err().kind)
    .collect();
    assert_eq!(
        kinds,
        [
            AgentErrorKind::Transient,
            AgentErrorKind::Transient,
            AgentErrorKind::MalformedReply
        ]
    );
    // A whole stream after the failures still reads.
    assert_eq!(agent.respond(&ask("ok")).await.unwrap().text, "ok");
}
