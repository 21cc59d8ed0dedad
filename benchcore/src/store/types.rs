use crate::engine::{AgentLimits, BatchOptions, RetryPolicy};
use crate::evaluator::{EvaluatorConfig, Extractor};
use crate::Sampling;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A workspace: every record belongs to exactly one, and every store call names it.
///
/// ```
/// use benchcore::Workspace;
/// assert_eq!(Workspace::default().as_str(), "default");
/// assert!(Workspace::new("team-a").is_ok());
/// assert!(Workspace::new("bad name").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Workspace(String);

impl Workspace {
    /// A workspace name: 1–64 characters of letters, digits, `-`, `_` or `.`.
    ///
    /// # Errors
    /// The name is empty, too long or has another character.
    pub fn new(name: impl Into<String>) -> Result<Self, crate::ConfigError> {
        let name = name.into();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if valid {
            Ok(Self(name))
        } else {
            Err(crate::ConfigError::field(
                "workspace",
                format!("{name:?} is not a workspace name (1-64 of A-Z a-z 0-9 - _ .)"),
            ))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self("default".to_owned())
    }
}

impl fmt::Display for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Workspace {
    type Error = crate::ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Workspace::new(value)
    }
}

impl From<Workspace> for String {
    fn from(value: Workspace) -> String {
        value.0
    }
}

/// Which suite a run used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct SuiteRef {
    /// The suite's name (its file stem for files).
    pub name: String,
    /// The file or folder it was read from, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How many cases it has.
    pub cases: u64,
    /// A digest of its content when the run started (see [`ContentDigest`](crate::ContentDigest)):
    /// a resume refuses a suite whose content changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// How a dataset's records become cases (split, fields, templates, selection), when the
    /// suite is read as a [dataset](crate::dataset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<crate::dataset::DatasetOptions>,
}

impl SuiteRef {
    /// A suite reference with a name and a case count.
    pub fn new(name: impl Into<String>, cases: u64) -> Self {
        Self {
            name: name.into(),
            cases,
            ..Self::default()
        }
    }

    /// Sets the path it was read from.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the content digest.
    pub fn with_digest(mut self, digest: impl Into<String>) -> Self {
        self.digest = Some(digest.into());
        self
    }
}

/// One agent of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct AgentSpec {
    /// The agent's name in records.
    pub name: String,
    /// The config it was built from (secrets only as environment variable names), or `null`
    /// for an agent built in code, which must be passed again to resume.
    #[serde(default)]
    pub config: serde_json::Value,
    /// Its limits.
    #[serde(default)]
    pub limits: AgentLimits,
}

impl AgentSpec {
    /// An agent entry with a name and default limits.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// Everything needed to run, and to resume, a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
#[non_exhaustive]
pub struct RunSpec {
    /// The kind of benchmark (`question_set`, `conversation`, `code_task` …). Empty in a new
    /// spec: the kind is told from the suite's path when the run is built.
    pub kind: String,
    /// A label for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The suite.
    pub suite: SuiteRef,
    /// The agents.
    pub agents: Vec<AgentSpec>,
    /// The evaluators.
    pub evaluators: Vec<EvaluatorConfig>,
    /// How the answer is taken out of each reply before the evaluators see it (`after:####`,
    /// `boxed` …); the whole reply when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<Extractor>,
    /// Samples per case and agent.
    pub samples: u32,
    /// Attempts in flight at once, across agents.
    pub concurrency: usize,
    /// Per-request timeout in milliseconds.
    pub timeout_ms: u64,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Sampling settings sent with every request.
    pub sampling: Sampling,
    /// Stop starting attempts after this many milliseconds; the rest are `skipped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_run_ms: Option<u64>,
    /// Stop starting attempts once this much has been spent; the rest are `skipped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_cost_usd: Option<f64>,
    /// Where attempt artifacts go (`<dir>/<run>/<case>__<agent>__sampleNN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifacts_dir: Option<String>,
    /// Send the attempts through each agent's batch endpoint instead of one request each
    /// (question sets only); absent for ordinary requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchOptions>,
    /// Free-form labels.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub tags: serde_json::Value,
}

impl RunSpec {
    /// A spec for a new run of the suite at `path`, its kind told from the path when the run
    /// is built (see [`Run::from_spec`](crate::Run::from_spec)), with default settings and no
    /// agents yet.
    pub fn for_suite(path: impl AsRef<std::path::Path>) -> Self {
        let path = path.as_ref();
        Self {
            kind: String::new(),
            suite: SuiteRef {
                name: path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("suite")
                    .to_owned(),
                path: Some(path.display().to_string()),
                ..SuiteRef::default()
            },
            ..Self::default()
        }
    }

    /// Adds an agent by its config (the agent's name comes from the agent built).
    pub fn with_agent_config(mut self, config: serde_json::Value) -> Self {
        self.agents.push(AgentSpec {
            config,
            ..AgentSpec::default()
        });
        self
    }

