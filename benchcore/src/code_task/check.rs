//! The catalog check: with the reference agents, every task must fail as shipped (`null`)
//! and pass with its gold answer (`gold`).

use super::summary::CodeTaskSummary;
use crate::Outcome;

/// What the catalog check found in a run with `gold` and/or `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CatalogCheck {
    /// Tasks checked (those a reference agent attempted).
    pub checked: usize,
    /// The rule each task must keep, in words.
    pub rule: &'static str,
    /// One line per task that breaks it, with its logs folder.
    pub problems: Vec<String>,
    /// Tasks left out of the run because they cannot run here (listed when it started).
    pub skipped: usize,
}

impl CatalogCheck {
    /// Checks the attempts of the reference agents in a code-task run's summary.
    pub fn of(summary: &CodeTaskSummary) -> Self {
        let mut problems = Vec::new();
        let mut checked = std::collections::BTreeSet::new();
        let (mut gold, mut null) = (false, false);
        for attempt in &summary.attempts {
            let why = match attempt.agent.as_str() {
                "gold" if attempt.outcome != Outcome::Passed => Some(format!(
                    "does not pass with its gold answer ({})",
                    attempt.label.as_deref().unwrap_or(attempt.outcome.as_str())
                )),
                "null" if attempt.outcome == Outcome::Error => Some(format!(
                    "could not be tested as shipped: {}",
                    attempt.failure.as_deref().unwrap_or("error")
                )),
                "null" if attempt.tests_passed != Some(false) => {
                    Some("passes as shipped: its starter workspace must fail the tests".to_owned())
                }
                "gold" | "null" => None,
                _ => continue,
            };
            gold |= attempt.agent == "gold";
            null |= attempt.agent == "null";
            checked.insert(attempt.task.clone());
            if let Some(why) = why {
                let logs = attempt
                    .artifacts_dir
                    .as_deref()
                    .map(|d| format!(" (logs: {d})"))
                    .unwrap_or_default();
                problems.push(format!("{}: {why}{logs}", attempt.task));
            }
        }
        let rule = match (gold, null) {
            (true, true) => "fails as shipped and passes with its gold answer",
            (true, false) => "passes with its gold answer",
            _ => "fails as shipped",
        };
        Self {
            checked: checked.len(),
            rule,
            problems,
            skipped: 0,
        }
    }

    /// The verdict in one line, when any task was checked.
    pub fn verdict(&self) -> Option<String> {
        let skipped = if self.skipped > 0 {
            format!(" ({} skipped: listed above)", self.skipped)
        } else {
            String::new()
        };
        if self.checked == 0 {
            None
        } else if self.problems.is_empty() {
            Some(format!(
                "catalog check: ok, each of the {} tasks {}{skipped}",
                self.checked, self.rule
            ))
        } else {
            Some(format!(
                "catalog check: FAILED, {} problem(s); every task must be one that {}",
                self.problems.len(),
                self.rule
            ))
        }
    }
}
