//! [`Answers`]: an agent that answers from a batch's results, so each result is played,
//! evaluated and recorded by the very path an ordinary attempt takes.

use crate::agent::{Agent, AgentError, AgentErrorKind, AgentReply, AgentRequest};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// Answers each request with the result stored for its (case id, sample), once.
pub(crate) struct Answers {
    name: String,
    results: Mutex<HashMap<(String, u32), Result<AgentReply, AgentError>>>,
}

impl Answers {
    /// Answers under `name` from `results`. Results the engine would retry (a transient
    /// failure of one item) become [`AgentErrorKind::Unanswered`]: the batch is over, and
    /// asking it again would not change them.
    pub(crate) fn new(
        name: String,
        results: HashMap<(String, u32), Result<AgentReply, AgentError>>,
    ) -> Self {
        let results = results
            .into_iter()
            .map(|(key, result)| (key, result.map_err(final_error)))
            .collect();
        Self {
            name,
            results: Mutex::new(results),
        }
    }
}

/// `error` as the engine should record it: kept when it is not retried anyway.
fn final_error(error: AgentError) -> AgentError {
    if !error.is_retryable() {
        return error;
    }
    AgentError {
        kind: AgentErrorKind::Unanswered,
        message: format!("{}: {}", error.kind, error.message),
        ..error
    }
}

#[async_trait]
impl Agent for Answers {
    fn name(&self) -> &str {
        &self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let key = request
            .case
            .as_ref()
            .map(|case| (case.id.clone(), request.sample));
        let taken = key.and_then(|key| {
            let mut results = self.results.lock().unwrap_or_else(|p| p.into_inner());
            results.remove(&key)
        });
        taken.unwrap_or_else(|| {
            Err(AgentError::new(
                AgentErrorKind::Unanswered,
                "the batch holds no result for this request",
            )
            .with_provider(self.name.clone()))
        })
    }
}
