//! The public agent behaviour suite, run on every provider against its loopback wire server.

use benchcore::testkit::agent::{AgentHarness, ObservedRequest, ScriptStep};
use benchcore::{async_trait, Agent, Message, Role, Sampling};
use benchcore_providers::{OpenAiCompatConfig, OpenAiConfig, OpenRouterConfig};
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::sync::Arc;

const KEY: &str = "sk-loopback-test-key";

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
}

impl OpenAiHarness {
    async fn start(flavour: Flavour) -> Self {
        let config = ServerConfig::default().with_api_key(KEY).recording();
        let server = OpenAiServer::start(config)
            .await
            .expect("the loopback server starts");
        Self { server, flavour }
    }
}

fn scripted(step: ScriptStep) -> Scripted {
    match step {
        ScriptStep::Reply { text, usage } => Scripted::Reply {
            text,
            usage: Some(usage),
        },
        ScriptStep::RateLimited { retry_after } => Scripted::RateLimited {
            retry_after_secs: retry_after.map(|d| d.as_secs()),
        },
        ScriptStep::ServerError => Scripted::ServerError,
        ScriptStep::Unauthorized => Scripted::Unauthorized,
        ScriptStep::ContextTooLong => Scripted::ContextTooLong,
        ScriptStep::Malformed => Scripted::Malformed,
        ScriptStep::Hang => Scripted::Hang,
        other => panic!("the OpenAI loopback server cannot play {other:?}"),
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
                    .build()
                    .unwrap(),
            ),
            Flavour::OpenAi => Arc::new(
                OpenAiConfig::new("gpt-mock")
                    .with_base_url(base_url)
                    .with_api_key(KEY)
                    .with_organization("org-test")
                    .build()
                    .unwrap(),
            ),
            Flavour::OpenRouter => Arc::new(
                OpenRouterConfig::new("vendor/model:free")
                    .with_base_url(base_url)
                    .with_api_key(KEY)
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
        let mut sampling = Sampling::default();
        sampling.temperature = body["temperature"].as_f64();
        sampling.max_tokens = body["max_tokens"]
            .as_u64()
            .and_then(|t| u32::try_from(t).ok());
        sampling.seed = body["seed"].as_u64();
        Some(ObservedRequest::new(messages, sampling))
    }

    async fn requests_received(&self) -> usize {
        self.server.stats().requests as usize
    }
}

benchcore::agent_behaviour!(
    openai_compatible,
    OpenAiHarness::start(Flavour::Compatible).await
);
benchcore::agent_behaviour!(openai, OpenAiHarness::start(Flavour::OpenAi).await);
benchcore::agent_behaviour!(openrouter, OpenAiHarness::start(Flavour::OpenRouter).await);