    /// Attempts the run has in all: cases × agents × samples.
    pub fn total(&self) -> u64 {
        self.suite.cases * self.agents.len() as u64 * u64::from(self.samples)
    }
}

impl Default for RunSpec {
    fn default() -> Self {
        Self {
            kind: "question_set".to_owned(),
            name: None,
            suite: SuiteRef::default(),
            agents: Vec::new(),
            evaluators: Vec::new(),
            extract: None,
            samples: 1,
            concurrency: 16,
            timeout_ms: 120_000,
            retry: RetryPolicy::default(),
            sampling: Sampling::default(),
            max_run_ms: None,
            max_cost_usd: None,
            artifacts_dir: None,
            batch: None,
            tags: serde_json::Value::Null,
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Being worked on (or died while being worked on: resume it).
    Running,
    /// Every attempt is recorded.
    Finished,
    /// Stopped on request; resumable.
    Cancelled,
    /// Stopped by an error; resumable once the cause is fixed.
    Failed,
}

impl RunStatus {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }
}

impl std::str::FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Running, Self::Finished, Self::Cancelled, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown run status {s:?}"))
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunInfo {
    /// Its id.
    pub id: String,
    /// Its workspace.
    pub workspace: Workspace,
    /// What it runs.
    pub spec: RunSpec,
    /// Where it stands.
    pub status: RunStatus,
    /// Created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Last status change.
    pub updated_at_ms: u64,
    /// Attempts recorded so far.
    pub recorded: u64,
}

impl RunInfo {
    /// A run as a store reads it back; set the times and `recorded` on the result. Stores
    /// outside this crate need it because the struct is `#[non_exhaustive]`.
    pub fn new(
        workspace: Workspace,
        id: impl Into<String>,
        spec: RunSpec,
        status: RunStatus,
    ) -> Self {
        Self {
            id: id.into(),
            workspace,
            spec,
            status,
            created_at_ms: 0,
            updated_at_ms: 0,
            recorded: 0,
        }
    }

    /// Attempts the run has in all: cases × agents × samples.
    pub fn total(&self) -> u64 {
        self.spec.total()
    }
}

/// Which runs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunFilter {
    /// Only runs whose suite has this name.
    pub suite: Option<String>,
    /// Only runs with an agent of this name.
    pub agent: Option<String>,
    /// Only runs in this state.
    pub status: Option<RunStatus>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

/// Per-agent results of a run, computed from its stored attempts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentSummary {
    /// The agent.
    pub agent: String,
    /// Attempts recorded.
    pub n: u64,
    /// Passed attempts.
    pub passed: u64,
    /// Failed attempts.
    pub failed: u64,
    /// Attempts no evaluator could judge.
    pub invalid: u64,
    /// Infrastructure errors (left out of accuracy).
    pub errors: u64,
    /// Attempts skipped by a budget (left out of accuracy).
    pub skipped: u64,
    /// passed / (passed + failed + invalid), when any were judged.
    pub accuracy: Option<f64>,
    /// Mean score over judged attempts.
    pub mean_score: Option<f64>,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// Median latency of successful exchanges.
    pub latency_p50_ms: Option<u64>,
    /// 95th-percentile latency.
    pub latency_p95_ms: Option<u64>,
    /// Retries in all.
    pub retries: u64,
}

/// A run's results: one summary per agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunSummary {
    /// The run.
    pub run_id: String,
    /// Attempts the run has in all.
    pub total: u64,
    /// Per-agent results, in the spec's agent order.
    pub agents: Vec<AgentSummary>,
}

impl RunSummary {
    /// A run's summary from per-agent results (see [`SummaryBuilder`](super::SummaryBuilder)).
    pub fn new(run_id: impl Into<String>, total: u64, agents: Vec<AgentSummary>) -> Self {
        Self {
            run_id: run_id.into(),
            total,
            agents,
        }
    }

    /// Attempts recorded across agents.
    pub fn recorded(&self) -> u64 {
        self.agents.iter().map(|a| a.n).sum()
    }

    /// Passed / judged across agents.
    pub fn pass_rate(&self) -> Option<f64> {
        let judged: u64 = self
            .agents
            .iter()
            .map(|a| a.passed + a.failed + a.invalid)
            .sum();
        let passed: u64 = self.agents.iter().map(|a| a.passed).sum();
        (judged > 0).then(|| passed as f64 / judged as f64)
    }

    /// Errors / recorded across agents.
    pub fn error_rate(&self) -> Option<f64> {
        let n = self.recorded();
        (n > 0).then(|| self.errors() as f64 / n as f64)
    }

    /// Attempts recorded as infrastructure errors, across agents.
    pub fn errors(&self) -> u64 {
        self.agents.iter().map(|a| a.errors).sum()
    }

    /// Attempts recorded as skipped by a budget, across agents.
    pub fn skipped(&self) -> u64 {
        self.agents.iter().map(|a| a.skipped).sum()
    }

    /// Attempts of the run with no record yet (a run stopped early, or still running).
    pub fn unrecorded(&self) -> u64 {
        self.total.saturating_sub(self.recorded())
    }

    /// Attempts without a verdict (`passed`, `failed` or `invalid`): errors, skipped and
    /// unrecorded ones. A run is complete only when this is zero; `resume --retry-errors`
    /// works on exactly these.
    pub fn without_verdict(&self) -> u64 {
        self.errors() + self.skipped() + self.unrecorded()
    }
}
