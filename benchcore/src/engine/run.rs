use super::{AgentLimits, BatchOptions, Episode, RetryPolicy, SingleTurn};
use crate::evaluator::{EvaluatorConfig, Exact, Extractor};
use crate::{
    Agent, AgentSpec, CaseSource, ConfigError, Error, Evaluator, Result, RunSpec, Sampling,
    TranscriptTest,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What to run: a suite, agents, evaluators and settings. Built with chained calls, then given
/// to [`Engine::start`](super::Engine::start) or [`Engine::resume`](super::Engine::resume).
///
/// ```
/// use benchcore::{agent::reference::{Gold, Null}, Case, QuestionSet, Run};
/// use std::time::Duration;
/// let suite = QuestionSet::from_cases("s", vec![Case::new("a", "hi").with_target("hi")]).unwrap();
/// let run = Run::new(suite)
///     .agent(Gold)
///     .agent(Null)
///     .evaluator_config("includes:ignore_case".parse().unwrap()).unwrap()
///     .samples(3)
///     .concurrency(32)
///     .timeout(Duration::from_secs(30));
/// assert_eq!(run.spec().samples, 3);
/// ```
pub struct Run {
    spec: RunSpec,
    suite: Arc<dyn CaseSource>,
    agents: Vec<(Arc<dyn Agent>, AgentSpec)>,
    episode: Arc<dyn Episode>,
    evaluators: Vec<Arc<dyn Evaluator>>,
    tests: Vec<Arc<dyn TranscriptTest>>,
    /// What the suite's kind cannot guarantee here, for people to read.
    pub(super) warnings: Vec<String>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// A run checked and ready to schedule.
pub(crate) struct Prepared {
    pub(crate) spec: RunSpec,
    pub(crate) suite: Arc<dyn CaseSource>,
    pub(crate) agents: Vec<(Arc<dyn Agent>, AgentSpec)>,
    pub(crate) episode: Arc<dyn Episode>,
    pub(crate) evaluators: Vec<Arc<dyn Evaluator>>,
    pub(crate) tests: Vec<Arc<dyn TranscriptTest>>,
}

impl Run {
    /// A run over a suite, with default settings and no agents yet.
    pub fn new(suite: impl CaseSource) -> Self {
        Self::from_source(Arc::new(suite))
    }

    /// A run over a shared suite.
    pub fn from_source(suite: Arc<dyn CaseSource>) -> Self {
        Self {
            spec: RunSpec {
                suite: suite.describe(),
                ..RunSpec::default()
            },
            suite,
            agents: Vec::new(),
            episode: Arc::new(SingleTurn),
            evaluators: Vec::new(),
            tests: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// What the suite's kind cannot guarantee on this machine (a sandbox without a process
    /// limit …), for a front end to show.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Adds an agent with default limits.
    pub fn agent(self, agent: impl Agent) -> Self {
        self.agent_with(
            Arc::new(agent),
            serde_json::Value::Null,
            AgentLimits::default(),
        )
    }

    /// Adds an agent with the config it was built from (stored so the CLI can rebuild it on
    /// resume; keep secrets out of it) and its limits.
    pub fn agent_with(
        mut self,
        agent: Arc<dyn Agent>,
        config: serde_json::Value,
        limits: AgentLimits,
    ) -> Self {
        let spec = AgentSpec {
            name: agent.name().to_owned(),
            config,
            limits,
        };
        self.spec.agents.push(spec.clone());
        self.agents.push((agent, spec));
        self
    }

    /// How each attempt plays out (a conversation, a code task); a single exchange unless set.
    /// The spec's `kind` becomes the episode's.
    pub fn episode(self, episode: impl Episode) -> Self {
        self.episode_arc(Arc::new(episode))
    }

    /// As [`Run::episode`], for a shared episode.
    pub fn episode_arc(mut self, episode: Arc<dyn Episode>) -> Self {
        episode.kind().clone_into(&mut self.spec.kind);
        self.episode = episode;
        self
    }

    /// Adds an evaluator. With none, the run uses exact match.
    pub fn evaluator(mut self, evaluator: impl Evaluator) -> Self {
        self.evaluators.push(Arc::new(evaluator));
        self
    }

    /// Adds a shared evaluator (not recorded in the spec: give it again to resume).
    pub fn evaluator_arc(mut self, evaluator: Arc<dyn Evaluator>) -> Self {
        self.evaluators.push(evaluator);
        self
    }

    /// Adds a built-in evaluator by config (recorded in the spec).
    ///
    /// # Errors
    /// The config does not build (a bad pattern, a negative tolerance).
    pub fn evaluator_config(mut self, config: EvaluatorConfig) -> Result<Self, ConfigError> {
        self.evaluators.push(config.build()?);
        self.spec.evaluators.push(config);
        Ok(self)
    }

    /// Adds an evaluator built outside this crate together with the config it was built
    /// from, which the run spec stores so a resume can rebuild it (for example a judge built
    /// by `benchcore_providers::build_evaluator`).
    pub fn evaluator_with(
        mut self,
        evaluator: Arc<dyn Evaluator>,
        config: EvaluatorConfig,
    ) -> Self {
        self.evaluators.push(evaluator);
        self.spec.evaluators.push(config);
        self
    }

    /// Takes the answer out of each reply before any evaluator sees it (recorded in the
    /// spec); each evaluation's details then hold `extracted` and `extractor`, and a reply
    /// with nothing to extract is `invalid`.
    ///
    /// ```
    /// use benchcore::{agent::reference::Gold, Case, QuestionSet, Run};
    /// let suite = QuestionSet::from_cases("s", vec![Case::new("a", "2+2?").with_target("4")]).unwrap();
    /// let run = Run::new(suite).agent(Gold).extract("after:####".parse().unwrap());
    /// assert_eq!(run.spec().extract.as_ref().unwrap().to_string(), "after:####");
    /// ```
    pub fn extract(mut self, extractor: Extractor) -> Self {
        self.spec.extract = Some(extractor);
        self
    }

    /// Adds a transcript test, run after every attempt.
    pub fn transcript_test(mut self, test: impl TranscriptTest) -> Self {
        self.tests.push(Arc::new(test));
        self
    }

    /// Adds a shared transcript test.
    pub fn transcript_test_arc(mut self, test: Arc<dyn TranscriptTest>) -> Self {
        self.tests.push(test);
        self
    }

    /// Samples per case and agent.
    pub fn samples(mut self, samples: u32) -> Self {
        self.spec.samples = samples;
        self
    }

    /// Attempts in flight at once, across agents.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.spec.concurrency = concurrency;
        self
    }

    /// Per-request timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec.timeout_ms = timeout.as_millis() as u64;
        self
    }

    /// Retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.spec.retry = retry;
        self
    }

    /// Sampling settings for every request.
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.spec.sampling = sampling;
        self
    }

    /// A label for people.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.spec.name = Some(name.into());
        self
    }

    /// Where attempt artifacts go.
    pub fn artifacts_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spec.artifacts_dir = Some(dir.into().display().to_string());
        self
    }

    /// Stops starting attempts once this much is spent.
    pub fn max_cost_usd(mut self, usd: f64) -> Self {
        self.spec.max_cost_usd = Some(usd);
        self
    }

    /// Stops starting attempts after this long.
    pub fn max_run_time(mut self, limit: Duration) -> Self {
        self.spec.max_run_ms = Some(limit.as_millis() as u64);
        self
    }

    /// Sends the attempts through each agent's batch endpoint instead of one request each
    /// (half the price at OpenAI and Anthropic, answered within 24 hours); see
    /// [`BatchOptions`]. Only single-exchange question sets can, and only agents with a
    /// batch endpoint ([`Agent::batch`]): the run is refused at once, naming the agent,
    /// otherwise.
    pub fn batch(mut self, options: BatchOptions) -> Self {
        self.spec.batch = Some(options);
        self
    }

    /// The spec as it stands.
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// Edits the spec in place (for settings without a setter).
    pub fn spec_mut(&mut self) -> &mut RunSpec {
        &mut self.spec
    }

    /// Takes a stored spec for a resume, checking the components match it.
    pub(crate) fn with_stored_spec(self, stored: RunSpec) -> Result<Self> {
        if self.suite.len() != stored.suite.cases {
            return Err(Error::Run(format!(
                "the run's suite `{}` had {} cases; the suite given has {}: it changed since",
                stored.suite.name,
                stored.suite.cases,
                self.suite.len()
            )));
        }
        let given = self.suite.describe().digest;
        if let (Some(then), Some(now)) = (&stored.suite.digest, &given) {
            if then != now {
                return Err(Error::Run(format!(
                    "the run's suite `{}` changed since the run started (content digest {then} \
                     then, {now} now): restore it, or start a new run",
                    stored.suite.name
                )));
            }
        }
        self.with_stored_settings(stored)
    }

    /// Takes a stored spec's settings and agent limits, checking the agents match it; the
    /// suite is not compared (a worker gets its cases from the queue).
    pub(crate) fn with_stored_settings(mut self, stored: RunSpec) -> Result<Self> {
        let mut ours: Vec<&str> = self.agents.iter().map(|(_, s)| s.name.as_str()).collect();
        let mut theirs: Vec<&str> = stored.agents.iter().map(|a| a.name.as_str()).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        if ours != theirs {
            return Err(Error::Run(format!(
                "the run was started with agents {theirs:?}, but {ours:?} were given to resume it"
            )));
        }
        let limits = |name: &str| {
            stored
                .agents
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.limits.clone())
                .unwrap_or_default()
        };
        for (_, spec) in &mut self.agents {
            spec.limits = limits(&spec.name);
        }
        self.spec = stored;
        Ok(self)
    }

    /// Whether the run can go in batches: one exchange per attempt, and a batch endpoint for
    /// every agent. Checked before anything is stored or sent.
    fn check_batch(&self, options: &BatchOptions) -> Result<(), ConfigError> {
        options.check()?;
        if self.episode.kind() != SingleTurn.kind() {
            return Err(ConfigError::field(
                "batch",
                format!(
                    "batch mode sends single-exchange question sets; this run is a {} run",
                    self.episode.kind()
                ),
            ));
        }
        if let Some((_, spec)) = self.agents.iter().find(|(a, _)| a.batch().is_none()) {
            return Err(ConfigError::field(
                "batch",
                format!(
                    "agent `{}` has no batch API (OpenAI and Anthropic agents have one): run it \
                     without batch mode, or in a run of its own",
                    spec.name
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn prepare(mut self) -> Result<Prepared, ConfigError> {
        if self.agents.is_empty() {
            return Err(ConfigError::field(
                "agents",
                "a run needs at least one agent",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (_, spec) in &self.agents {
            if !names.insert(spec.name.as_str()) {
                return Err(ConfigError::field(
                    "agents",
                    format!(
                        "two agents are named {:?}; names key the records",
                        spec.name
                    ),
                ));
            }
        }
        if self.spec.samples == 0 {
            return Err(ConfigError::field("samples", "must be at least 1"));
        }
        if self.spec.concurrency == 0 {
            return Err(ConfigError::field("concurrency", "must be at least 1"));
        }
        if self.spec.timeout_ms == 0 {
            return Err(ConfigError::field("timeout_ms", "must be at least 1"));
        }
        if let Some(options) = &self.spec.batch {
            self.check_batch(options)?;
        }
        // A question set with no evaluator compares answers exactly; other kinds (a
        // conversation, a code task) bring their own judgement, or none.
        // Guards such as `not_truncated` judge how a reply ended, not its answer: exact
        // match still applies beside them.
        let only_guards = self.evaluators.iter().all(|e| e.name() == "not_truncated");
        if only_guards && self.spec.kind == SingleTurn.kind() {
            self.evaluators.push(Arc::new(Exact::default()));
        }
        Ok(Prepared {
            spec: self.spec,
            suite: self.suite,
            agents: self.agents,
            episode: self.episode,
            evaluators: self.evaluators,
            tests: self.tests,
        })
    }
}
