//! [`NotTruncated`]: fails a reply its provider cut at the token limit, so a truncated answer
//! is never scored as if it were whole (`--fail-on-truncation`).

use super::{EvalContext, EvalError, Evaluation, Evaluator};
use crate::agent::StopReason;
use crate::Speaker;
use async_trait::async_trait;

/// Passes unless the agent's last reply stopped at `max_tokens`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use benchcore::agent::StopReason;
/// use benchcore::evaluator::{EvalContext, Evaluator, NotTruncated};
/// use benchcore::{Case, Speaker, Transcript, Turn};
/// let case = Case::new("q", "Tell a story.");
/// let mut transcript = Transcript::default();
/// transcript.turns.push(Turn::new(Speaker::Agent, "Once upon").with_stop_reason(Some(StopReason::MaxTokens)));
/// let cx = EvalContext::new(&case, "Once upon", &transcript);
/// let evaluation = NotTruncated.evaluate(&cx).await.unwrap();
/// assert_eq!(evaluation.passed, Some(false));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NotTruncated;

#[async_trait]
impl Evaluator for NotTruncated {
    fn name(&self) -> &str {
        "not_truncated"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let stop = cx
            .transcript
            .turns
            .iter()
            .rev()
            .find(|t| t.speaker == Speaker::Agent)
            .and_then(|t| t.stop_reason);
        Ok(if stop == Some(StopReason::MaxTokens) {
            Evaluation::binary("not_truncated", false)
                .with_label("truncated")
                .with_rationale("the reply was cut at the token limit (stop reason max_tokens)")
        } else {
            Evaluation::binary("not_truncated", true).with_label("whole")
        })
    }
}
