//! A cost a gateway reports comes before the price table: the body's `usage.cost` first,
//! then LiteLLM's `x-litellm-response-cost` header.

use benchcore::{Agent, AgentRequest, Message};
use benchcore_providers::OpenAiCompatConfig;
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use serde_json::json;

fn completion(usage: serde_json::Value) -> String {
    json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
           "usage": usage})
    .to_string()
}

#[tokio::test]
async fn the_gateway_cost_header_prices_a_reply_without_a_body_cost() {
    let server = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let header = vec![("x-litellm-response-cost".to_owned(), "0.0123".to_owned())];
    server.push_script(vec![
        Scripted::Raw {
            status: 200,
            headers: header.clone(),
            body: completion(json!({"prompt_tokens": 3, "completion_tokens": 1})),
        },
        Scripted::Raw {
            status: 200,
            headers: header,
            body: completion(json!({"prompt_tokens": 3, "completion_tokens": 1, "cost": 0.5})),
        },
        Scripted::Raw {
            status: 200,
            headers: vec![("x-litellm-response-cost".to_owned(), "-1".to_owned())],
            body: completion(json!({})),
        },
    ]);
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .build()
        .unwrap();
    let ask = AgentRequest::new(vec![Message::user("hi")]);
    assert_eq!(agent.respond(&ask).await.unwrap().cost_usd, Some(0.0123));
    assert_eq!(
        agent.respond(&ask).await.unwrap().cost_usd,
        Some(0.5),
        "the body's cost wins"
    );
    assert_eq!(
        agent.respond(&ask).await.unwrap().cost_usd,
        None,
        "a negative cost is ignored"
    );
}
