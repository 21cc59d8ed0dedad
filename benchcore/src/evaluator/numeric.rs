use super::{EvalContext, EvalError, Evaluation, Evaluator};
use async_trait::async_trait;
use regex::Regex;
use std::sync::OnceLock;

/// Passes when the last number in the reply is within a tolerance of the target.
///
/// The tolerance is absolute, or relative to the target when `relative` is set. Numbers may be
/// written with thousands separators (`1,234.5`), a sign or an exponent. A reply with no number
/// fails; a target that is not a number makes the case `invalid`.
#[derive(Debug, Clone, Default)]
pub struct Numeric {
    tolerance: f64,
    relative: bool,
}

impl Numeric {
    /// Absolute tolerance: `|reply - target| <= tolerance`.
    pub fn absolute(tolerance: f64) -> Self {
        Self {
            tolerance: tolerance.abs(),
            relative: false,
        }
    }

    /// Relative tolerance: `|reply - target| <= tolerance * |target|`.
    pub fn relative(tolerance: f64) -> Self {
        Self {
            tolerance: tolerance.abs(),
            relative: true,
        }
    }
}

fn number_pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        Regex::new(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")
            .expect("number pattern compiles")
    })
}

/// The last number written in `text`.
pub(crate) fn last_number(text: &str) -> Option<f64> {
    last_number_text(text).and_then(|n| n.parse::<f64>().ok())
}

/// The last number written in `text`, as written but without thousands separators or a
/// leading `+` (`"1,234.5"` → `"1234.5"`), so an exact comparison with a target works.
pub(crate) fn last_number_text(text: &str) -> Option<String> {
    number_pattern()
        .find_iter(text)
        .map(|m| m.as_str().replace(',', ""))
        .filter(|n| n.parse::<f64>().is_ok())
        .last()
        .map(|n| n.strip_prefix('+').map(str::to_owned).unwrap_or(n))
}

#[async_trait]
impl Evaluator for Numeric {
    fn name(&self) -> &str {
        "numeric"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let targets = cx.require_targets("numeric")?;
        let wanted: Vec<f64> = targets
            .iter()
            .map(|t| {
                t.trim().replace(',', "").parse::<f64>().map_err(|_| {
                    EvalError::new(format!(
                        "numeric: case `{}` target {t:?} is not a number",
                        cx.case.id
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let Some(got) = last_number(cx.reply) else {
            return Ok(Evaluation::binary("numeric", false)
                .with_label("no number")
                .with_rationale("the reply contains no number"));
        };
        let within = |target: f64| {
            let allowed = if self.relative {
                self.tolerance * target.abs()
            } else {
                self.tolerance
            };
            (got - target).abs() <= allowed + f64::EPSILON * target.abs().max(1.0)
        };
        let passed = wanted.iter().any(|t| within(*t));
        Ok(Evaluation::binary("numeric", passed)
            .with_label(if passed { "within tolerance" } else { "off" })
            .with_rationale(format!("reply number {got}, target {wanted:?}"))
            .with_details(serde_json::json!({ "reply_number": got })))
    }
}

#[cfg(test)]
mod tests {
    use super::last_number;

    #[test]
    fn finds_the_last_number() {
        assert_eq!(last_number("The answer is 42."), Some(42.0));
        assert_eq!(last_number("1,234.5 then -7e2"), Some(-700.0));
        assert_eq!(last_number("between 3 and 4, say 3.5"), Some(3.5));
        assert_eq!(last_number("no digits"), None);
        assert_eq!(last_number("costs .5"), Some(0.5));
    }
}
