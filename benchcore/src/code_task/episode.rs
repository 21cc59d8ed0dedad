//! The code-task episode: one request with the task's prompt, its prompt and reply kept as
//! artifacts.

use crate::engine::{Episode, EpisodeContext};
use crate::{AgentError, AgentRequest, Ending, Speaker, Turn};
use async_trait::async_trait;
use std::sync::Arc;

/// Asks the agent once with the task's prompt. `prompt.txt` is written to the attempt's
/// artifacts folder before asking and `response.txt` after; the
/// [`CodeTaskEvaluator`](super::CodeTaskEvaluator) then tests the answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeTaskEpisode;

/// The run kind of code-task runs.
pub const KIND: &str = "code_task";

#[async_trait]
impl Episode for CodeTaskEpisode {
    fn kind(&self) -> &str {
        KIND
    }

    async fn play(&self, cx: &mut EpisodeContext<'_>) -> Result<(), AgentError> {
        let case = Arc::clone(cx.case());
        let prompt = case.input_text().to_owned();
        if let Some(dir) = cx.artifacts_dir() {
            // The evaluator reports a folder it cannot write as an infrastructure error.
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join("prompt.txt"), &prompt));
        }
        cx.transcript_mut()
            .push(Turn::new(Speaker::Participant, prompt).at(crate::now_ms()));
        let reply = cx.ask(AgentRequest::new(case.messages.clone())).await?;
        if let Some(dir) = cx.artifacts_dir() {
            let _ = std::fs::write(dir.join("response.txt"), &reply.text);
        }
        cx.push_agent_turn(&reply);
        cx.transcript_mut().ending = Some(Ending::Natural);
        Ok(())
    }
}
