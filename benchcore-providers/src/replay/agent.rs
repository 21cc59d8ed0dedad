//! [`ReplayAgent`]: answers each request with its case's recorded reply, or a fixed text.

use super::recordings::Recordings;
use benchcore::{
    async_trait, Agent, AgentCapabilities, AgentError, AgentErrorKind, AgentReply, AgentRequest,
};
use std::fmt;

/// Answers with recorded replies, or with a fixed text. Build it from a
/// [`ReplayConfig`](super::ReplayConfig).
pub struct ReplayAgent {
    name: String,
    source: Source,
}

impl ReplayAgent {
    pub(crate) fn new(name: String, source: Source) -> Self {
        Self { name, source }
    }
}

pub(crate) enum Source {
    Fixed(String),
    Recorded(Recordings),
}

impl fmt::Debug for ReplayAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReplayAgent");
        d.field("name", &self.name);
        match &self.source {
            Source::Fixed(text) => d.field("text", text),
            Source::Recorded(r) => d
                .field("file", &r.file)
                .field("agent", &r.agent)
                .field("cases", &r.by_case.len()),
        };
        d.finish()
    }
}

#[async_trait]
impl Agent for ReplayAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        let mut capabilities = AgentCapabilities::default();
        capabilities.usage = matches!(&self.source, Source::Recorded(r) if r.any_usage);
        capabilities
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let recordings = match &self.source {
            Source::Fixed(text) => return Ok(AgentReply::text(text.clone()).with_cost(0.0)),
            Source::Recorded(recordings) => recordings,
        };
        let case = request.case.as_ref().ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                "the replay agent needs the case in the request to find its reply",
            )
            .with_provider(self.name.clone())
        })?;
        let recorded = recordings.find(&case.id, request.sample).ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                format!(
                    "no recorded reply for case `{}` in {}",
                    case.id,
                    recordings.file.display()
                ),
            )
            .with_provider(self.name.clone())
        })?;
        let mut reply = AgentReply::text(recorded.reply.clone())
            .with_cost(0.0)
            .with_tool_calls(recorded.tool_calls.clone());
        if let Some(reason) = recorded.stop_reason {
            reply = reply.with_stop_reason(reason);
        }
        if let Some(usage) = recorded.usage {
            reply = reply.with_usage(usage);
        }
        if let Some(model) = &recorded.model {
            reply = reply.with_model(model.clone());
        }
        Ok(reply)
    }
}
