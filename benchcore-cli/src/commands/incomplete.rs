//! A run that ended with attempts lacking a verdict: say how many, and how to retry them.
//!
//! `run`, `resume` and `worker` share this, so that a run whose every attempt hit a refused
//! connection does not exit 0 looking like a clean result.

use crate::{EXIT_INCOMPLETE, EXIT_OK};
use benchcore::RunSummary;

/// Prints, on stderr, what of the run has no verdict (errors, skipped and unrecorded
/// attempts) with the command that retries it, and returns [`EXIT_INCOMPLETE`]; returns
/// [`EXIT_OK`] and prints nothing when every attempt was judged.
pub(crate) fn check(summary: &RunSummary, run_id: &str) -> u8 {
    match describe(summary, run_id) {
        Some(message) => {
            eprintln!("{message}");
            EXIT_INCOMPLETE
        }
        None => EXIT_OK,
    }
}

/// The message [`check`] prints, when there is one to print.
pub(crate) fn describe(summary: &RunSummary, run_id: &str) -> Option<String> {
    if summary.without_verdict() == 0 {
        return None;
    }
    let counts = [
        (summary.errors(), "errors"),
        (summary.skipped(), "skipped"),
        (summary.unrecorded(), "not run"),
    ];
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    let noun = if summary.without_verdict() == 1 {
        "attempt"
    } else {
        "attempts"
    };
    // Skipped and unrecorded attempts are rerun by any resume; errors only when asked.
    let flag = if summary.errors() > 0 {
        " --retry-errors"
    } else {
        ""
    };
    Some(format!(
        "incomplete: {} {noun} of run {run_id} have no verdict ({}); retry them with: \
         benchcore resume {run_id}{flag}",
        summary.without_verdict(),
        parts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::AgentSummary;

    fn summary(total: u64, passed: u64, errors: u64, skipped: u64) -> RunSummary {
        let mut agent = AgentSummary::default();
        agent.agent = "a".into();
        agent.passed = passed;
        agent.errors = errors;
        agent.skipped = skipped;
        agent.n = passed + errors + skipped;
        RunSummary::new("r1", total, vec![agent])
    }

    #[test]
    fn a_fully_judged_run_says_nothing() {
        assert_eq!(describe(&summary(3, 3, 0, 0), "r1"), None);
    }

    #[test]
    fn errors_are_counted_with_the_command_that_retries_them() {
        let message = describe(&summary(5, 1, 2, 1), "r1").unwrap();
        assert!(message.contains("4 attempts"), "{message}");
        assert!(message.contains("2 errors"), "{message}");
        assert!(message.contains("1 skipped"), "{message}");
        assert!(message.contains("1 not run"), "{message}");
        assert!(
            message.ends_with("benchcore resume r1 --retry-errors"),
            "{message}"
        );
    }

    #[test]
    fn skipped_attempts_need_no_flag_to_retry() {
        let message = describe(&summary(2, 1, 0, 1), "r1").unwrap();
        assert!(message.ends_with("benchcore resume r1"), "{message}");
    }
}
