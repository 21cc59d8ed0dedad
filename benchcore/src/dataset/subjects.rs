//! Accuracy per subject (MMLU's 57, or any metadata field a dataset names): what a reader of
//! a multiple-choice run looks at first.

use super::Dataset;
use crate::kind::SummaryTable;
use crate::{AttemptKey, CaseSource, Error, Outcome};
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// One subject's results for one agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SubjectRow {
    pub(crate) subject: String,
    pub(crate) agent: String,
    pub(crate) passed: u64,
    /// Passed, failed or invalid: what accuracy is over.
    pub(crate) judged: u64,
    pub(crate) invalid: u64,
    pub(crate) errors: u64,
}

impl SubjectRow {
    fn accuracy(&self) -> Option<f64> {
        (self.judged > 0).then(|| self.passed as f64 / self.judged as f64)
    }
}

/// Each case's subject, read from the dataset's cases.
pub(crate) async fn of_cases(dataset: &Dataset) -> Result<HashMap<String, String>, Error> {
    let mut subjects = HashMap::with_capacity(dataset.len() as usize);
    let mut cases = dataset.cases();
    while let Some(case) = cases.next().await {
        let case = case?;
        if let Some(subject) = case.metadata.get("subject").and_then(Value::as_str) {
            subjects.insert(case.id.clone(), subject.to_owned());
        }
    }
    Ok(subjects)
}

/// Results per subject and agent, subjects in name order.
pub(crate) fn accuracy(
    outcomes: &[(AttemptKey, Outcome)],
    subjects: &HashMap<String, String>,
) -> Vec<SubjectRow> {
    let mut rows: BTreeMap<(String, String), SubjectRow> = BTreeMap::new();
    for (key, outcome) in outcomes {
        let subject = subjects
            .get(&key.case_id)
            .cloned()
            .unwrap_or_else(|| "(none)".to_owned());
        let row = rows
            .entry((subject.clone(), key.agent.clone()))
            .or_insert_with(|| SubjectRow {
                subject,
                agent: key.agent.clone(),
                ..SubjectRow::default()
            });
        match outcome {
            Outcome::Passed => row.passed += 1,
            Outcome::Invalid => row.invalid += 1,
            Outcome::Error => row.errors += 1,
            Outcome::Failed | Outcome::Skipped => {}
        }
        if outcome.is_judged() {
            row.judged += 1;
        }
    }
    rows.into_values().collect()
}

/// The `subjects` section of `summary.json`.
pub(crate) fn document(rows: &[SubjectRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "subject": r.subject,
                    "agent": r.agent,
                    "accuracy": r.accuracy(),
                    "passed": r.passed,
                    "judged": r.judged,
                    "invalid": r.invalid,
                    "errors": r.errors,
                })
            })
            .collect(),
    )
}

/// The table shown after a run.
pub(crate) fn table(rows: &[SubjectRow]) -> SummaryTable {
    SummaryTable::new(
        [
            "subject", "agent", "accuracy", "passed", "judged", "invalid", "errors",
        ]
        .map(String::from)
        .to_vec(),
        rows.iter()
            .map(|r| {
                vec![
                    r.subject.clone(),
                    r.agent.clone(),
                    r.accuracy()
                        .map(|a| format!("{:.1}%", a * 100.0))
                        .unwrap_or_else(|| "-".into()),
                    r.passed.to_string(),
                    r.judged.to_string(),
                    r.invalid.to_string(),
                    r.errors.to_string(),
                ]
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_subject_and_agent_apart() {
        let key = |c: &str, a: &str| AttemptKey::new(c, a, 0);
        let outcomes = vec![
            (key("q1", "m"), Outcome::Passed),
            (key("q2", "m"), Outcome::Failed),
            (key("q3", "m"), Outcome::Invalid),
            (key("q3", "n"), Outcome::Error),
        ];
        let subjects: HashMap<String, String> = [("q1", "law"), ("q2", "law"), ("q3", "math")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .into_iter()
            .collect();
        let rows = accuracy(&outcomes, &subjects);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].subject.as_str(), rows[0].passed, rows[0].judged),
            ("law", 1, 2)
        );
        assert_eq!((rows[1].invalid, rows[1].judged), (1, 1));
        assert_eq!(
            (rows[2].agent.as_str(), rows[2].errors, rows[2].judged),
            ("n", 1, 0)
        );
        assert_eq!(table(&rows).rows[0][2], "50.0%");
    }
}
