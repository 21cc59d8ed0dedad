//! Tool use over each provider's wire format, against loopback servers that speak (and
//! check) the format as its reference documents it: tools and tool choice sent, several
//! calls per reply read whole and streamed, arguments that are not JSON kept as such, tool
//! results sent back by call id, and the stop reason of every reply.

use benchcore::agent::{StopReason, ToolCall, ToolChoice, ToolSpec};
use benchcore::{Agent, AgentErrorKind, AgentReply, AgentRequest, Message};
use benchcore_providers::{AnthropicConfig, OpenAiCompatConfig, OpenAiConfig};
use benchcore_tests::servers::{
    AnthropicServer, OpenAiServer, Scripted, ScriptedCall, ServerConfig,
};
use serde_json::{json, Value};

const KEY: &str = "sk-loopback-tools-0123";

fn weather() -> ToolSpec {
    ToolSpec::new(
        "get_weather",
        "The weather in a city.",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )
}

fn asking() -> AgentRequest {
    AgentRequest::new(vec![Message::user("Weather in Paris and Oslo?")])
        .with_tools(vec![weather()], Some(ToolChoice::Required))
}

/// Two parallel calls; the second's arguments are cut off mid-JSON.
fn two_calls() -> Scripted {
    Scripted::ToolCalls {
        text: String::new(),
        calls: vec![
            ScriptedCall::new("call_a", "get_weather", r#"{"city": "Paris"}"#),
            ScriptedCall::new("call_b", "get_weather", r#"{"city": "Os"#),
        ],
    }
}

/// The follow-up: the calls made, their results (one an error), the next question.
fn answering(calls: &[ToolCall]) -> AgentRequest {
    let mut messages = vec![
        Message::user("Weather in Paris and Oslo?"),
        Message::assistant_calls("", calls.to_vec()),
        Message::tool_result(&calls[0].id, "rain, 12°C", false),
        Message::tool_result(&calls[1].id, "arguments were not JSON", true),
    ];
    messages.push(Message::user("Thanks. Which is warmer?"));
    AgentRequest::new(messages).with_tools(vec![weather()], None)
}

fn assert_two_calls(reply: &AgentReply, invalid_second: bool) {
    assert_eq!(reply.stop_reason, Some(StopReason::ToolUse), "{reply:?}");
    assert_eq!(reply.tool_calls.len(), 2, "{reply:?}");
    let first = &reply.tool_calls[0];
    assert_eq!(
        (first.id.as_str(), first.name.as_str()),
        ("call_a", "get_weather")
    );
    assert_eq!(first.arguments, json!({"city": "Paris"}));
    let second = &reply.tool_calls[1];
    assert_eq!(second.id, "call_b");
    if invalid_second {
        let invalid = second.invalid_arguments.as_ref().expect("marked invalid");
        assert_eq!(invalid.raw, r#"{"city": "Os"#);
    }
}

async fn openai() -> OpenAiServer {
    OpenAiServer::start(ServerConfig::default().with_api_key(KEY).recording())
        .await
        .unwrap()
}

#[tokio::test]
async fn chat_completions_tools_whole_and_streamed() {
    for stream in [false, true] {
        let server = openai().await;
        let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
            .with_api_key(KEY)
            .with_stream(stream)
            .build()
            .unwrap();
        assert!(agent.capabilities().tools);
        server.push_script(vec![two_calls()]);
        let reply = agent.respond(&asking()).await.unwrap();
        assert_two_calls(&reply, true);
        let sent = &server.requests()[0];
        assert_eq!(
            sent["tools"],
            json!([{"type": "function", "function": {"name": "get_weather",
                "description": "The weather in a city.", "parameters": weather().parameters}}])
        );
        assert_eq!(sent["tool_choice"], json!("required"));

        server.push_script(vec![Scripted::reply("Paris is warmer.")]);
        let reply = agent.respond(&answering(&reply.tool_calls)).await.unwrap();
        assert_eq!(reply.text, "Paris is warmer.");
        assert_eq!(reply.stop_reason, Some(StopReason::EndTurn));
        let sent = &server.requests()[1];
        let messages = sent["messages"].as_array().unwrap();
        assert_eq!(messages[1]["content"], Value::Null);
        assert_eq!(
            messages[1]["tool_calls"][1]["function"]["arguments"],
            r#"{"city": "Os"#
        );
        assert_eq!(
            messages[2],
            json!({"role": "tool", "content": "rain, 12°C", "tool_call_id": "call_a"})
        );
        assert_eq!(messages[3]["content"], "Error: arguments were not JSON");
        assert!(sent.get("tool_choice").is_none());

        server.push_script(vec![Scripted::MaxTokens {
            text: "Paris is".into(),
        }]);
        let reply = agent.respond(&asking()).await.unwrap();
        assert_eq!(
            (reply.text.as_str(), reply.stop_reason),
            ("Paris is", Some(StopReason::MaxTokens))
        );
    }
}

#[tokio::test]
async fn responses_api_function_calls_whole_and_streamed() {
    for stream in [false, true] {
        let server = openai().await;
        let agent = OpenAiConfig::from_prompt("pmpt_tools")
            .with_base_url(server.base_url())
            .with_api_key(KEY)
            .with_stream(stream)
            .build()
            .unwrap();
        server.push_script(vec![two_calls()]);
        let reply = agent.respond(&asking()).await.unwrap();
        assert_two_calls(&reply, true);
        let sent = &server.requests()[0];
        assert_eq!(sent["tools"][0]["name"], "get_weather");
        assert_eq!(sent["tools"][0]["type"], "function");
        assert_eq!(sent["tool_choice"], json!("required"));

        server.push_script(vec![Scripted::reply("Paris.")]);
        let reply = agent.respond(&answering(&reply.tool_calls)).await.unwrap();
        assert_eq!(reply.stop_reason, Some(StopReason::EndTurn));
        let input = server.requests()[1]["input"].clone();
        assert_eq!(
            input[1],
            json!({"type": "function_call", "call_id": "call_a",
            "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"})
        );
        assert_eq!(
            input[3],
            json!({"type": "function_call_output", "call_id": "call_a", "output": "rain, 12°C"})
        );

        server.push_script(vec![Scripted::MaxTokens {
            text: "Paris".into(),
        }]);
        let reply = agent.respond(&asking()).await.unwrap();
        assert_eq!(
            reply.stop_reason,
            Some(StopReason::MaxTokens),
            "stream {stream}"
        );
    }
}

#[tokio::test]
async fn anthropic_tool_use_whole_and_streamed() {
    for stream in [false, true] {
        let server = AnthropicServer::start(ServerConfig::default().with_api_key(KEY).recording())
            .await
            .unwrap();
        let agent = AnthropicConfig::new("claude-mock")
            .with_base_url(server.base_url())
            .with_api_key(KEY)
            .with_stream(stream)
            .build()
            .unwrap();
        server.push_script(vec![Scripted::ToolCalls {
            text: "Let me check.".into(),
            calls: vec![
                ScriptedCall::new("call_a", "get_weather", r#"{"city": "Paris"}"#),
                ScriptedCall::new("call_b", "get_weather", r#"{"city": "Oslo"}"#),
            ],
        }]);
        let reply = agent.respond(&asking()).await.unwrap();
        assert_two_calls(&reply, false);
        assert_eq!(reply.text, "Let me check.");
        assert_eq!(reply.tool_calls[1].arguments, json!({"city": "Oslo"}));
        let sent = &server.requests()[0];
        assert_eq!(
            sent["tools"],
            json!([{"name": "get_weather", "description": "The weather in a city.",
                    "input_schema": weather().parameters}])
        );
        assert_eq!(sent["tool_choice"], json!({"type": "any"}));

        server.push_script(vec![Scripted::reply("Paris.")]);
        let reply = agent.respond(&answering(&reply.tool_calls)).await.unwrap();
        assert_eq!(reply.stop_reason, Some(StopReason::EndTurn));
        let messages = server.requests()[1]["messages"].clone();
        assert_eq!(messages[1]["content"][0]["type"], "tool_use");
        assert_eq!(
            messages[2]["content"][1],
            json!({"type": "tool_result", "tool_use_id": "call_b", "content": "arguments were not JSON", "is_error": true})
        );
        assert_eq!(
            messages[2]["content"][2],
            json!({"type": "text", "text": "Thanks. Which is warmer?"})
        );

        server.push_script(vec![Scripted::MaxTokens {
            text: "Paris".into(),
        }]);
        let reply = agent.respond(&asking()).await.unwrap();
        assert_eq!(reply.stop_reason, Some(StopReason::MaxTokens));
    }
}

#[tokio::test]
async fn a_result_answering_no_call_is_refused_by_every_server() {
    let stray = AgentRequest::new(vec![
        Message::user("Hi"),
        Message::tool_result("call_nobody_made", "42", false),
    ]);
    let server = openai().await;
    let chat = OpenAiCompatConfig::new("mock-model", server.base_url())
        .with_api_key(KEY)
        .build()
        .unwrap();
    let err = chat.respond(&stray).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest, "{err}");
    assert!(err.message.contains("call_nobody_made"), "{err}");
    let responses = OpenAiConfig::from_prompt("pmpt_x")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
        .build()
        .unwrap();
    let err = responses.respond(&stray).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest, "{err}");
    let server = AnthropicServer::start(ServerConfig::default().with_api_key(KEY))
        .await
        .unwrap();
    let anthropic = AnthropicConfig::new("claude-mock")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
        .build()
        .unwrap();
    let err = anthropic.respond(&stray).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest, "{err}");
}

#[tokio::test]
async fn a_named_tool_choice_and_no_tools_have_their_shapes() {
    let server = openai().await;
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .with_api_key(KEY)
        .build()
        .unwrap();
    let named = AgentRequest::new(vec![Message::user("Paris?")]).with_tools(
        vec![weather()],
        Some(ToolChoice::Tool {
            name: "get_weather".into(),
        }),
    );
    agent.respond(&named).await.unwrap();
    let plain = AgentRequest::new(vec![Message::user("Hi")]);
    let reply = agent.respond(&plain).await.unwrap();
    assert_eq!(reply.stop_reason, Some(StopReason::EndTurn));
    assert!(reply.tool_calls.is_empty());
    let sent = server.requests();
    assert_eq!(
        sent[0]["tool_choice"],
        json!({"type": "function", "function": {"name": "get_weather"}})
    );
    assert!(sent[1].get("tools").is_none() && sent[1].get("tool_choice").is_none());
}
