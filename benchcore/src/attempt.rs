//! Attempts: one case answered by one agent, one sample, with everything that happened.

use crate::{Evaluation, TestReport, Transcript, Usage};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What identifies an attempt within a run. Recording is idempotent on `(run, key)`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct AttemptKey {
    /// The case's id.
    pub case_id: String,
    /// The agent's name.
    pub agent: String,
    /// The sample number, from 0.
    pub sample: u32,
}

impl AttemptKey {
    /// A key.
    pub fn new(case_id: impl Into<String>, agent: impl Into<String>, sample: u32) -> Self {
        Self {
            case_id: case_id.into(),
            agent: agent.into(),
            sample,
        }
    }
}

impl AttemptKey {
    /// The name of the attempt's artifacts folder within its run's:
    /// `<case>__<agent>__sampleNN`, each part made safe as one path component.
    ///
    /// ```
    /// use benchcore::AttemptKey;
    /// let key = AttemptKey::new("py_add", "openai:gpt-4o", 3);
    /// assert_eq!(key.artifacts_folder(), "py_add__openai_gpt-4o__sample03");
    /// ```
    pub fn artifacts_folder(&self) -> String {
        format!(
            "{}__{}__sample{:02}",
            path_safe(&self.case_id),
            path_safe(&self.agent),
            self.sample
        )
    }
}

/// A name made safe to be one path component: anything but ASCII letters, digits, `-`, `_`
/// and `.` becomes `_`, and `.`/`..`/empty become `_`.
fn path_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match safe.as_str() {
        "" | "." | ".." => "_".to_owned(),
        _ => safe,
    }
}

impl fmt::Display for AttemptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}#{}", self.case_id, self.agent, self.sample)
    }
}

/// How an attempt ended. Exactly one per attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every evaluator passed it.
    Passed,
    /// An evaluator failed it.
    Failed,
    /// An evaluator could not judge it.
    Invalid,
    /// Infrastructure failed (retries exhausted, auth, timeout); left out of accuracy.
    Error,
    /// Not attempted because a run budget ran out; left out of accuracy.
    Skipped,
}

impl Outcome {
    /// Every outcome, in display order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Passed,
        Outcome::Failed,
        Outcome::Invalid,
        Outcome::Error,
        Outcome::Skipped,
    ];

    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Invalid => "invalid",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
        }
    }

    /// Whether a later record of the same key may replace this one (a rerun of an
    /// infrastructure error or of a skipped attempt). Judged outcomes are final.
    pub fn is_replaceable(self) -> bool {
        matches!(self, Outcome::Error | Outcome::Skipped)
    }

    /// Whether the outcome counts toward accuracy.
    pub fn is_judged(self) -> bool {
        matches!(self, Outcome::Passed | Outcome::Failed | Outcome::Invalid)
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| format!("unknown outcome {s:?}"))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an attempt is an `error` or `skipped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttemptFailure {
    /// The failure kind (`rate_limited`, `timeout`, `auth`, `budget` …).
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// Everything recorded about one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// The run.
    pub run_id: String,
    /// The attempt within the run.
    #[serde(flatten)]
    pub key: AttemptKey,
    /// How it ended.
    pub outcome: Outcome,
    /// Mean of the evaluators' scores, when any judged.
    pub score: Option<f64>,
    /// Every turn.
    pub transcript: Transcript,
    /// Every evaluator's judgement.
    pub evaluations: Vec<Evaluation>,
    /// Every transcript test's report.
    pub reports: Vec<TestReport>,
    /// Why it is an error or skipped.
    pub failure: Option<AttemptFailure>,
    /// Tokens used, retries included.
    pub usage: Usage,
    /// Cost in US dollars, when known.
    pub cost_usd: Option<f64>,
    /// The model that answered.
    pub model: Option<String>,
    /// Latency of the successful exchange, in milliseconds.
    pub latency_ms: Option<u64>,
    /// Time to first token, in milliseconds, when streamed.
    pub ttft_ms: Option<u64>,
    /// From the attempt's start to its end, waits included.
    pub wall_ms: u64,
    /// Time spent working: exchanges and evaluation, without retry, rate-limit and queue waits.
    pub work_ms: u64,
    /// How many times the request was sent again.
    pub retries: u32,
    /// Served from a response cache.
    pub cached: bool,
    /// Start, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// End, in milliseconds since the Unix epoch.
    pub finished_at_ms: u64,
    /// The attempt's artifacts folder (created only when something is written to it).
    pub artifacts_dir: Option<String>,
}

impl AttemptRecord {
    /// An empty record for a key, to fill in.
    pub fn new(run_id: impl Into<String>, key: AttemptKey, outcome: Outcome) -> Self {
        Self {
            run_id: run_id.into(),
            key,
            outcome,
            score: None,
            transcript: Transcript::default(),
            evaluations: Vec::new(),
            reports: Vec::new(),
            failure: None,
            usage: Usage::default(),
            cost_usd: None,
            model: None,
            latency_ms: None,
            ttft_ms: None,
            wall_ms: 0,
            work_ms: 0,
            retries: 0,
            cached: false,
            started_at_ms: 0,
            finished_at_ms: 0,
            artifacts_dir: None,
        }
    }

    /// The agent's final reply.
    pub fn reply(&self) -> &str {
        self.transcript.last_agent_text().unwrap_or("")
    }

    /// Why the agent's final reply ended, when its provider said (`max_tokens` for a reply
    /// cut at the token limit).
    pub fn stop_reason(&self) -> Option<crate::agent::StopReason> {
        self.transcript
            .turns
            .iter()
            .rev()
            .find(|t| t.speaker == crate::Speaker::Agent)
            .and_then(|t| t.stop_reason)
    }
}
