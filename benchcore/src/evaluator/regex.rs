use super::{EvalContext, EvalError, Evaluation, Evaluator};
use async_trait::async_trait;
use regex::Regex;

/// Passes when the reply matches a regular expression: a fixed pattern, or, with none, each
/// case's target read as a pattern.
#[derive(Debug, Clone)]
pub struct RegexMatch {
    pattern: Option<Regex>,
}

impl RegexMatch {
    /// Matches every reply against `pattern`.
    ///
    /// # Errors
    /// The pattern does not compile; the message names it.
    pub fn new(pattern: &str) -> Result<Self, EvalError> {
        let compiled = Regex::new(pattern)
            .map_err(|e| EvalError::new(format!("regex: bad pattern {pattern:?}: {e}")))?;
        Ok(Self {
            pattern: Some(compiled),
        })
    }

    /// Reads each case's target as the pattern.
    pub fn from_targets() -> Self {
        Self { pattern: None }
    }
}

#[async_trait]
impl Evaluator for RegexMatch {
    fn name(&self) -> &str {
        "regex"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let patterns: Vec<Regex> = match &self.pattern {
            Some(p) => vec![p.clone()],
            None => cx
                .require_targets("regex")?
                .iter()
                .map(|t| {
                    Regex::new(t).map_err(|e| {
                        EvalError::new(format!(
                            "regex: case `{}` target {t:?} is not a pattern: {e}",
                            cx.case.id
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let hit = patterns.iter().find(|p| p.is_match(cx.reply));
        Ok(match hit {
            Some(p) => Evaluation::binary("regex", true)
                .with_label("match")
                .with_rationale(format!("reply matches /{}/", p.as_str())),
            None => Evaluation::binary("regex", false)
                .with_label("no match")
                .with_rationale(format!(
                    "reply matches none of {:?}",
                    patterns.iter().map(Regex::as_str).collect::<Vec<_>>()
                )),
        })
    }
}
