//! [`EndedNaturally`]: a conversation passes when it ended on its own.

use crate::{async_trait, Ending, EvalContext, EvalError, Evaluation, Evaluator};

/// Passes a conversation that ended on its own (an end phrase, the simulated user leaving)
/// and fails one cut off by its turn limit: an interview that never reached its close did
/// not do its job. The command line grades conversation runs with it, so a run's accuracy is
/// the share of conversations that ended naturally.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use benchcore::conversation::EndedNaturally;
/// use benchcore::{Case, Ending, EvalContext, Evaluator, Transcript};
/// let mut t = Transcript::parse("AGENT: Hi?\nPARTICIPANT: Hello.");
/// t.ending = Some(Ending::TurnLimit);
/// let case = Case::new("c", "");
/// let e = EndedNaturally.evaluate(&EvalContext::new(&case, "", &t)).await.unwrap();
/// assert_eq!(e.passed, Some(false));
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EndedNaturally;

#[async_trait]
impl Evaluator for EndedNaturally {
    fn name(&self) -> &str {
        "ended_naturally"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let (passed, label) = match cx.transcript.ending {
            Some(Ending::Natural) => (true, "natural"),
            Some(Ending::TurnLimit) => (false, "turn_limit"),
            Some(Ending::TimeLimit) => (false, "time_limit"),
            Some(Ending::ManualStop) => (false, "manual_stop"),
            Some(Ending::Error) => (false, "error"),
            None => return Err(EvalError::new("the conversation has not ended")),
        };
        Ok(Evaluation::binary(self.name(), passed).with_label(label))
    }
}
