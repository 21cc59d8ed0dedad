use super::{EvalContext, EvalError, Evaluation, Evaluator, Normalize};
use async_trait::async_trait;

/// Passes when the reply contains one of the case's targets after normalisation.
#[derive(Debug, Clone, Default)]
pub struct Includes {
    normalize: Normalize,
}

impl Includes {
    /// A substring evaluator with these normalisation options.
    pub fn new(normalize: Normalize) -> Self {
        Self { normalize }
    }
}

#[async_trait]
impl Evaluator for Includes {
    fn name(&self) -> &str {
        "includes"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let targets = cx.require_targets("includes")?;
        let reply = self.normalize.apply(cx.reply);
        let hit = targets
            .iter()
            .find(|t| reply.contains(&self.normalize.apply(t)));
        Ok(match hit {
            Some(target) => Evaluation::binary("includes", true)
                .with_label("found")
                .with_rationale(format!("reply contains {target:?}")),
            None => Evaluation::binary("includes", false)
                .with_label("missing")
                .with_rationale(format!("reply contains none of {targets:?}")),
        })
    }
}
