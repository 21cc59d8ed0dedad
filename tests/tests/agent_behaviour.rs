//! The public agent behaviour suite, run on every provider against its loopback wire server.

use benchcore::testkit::agent::{AgentHarness, ObservedRequest, ScriptStep};
use benchcore::{async_trait, Agent, Message, Role, Sampling};
use benchcore_providers::{
    AnthropicConfig, McpConfig, OpenAiCompatConfig, OpenAiConfig, OpenRouterConfig,
};
use benchcore_tests::servers::{
    AnthropicServer, McpScripted, McpServer, McpServerConfig, OpenAiServer, Scripted, ServerConfig,
};
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

/// The MCP agent calls the server's `chat` tool with the conversation (`$messages`), so the
/// server sees every message, system prompt included, in order. MCP carries no usage, no
/// sampling settings and no context-length error: the agent does not claim them, and the
/// suite skips what needs them.
struct McpHarness {
    server: McpServer,
}

impl McpHarness {
    async fn start(sse: bool) -> Self {
        let server = McpServer::start(McpServerConfig {
            sse,
            require_token: Some(KEY.to_owned()),
            ..McpServerConfig::default()
        })
        .await
        .expect("the loopback MCP server starts");
        Self { server }
    }
}

/// The same step in the MCP server's vocabulary: each answers one `tools/call`.
fn mcp_scripted(step: ScriptStep) -> McpScripted {
    match step {
        ScriptStep::Reply { text, .. } => McpScripted::Reply(text),
        ScriptStep::Streamed { chunks, .. } => McpScripted::Reply(chunks.concat()),
        ScriptStep::RateLimited { retry_after } => McpScripted::RateLimited {
            retry_after_secs: retry_after.map(|d| d.as_secs()),
        },
        ScriptStep::ServerError => McpScripted::ServerError,
        ScriptStep::Unauthorized => McpScripted::Unauthorized,
        ScriptStep::Malformed => McpScripted::Malformed,
        ScriptStep::Truncated => McpScripted::Truncated,
        ScriptStep::Oversized { bytes } => McpScripted::Oversized { bytes },
        ScriptStep::Hang => McpScripted::Hang,
        other => panic!("MCP has no form for {other:?}: the agent must not claim what needs it"),
    }
}

#[async_trait]
impl AgentHarness for McpHarness {
    async fn agent(&self, script: Vec<ScriptStep>) -> Arc<dyn Agent> {
        self.server
            .push_script(script.into_iter().map(mcp_scripted).collect());
        Arc::new(
            McpConfig::new(self.server.endpoint())
                .with_tool("chat")
                .with_argument("messages", "$messages")
                .with_token(KEY)
                .with_max_response_bytes(LIMIT)
                .build()
                .unwrap(),
        )
    }

    /// The `messages` argument of the last `tools/call`; MCP carries no sampling settings
    /// and no stream flag (the transport may stream any reply).
    async fn last_request(&self) -> Option<ObservedRequest> {
        let arguments = self.server.last_arguments()?;
        let messages = arguments["messages"]
            .as_array()?
            .iter()
            .map(|m| {
                Message::new(
                    role(m["role"].as_str().unwrap_or_default()),
                    m["content"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        Some(ObservedRequest::new(messages, Sampling::default()))
    }

    /// `tools/call` requests: the session's handshake and tool list are not requests for a
    /// reply.
    async fn requests_received(&self) -> usize {
        self.server.stats().tool_calls as usize
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
benchcore::agent_behaviour!(mcp, McpHarness::start(false).await);
benchcore::agent_behaviour!(mcp_sse, McpHarness::start(true).await);
