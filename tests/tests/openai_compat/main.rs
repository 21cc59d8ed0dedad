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

mod limits;
mod streaming;
mod wire;
