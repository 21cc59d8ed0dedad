//! An agent's own `system_prompt` reaches the wire first, in each provider's own place.

use benchcore::{Agent, AgentRequest, Message};
use benchcore_providers::{AnthropicConfig, OpenRouterConfig};
use benchcore_tests::servers::anthropic::AnthropicServer;
use benchcore_tests::servers::{OpenAiServer, ServerConfig};

fn request() -> AgentRequest {
    AgentRequest::new(vec![Message::system("case rules"), Message::user("hi")])
}

#[tokio::test]
async fn openrouter_sends_the_agent_prompt_as_the_first_system_message() {
    let server = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    let agent = OpenRouterConfig::new("meta-llama/llama-3.1-8b-instruct")
        .with_base_url(server.base_url())
        .with_api_key("or-key")
        .with_system_prompt("You are terse.")
        .build()
        .unwrap();
    agent.respond(&request()).await.unwrap();
    let messages = server.requests()[0]["messages"].clone();
    assert_eq!(
        messages[0],
        serde_json::json!({"role": "system", "content": "You are terse."})
    );
    assert_eq!(messages[1]["content"], "case rules");
    assert_eq!(messages[2]["content"], "hi");
}

#[tokio::test]
async fn anthropic_puts_the_agent_prompt_first_in_the_system_field() {
    let server = AnthropicServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    let agent = AnthropicConfig::new("claude-3-5-haiku-latest")
        .with_base_url(server.base_url())
        .with_api_key("sk-ant-test")
        .with_system_prompt("You are terse.")
        .build()
        .unwrap();
    agent.respond(&request()).await.unwrap();
    let body = &server.requests()[0];
    let system = body["system"].as_str().unwrap_or_default();
    assert!(system.starts_with("You are terse."), "{body}");
    assert!(system.contains("case rules"), "{body}");
    assert_eq!(body["messages"][0]["role"], "user");
}
