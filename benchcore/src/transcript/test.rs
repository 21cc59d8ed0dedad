use super::Transcript;
use serde::{Deserialize, Serialize};

/// How a metric looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Within the healthy range.
    Good,
    /// Worth a look.
    Warning,
    /// Out of range.
    Poor,
}

/// One measured value of a transcript test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Variable {
    /// What was measured.
    pub metric: String,
    /// The value (a number, text or flag).
    pub value: serde_json::Value,
    /// How it looks against the test's thresholds.
    pub status: Status,
}

/// A transcript test's result: `{title, variables: [{metric, value, status}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TestReport {
    /// The test's title.
    pub title: String,
    /// Its measurements.
    pub variables: Vec<Variable>,
}

impl TestReport {
    /// The worst status among the variables (`Good` when there are none).
    pub fn worst(&self) -> Status {
        self.variables
            .iter()
            .map(|v| v.status)
            .max_by_key(|s| match s {
                Status::Good => 0,
                Status::Warning => 1,
                Status::Poor => 2,
            })
            .unwrap_or(Status::Good)
    }
}

/// A deterministic measurement of a finished transcript.
///
/// ```
/// use benchcore::{Speaker, Status, TestReport, Transcript, TranscriptTest, Variable};
///
/// struct TurnCount;
///
/// impl TranscriptTest for TurnCount {
///     fn name(&self) -> &str {
///         "turn_count"
///     }
///     fn run(&self, transcript: &Transcript) -> TestReport {
///         let n = transcript.turns.len();
///         TestReport {
///             title: "Turn count".into(),
///             variables: vec![Variable {
///                 metric: "turns".into(),
///                 value: n.into(),
///                 status: if n >= 4 { Status::Good } else { Status::Warning },
///             }],
///         }
///     }
/// }
/// ```
///
/// # Contract
/// - `run` is pure: the same transcript gives the same report.
/// - `run` does not fail; a test that cannot measure reports a `Poor` variable saying why.
pub trait TranscriptTest: Send + Sync + 'static {
    /// A short name, unique within a run.
    fn name(&self) -> &str;

    /// Measures a transcript.
    fn run(&self, transcript: &Transcript) -> TestReport;
}

const _: fn(&dyn TranscriptTest) = |_| {};
