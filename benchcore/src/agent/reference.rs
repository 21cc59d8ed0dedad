//! Reference agents that need no model: they check a suite and the pipeline around it.

use super::{Agent, AgentError, AgentErrorKind, AgentReply, AgentRequest};
use async_trait::async_trait;

/// Answers every case with its target (the first acceptable answer). A suite run with `gold`
/// should pass everywhere; a case that does not shows a broken target or evaluator.
#[derive(Debug, Clone, Default)]
pub struct Gold;

#[async_trait]
impl Agent for Gold {
    fn name(&self) -> &str {
        "gold"
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let case = request.case.as_ref().ok_or_else(|| {
            AgentError::new(
                AgentErrorKind::BadRequest,
                "the gold agent needs the case in the request",
            )
        })?;
        if let Some(reply) = super::reference_steps::replay(case, request) {
            return Ok(reply.with_model("gold"));
        }
        let answer = case.targets().into_iter().next().unwrap_or_default();
        Ok(AgentReply::text(answer).with_model("gold"))
    }
}

/// Answers nothing (an empty reply). A suite run with `null` should fail everywhere; a case
/// that passes shows an evaluator that accepts anything.
#[derive(Debug, Clone, Default)]
pub struct Null;

#[async_trait]
impl Agent for Null {
    fn name(&self) -> &str {
        "null"
    }

    async fn respond(&self, _request: &AgentRequest) -> Result<AgentReply, AgentError> {
        Ok(AgentReply::text("").with_model("null"))
    }
}
