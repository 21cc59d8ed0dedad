use super::{EvalContext, EvalError, Evaluation, Evaluator, Normalize};
use async_trait::async_trait;

/// Passes when the reply equals one of the case's targets after normalisation.
///
/// ```
/// # tokio_test_shim::block_on(async {
/// use benchcore::{Case, Transcript, evaluator::{EvalContext, Evaluator, Exact, Normalize}};
/// let case = Case::new("q", "Capital of France?").with_target("Paris");
/// let transcript = Transcript::default();
/// let exact = Exact::new(Normalize::default().ignoring_case());
/// let verdict = exact.evaluate(&EvalContext::new(&case, " paris ", &transcript)).await.unwrap();
/// assert_eq!(verdict.passed, Some(true));
/// # });
/// # mod tokio_test_shim { pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #   tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f) } }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Exact {
    normalize: Normalize,
}

impl Exact {
    /// An exact-match evaluator with these normalisation options.
    pub fn new(normalize: Normalize) -> Self {
        Self { normalize }
    }
}

#[async_trait]
impl Evaluator for Exact {
    fn name(&self) -> &str {
        "exact"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let targets = cx.require_targets("exact")?;
        let reply = self.normalize.apply(cx.reply);
        let hit = targets.iter().find(|t| self.normalize.apply(t) == reply);
        Ok(match hit {
            Some(target) => Evaluation::binary("exact", true)
                .with_label("match")
                .with_rationale(format!("reply equals target {target:?}")),
            None => Evaluation::binary("exact", false)
                .with_label("mismatch")
                .with_rationale(format!("expected one of {targets:?}")),
        })
    }
}
