//! The public agent behaviour suite, run on every provider against its loopback wire server.

use benchcore::testkit::agent::{AgentHarness, ObservedRequest, ScriptStep};
use benchcore::{async_trait, Agent, Message, Role, Sampling};
use benchcore_providers::{AnthropicConfig, OpenAiCompatConfig, OpenAiConfig, OpenRouterConfig};
use benchcore_tests::servers::{AnthropicServer, OpenAiServer, Scripted, ServerConfig};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-loopback-test-key";

/// The reply size limit every harness builds its agents with.
const LIMIT: u64 = 64 * 1024;

/// A server config that records requests, wants [`KEY`], and spaces streamed events a
/// little apart so the time to the first token is visibly shorter than the latency.
fn server_config() -> ServerConfig {
    ServerConfig::default()
        .with_api_key(KEY)
        .recording()
        .with_stream_chunk_delay(Duration::from_millis(5))
}

/// The same step in the servers' vocabulary.
fn scripted(step: ScriptStep) -> Scripted {
    match step {
        ScriptStep::Reply { text, usage } => Scripted::Reply {
            text,
            usage: Some(usage),
        },
        ScriptStep::Streamed { chunks, usage } => Scripted::Streamed {
            chunks,
            usage: Some(usage),
        },
        ScriptStep::RateLimited { retry_after } => Scripted::RateLimited {
            retry_after_secs: retry_after.map(|d| d.as_secs()),
        },
        ScriptStep::ServerError => Scripted::ServerError,
        ScriptStep::Unauthorized => Scripted::Unauthorized,
        ScriptStep::ContextTooLong => Scripted::ContextTooLong,
        ScriptStep::Malformed => Scripted::Malformed,
        ScriptStep::Truncated => Scripted::Truncated,
        ScriptStep::Oversized { bytes } => Scripted::Oversized { bytes },
        ScriptStep::Hang => Scripted::Hang,
        other => panic!("the loopback servers cannot play {other:?}"),
    }
}

fn role(name: &str) -> Role {
    match name {
        "system" => Role::System,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}

/// The sampling settings a body carries under these names.
fn sampling(body: &serde_json::Value, max_tokens: &str) -> Sampling {
    let mut sampling = Sampling::default();
    sampling.temperature = body["temperature"].as_f64();
    sampling.max_tokens = body[max_tokens]
        .as_u64()
        .and_then(|t| u32::try_from(t).ok());
    sampling.seed = body["seed"].as_u64();
    sampling
}

/// Which agent type talks to the OpenAI-format server.
#[derive(Clone, Copy)]
enum Flavour {
    Compatible,
    OpenAi,
    OpenRouter,
}

struct OpenAiHarness {
    server: OpenAiServer,
    flavour: Flavour,
    stream: bool,
}

impl OpenAiHarness {
    async fn start(flavour: Flavour) -> Self {
        let server = OpenAiServer::start(server_config())
            .await
            .expect("the loopback server starts");
        Self {
            server,
            flavour,
            stream: false,
        }
    }

    fn streaming(mut self) -> Self {
        self.stream = true;
        self
    }
}

#[async_trait]
impl AgentHarness for OpenAiHarness {
    async fn agent(&self, script: Vec<ScriptStep>) -> Arc<dyn Agent> {
        self.server
            .push_script(script.into_iter().map(scripted).collect());
        let base_url = self.server.base_url();
        match self.flavour {
            Flavour::Compatible => Arc::new(
                OpenAiCompatConfig::new("mock-model", base_url)
                    .with_api_key(KEY)
                    .with_max_response_bytes(LIMIT)
                    .with_stream(self.stream)
                    .build()
                    .unwrap(),
            ),
            Flavour::OpenAi => Arc::new(
                OpenAiConfig::new("gpt-mock")
                    .with_base_url(base_url)
                    .with_api_key(KEY)
                    .with_organization("org-test")
                    .with_max_response_bytes(LIMIT)
                    .with_stream(self.stream)
                    .build()
                    .unwrap(),
            ),
            Flavour::OpenRouter => Arc::new(
                OpenRouterConfig::new("vendor/model:free")
                    .with_base_url(base_url)
                    .with_api_key(KEY)
                    .with_max_response_bytes(LIMIT)
                    .with_stream(self.stream)
                    .build()
                    .unwrap(),
            ),
        }
    }

    async fn last_request(&self) -> Option<ObservedRequest> {
        let body = self.server.requests().pop()?;
        let messages = body["messages"]
            .as_array()?
            .iter()
            .map(|m| {
                Message::new(
                    role(m["role"].as_str().unwrap_or_default()),
                    m["content"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        Some(
            ObservedRequest::new(messages, sampling(&body, "max_tokens"))
                .with_stream(body["stream"] == true),
        )
    }

    async fn requests_received(&self) -> usize {
        self.server.stats().requests as usize
    }

    fn max_response_bytes(&self) -> Option<u64> {
        Some(LIMIT)
    }
}

struct AnthropicHarness {
    server: AnthropicServer,
    stream: bool,
}

impl AnthropicHarness {
    async fn start(stream: bool) -> Self {
        let server = AnthropicServer::start(server_config())
            .await
            .expect("the loopback server starts");
        Self { server, stream }
    }
}

#[async_trait]
impl AgentHarness for AnthropicHarness {
    async fn agent(&self, script: Vec<ScriptStep>) -> Arc<dyn Agent> {
        self.server
            .push_script(script.into_iter().map(scripted).collect());
        Arc::new(
            AnthropicConfig::new("claude-mock")
                .with_base_url(self.server.base_url())
                .with_api_key(KEY)
                .with_max_response_bytes(LIMIT)
                .with_stream(self.stream)
                .build()
                .unwrap(),
        )
    }

    /// The top-level `system` field comes first, as a system message, then the turns.
    async fn last_request(&self) -> Option<ObservedRequest> {
        let body = self.server.requests().pop()?;
        let system = body["system"]
            .as_str()
            .map(|s| Message::system(s.to_owned()));
        let turns = body["messages"].as_array()?.iter().map(|m| {
            Message::new(
                role(m["role"].as_str().unwrap_or_default()),
                m["content"].as_str().unwrap_or_default(),
            )
        });
        let messages = system.into_iter().chain(turns).collect();
        Some(
            ObservedRequest::new(messages, sampling(&body, "max_tokens"))
                .with_stream(body["stream"] == true),
        )
    }

    async fn requests_received(&self) -> usize {
        self.server.stats().requests as usize
    }

    fn max_response_bytes(&self) -> Option<u64> {
        Some(LIMIT)
    }
}

benchcore::agent_behaviour!(
    openai_compatible,
    OpenAiHarness::start(Flavour::Compatible).await
);
benchcore::agent_behaviour!(
    openai_compatible_streaming,
    OpenAiHarness::start(Flavour::Compatible).await.streaming()
);
benchcore::agent_behaviour!(openai, OpenAiHarness::start(Flavour::OpenAi).await);
benchcore::agent_behaviour!(openrouter, OpenAiHarness::start(Flavour::OpenRouter).await);
benchcore::agent_behaviour!(anthropic, AnthropicHarness::start(false).await);
benchcore::agent_behaviour!(anthropic_streaming, AnthropicHarness::start(true).await);
