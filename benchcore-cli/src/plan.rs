//! Validated plans: arguments and config files turned into a [`Run`], and a stored spec turned
//! back into one for resume.

use crate::args::{AgentOptions, RunArgs};
use anyhow::{bail, Context};
use benchcore::engine::Episode;
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{Agent, AgentLimits, Cached, ResponseCache, RetryPolicy, Run, RunSpec, Sampling};
use benchcore_providers::{build_agent_with, build_evaluator, AgentConfig, JudgeConfig, Pricing};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How agents are built: their token prices, and the response cache in front of them.
pub(crate) struct AgentWrapping {
    pricing: Arc<Pricing>,
    cache: Option<Arc<dyn ResponseCache>>,
    /// Saved agents' configs (secrets included), by name, for `--agent saved:NAME`.
    saved: HashMap<String, AgentConfig>,
}

/// The prefix of an `--agent` value naming a saved agent.
pub(crate) const SAVED_PREFIX: &str = "saved:";

/// The `kind` of a stored run spec's agent config that refers to a saved agent by name.
const SAVED_KIND: &str = "saved";

/// The saved agents a run asks for with `--agent saved:NAME`.
pub(crate) fn saved_names_in_args(args: &RunArgs) -> Vec<String> {
    args.agents
        .iter()
        .filter_map(|spec| spec.strip_prefix(SAVED_PREFIX))
        .map(str::to_owned)
        .collect()
}

/// The saved agents a stored run spec refers to.
pub(crate) fn saved_names_in_spec(spec: &RunSpec) -> Vec<String> {
    spec.agents
        .iter()
        .filter_map(|agent| saved_reference(&agent.config))
        .map(str::to_owned)
        .collect()
}

/// What a run spec stores for a saved agent: its name, never its config or secrets; resume
/// loads it by name again.
fn saved_spec(name: &str) -> serde_json::Value {
    serde_json::json!({ "kind": SAVED_KIND, "name": name })
}

fn saved_reference(config: &serde_json::Value) -> Option<&str> {
    if config.get("kind")?.as_str()? != SAVED_KIND {
        return None;
    }
    config.get("name")?.as_str()
}

impl AgentWrapping {
    /// The prices `--pricing` (or `BENCHCORE_PRICING`) names over the built-in table, and
    /// `cache` when `--cache` asked for it.
    pub(crate) fn new(
        options: &AgentOptions,
        cache: Option<Arc<dyn ResponseCache>>,
    ) -> anyhow::Result<Self> {
        let pricing = match &options.pricing {
            Some(path) => Pricing::from_file(path)?,
            None => Pricing::builtin(),
        };
        Ok(Self {
            pricing: Arc::new(pricing),
            cache,
            saved: HashMap::new(),
        })
    }

    /// Adds the saved agents' configs that `saved:NAME` values and stored references name.
    pub(crate) fn with_saved(mut self, saved: HashMap<String, AgentConfig>) -> Self {
        self.saved = saved;
        self
    }

    /// The same prices and cache, with other saved agents.
    pub(crate) fn clone_with_saved(&self, saved: HashMap<String, AgentConfig>) -> Self {
        Self {
            pricing: Arc::clone(&self.pricing),
            cache: self.cache.clone(),
            saved,
        }
    }

    fn saved(&self, name: &str) -> anyhow::Result<&AgentConfig> {
        self.saved
            .get(name)
            .with_context(|| format!("saved agent `{name}` was not loaded"))
    }

    /// Builds the agent a config describes, priced, behind the cache when there is one (its
    /// stored config identifies it in cache keys).
    pub(crate) fn build(&self, config: &AgentConfig) -> anyhow::Result<Arc<dyn Agent>> {
        let agent = build_agent_with(config, Arc::clone(&self.pricing))?;
        Ok(match &self.cache {
            Some(cache) => {
                Arc::new(Cached::new(agent, Arc::clone(cache)).with_identity(config.to_stored()))
            }
            None => agent,
        })
    }
}

/// Builds the run `benchcore run` asked for.
pub(crate) fn run_from_args(args: &RunArgs, wrapping: &AgentWrapping) -> anyhow::Result<Run> {
    check_rate("--min-pass-rate", args.gates.min_pass_rate)?;
    check_rate("--max-error-rate", args.gates.max_error_rate)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!(
            "--timeout: must be a positive number of seconds, got {}",
            args.timeout
        );
    }
    let (opened, extras) =
        crate::suites::open_suite_with_extras(Path::new(&args.suite), None, wrapping, |_| {
            crate::suites::conversation::simulated_user_arg(args.simulated_user.as_deref())
        })?;
    let opened = crate::suites::code_tasks::with_args(opened, args)?;
    let mut limits = AgentLimits::default();
    if let Some(n) = args.agent_concurrency {
        limits = limits.with_concurrency(n);
    }
    if let Some(rpm) = args.rpm {
        limits = limits.with_requests_per_minute(rpm);
    }
    if let Some(tpm) = args.tpm {
        limits = limits.with_tokens_per_minute(tpm);
    }
    let mut run = with_suite(opened);
    crate::suites::code_tasks::record_options(&mut run, args)?;
    for spec in &args.agents {
        if let Some(name) = spec.strip_prefix(SAVED_PREFIX) {
            let agent = wrapping
                .build(wrapping.saved(name)?)
                .with_context(|| format!("--agent {spec}"))?;
            run = run.agent_with(agent, saved_spec(name), limits.clone());
            continue;
        }
        for config in agent_configs(spec)? {
            let agent = wrapping.build(&config)?;
            run = run.agent_with(agent, config.to_stored(), limits.clone());
        }
    }
    if args.agents.is_empty() {
        for (agent, config) in crate::suites::conversation::default_agents(extras.default_agents)? {
            run = run.agent_with(agent, config, limits.clone());
        }
    }
    // Merged key by key: other parts of the spec's tags (a code task's prompt options) stay.
    if let serde_json::Value::Object(extra) = extras.tags {
        let tags = &mut run.spec_mut().tags;
        if !tags.is_object() {
            *tags = serde_json::json!({});
        }
        for (key, value) in extra {
            tags[key.as_str()] = value;
        }
    }
    let mut evaluator_names = HashSet::new();
    for spec in &args.evaluators {
        let config: EvaluatorConfig = spec.parse().with_context(|| format!("--eval {spec}"))?;
        run = run.evaluator_config(config)?;
        evaluator_names.insert(spec.split(':').next().unwrap_or(spec).to_owned());
    }
    for path in &args.judges {
        let judge = JudgeConfig::from_file(path)?;
        if !evaluator_names.insert(judge.name.clone()) {
            bail!(
                "--judge {}: another evaluator is named `{}`; give each judge its own `name`",
                path.display(),
                judge.name
            );
        }
        let agent = wrapping
            .build(&judge.agent)
            .with_context(|| format!("--judge {}: building the judge agent", path.display()))?;
        let evaluator = judge.build_with(agent)?;
        run = run.evaluator_with(Arc::new(evaluator), judge.to_evaluator_config());
    }
    let mut sampling = Sampling::default();
    if let Some(t) = args.temperature {
        sampling = sampling.with_temperature(t);
    }
    if let Some(m) = args.max_tokens {
        sampling = sampling.with_max_tokens(m);
    }
    if let Some(s) = args.seed {
        sampling = sampling.with_seed(s);
    }
    run = run
        .samples(args.samples)
        .concurrency(args.concurrency)
        .timeout(Duration::from_secs_f64(args.timeout))
        .retry(RetryPolicy::default().with_max_retries(args.max_retries))
        .sampling(sampling)
        .artifacts_dir(&args.out);
    if let Some(name) = &args.name {
        run = run.name(name.clone());
    }
    if let Some(usd) = args.max_cost {
        run = run.max_cost_usd(usd);
    }
    Ok(run)
}

/// A run over an opened suite, with the episode, evaluators and tests its kind brings.
fn with_suite(opened: crate::suites::OpenedSuite) -> Run {
    let mut run = Run::from_source(opened.source);
    if let Some(episode) = opened.episode {
        run = run.episode_arc(episode);
    }
    for evaluator in opened.evaluators {
        run = run.evaluator_arc(evaluator);
    }
    for test in opened.tests {
        run = run.transcript_test_arc(test);
    }
    run
}

/// The agents one `--agent` value names: a config file (one agent or a list) or a short spec.
pub(crate) fn agent_configs(spec: &str) -> anyhow::Result<Vec<AgentConfig>> {
    let looks_like_file = [".json", ".toml"].iter().any(|ext| spec.ends_with(ext));
    if looks_like_file || Path::new(spec).is_file() {
        return Ok(AgentConfig::from_file(Path::new(spec))?);
    }
    Ok(vec![AgentConfig::parse_spec(spec)?])
}

/// Rebuilds a stored run: the suite from its path, each agent from its stored config (keys
/// from the environment again, wrapped as `wrapping` says), each evaluator from its config
/// (judges included).
pub(crate) fn run_from_spec(spec: &RunSpec, wrapping: &AgentWrapping) -> anyhow::Result<Run> {
    let path = spec
        .suite
        .path
        .as_deref()
        .context("the run's suite was built in code, not read from a file: resume it from the program that started it")?;
    let (opened, extras) =
        crate::suites::open_suite_with_extras(Path::new(path), Some(&spec.kind), wrapping, |_| {
            crate::suites::conversation::stored_simulated_user(spec)
        })
        .with_context(|| format!("reopening the run's suite {path}"))?;
    crate::suites::check_resume(spec, &extras)?;
    let opened = crate::suites::code_tasks::with_stored_options(opened, spec)?;
    let (own, rest) = crate::suites::conversation::split_own_agents(spec, extras)?;
    let mut run = rebuild(&rest, wrapping, opened)?;
    for (agent, stored) in own {
        run = run.agent_with(agent, stored.config, stored.limits);
    }
    Ok(run)
}

/// Rebuilds a stored run for a worker, whose cases come from the work queue: a question set
/// needs no suite file; other kinds reopen theirs for what each attempt plays (a conversation's
/// simulated users, a code task's tests), so the path must be readable on the worker's machine.
pub(crate) fn run_for_worker(spec: &RunSpec, wrapping: &AgentWrapping) -> anyhow::Result<Run> {
    if spec.kind == benchcore::engine::SingleTurn.kind() {
        let queued = QueuedCases(spec.suite.clone());
        return rebuild(
            spec,
            wrapping,
            crate::suites::OpenedSuite::plain(Arc::new(queued)),
        );
    }
    run_from_spec(spec, wrapping)
}

/// The suite of a run whose cases come with its queued attempts: it reads nothing itself.
struct QueuedCases(benchcore::SuiteRef);

impl benchcore::CaseSource for QueuedCases {
    fn describe(&self) -> benchcore::SuiteRef {
        self.0.clone()
    }

    fn len(&self) -> u64 {
        self.0.cases
    }

    fn cases(
        &self,
    ) -> futures::stream::BoxStream<'static, Result<benchcore::Case, benchcore::SuiteError>> {
        Box::pin(futures::stream::empty())
    }
}

fn rebuild(
    spec: &RunSpec,
    wrapping: &AgentWrapping,
    opened: crate::suites::OpenedSuite,
) -> anyhow::Result<Run> {
    let mut run = with_suite(opened);
    for agent in &spec.agents {
        if agent.config.is_null() {
            bail!(
                "agent `{}` was built in code, not from a config: resume the run from the program that started it",
                agent.name
            );
        }
        let loaded;
        let config = match saved_reference(&agent.config) {
            Some(name) => wrapping
                .saved(name)
                .with_context(|| format!("agent `{}`", agent.name))?,
            None => {
                loaded = serde_json::from_value::<AgentConfig>(agent.config.clone())
                    .with_context(|| format!("the stored config of agent `{}`", agent.name))?;
                &loaded
            }
        };
        let built = wrapping
            .build(config)
            .with_context(|| format!("rebuilding agent `{}`", agent.name))?;
        run = run.agent_with(built, agent.config.clone(), agent.limits.clone());
    }
    for config in &spec.evaluators {
        let evaluator = build_evaluator(config).context("rebuilding the run's evaluators")?;
        run = run.evaluator_with(evaluator, config.clone());
    }
    Ok(run)
}

fn check_rate(flag: &str, rate: Option<f64>) -> anyhow::Result<()> {
    match rate {
        Some(r) if !(0.0..=1.0).contains(&r) => bail!("{flag}: must be between 0 and 1, got {r}"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use benchcore::{AttemptQuery, Engine, MemoryCache, MemoryStore, RunStore, Workspace};
    use clap::Parser;

    struct Files(tempfile::TempDir);

    impl Files {
        fn new() -> Self {
            let files = Self(tempfile::tempdir().unwrap());
            files.write(
                "suite.jsonl",
                "{\"id\": \"q1\", \"input\": \"2+2?\", \"target\": \"4\"}\n\
                 {\"id\": \"q2\", \"input\": \"3+3?\", \"target\": \"6\"}\n",
            );
            files
        }

        fn write(&self, name: &str, content: &str) -> String {
            let path = self.0.path().join(name);
            std::fs::write(&path, content).unwrap();
            path.display().to_string()
        }

        fn args(&self, extra: &[&str]) -> RunArgs {
            let suite = self.0.path().join("suite.jsonl").display().to_string();
            let mut argv = vec!["benchcore", "run", suite.as_str()];
            argv.extend_from_slice(extra);
            match Cli::parse_from(argv).command {
                Command::Run(args) => *args,
                other => panic!("{other:?}"),
            }
        }
    }

    fn plain() -> AgentWrapping {
        AgentWrapping::new(&AgentOptions::default(), None).unwrap()
    }

    #[test]
    fn judges_are_added_stored_and_rebuilt() {
        let files = Files::new();
        let judge = files.write(
            "judge.toml",
            "name = \"strict\"\npass_threshold = 0.9\n[agent]\nkind = \"replay\"\ntext = \"Score: 10/10\"\n",
        );
        let run = run_from_args(
            &files.args(&["--agent", "gold", "--eval", "exact", "--judge", &judge]),
            &plain(),
        )
        .unwrap();
        let spec = run.spec().clone();
        assert_eq!(spec.evaluators.len(), 2);
        let EvaluatorConfig::Judge { config } = &spec.evaluators[1] else {
            panic!("{:?}", spec.evaluators)
        };
        assert_eq!(config["name"], "strict");
        assert_eq!(config["agent"]["kind"], "replay");
        let rebuilt = run_from_spec(
            &spec,
            &AgentWrapping::new(&Default::default(), None).unwrap(),
        )
        .unwrap();
        assert_eq!(rebuilt.spec().evaluators, spec.evaluators);
    }

    #[test]
    fn judges_need_distinct_names() {
        let files = Files::new();
        let judge = files.write("j.json", r#"{"agent": {"kind": "gold"}}"#);
        let err = run_from_args(
            &files.args(&["--agent", "gold", "--judge", &judge, "--judge", &judge]),
            &plain(),
        )
        .err()
        .unwrap();
        assert!(
            format!("{err:#}").contains("another evaluator is named `judge`"),
            "{err:#}"
        );
        let bad = files.write("bad.json", r#"{"agent": {"kind": "gold"}, "scale": -1}"#);
        let err = run_from_args(&files.args(&["--agent", "gold", "--judge", &bad]), &plain())
            .err()
            .unwrap();
        let text = format!("{err:#}");
        assert!(
            text.contains("bad.json") && text.contains("scale"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn cache_serves_the_second_run() {
        let files = Files::new();
        let args = files.args(&["--agent", "gold", "--cache"]);
        assert!(args.agent_options.cache);
        let cache: Arc<dyn ResponseCache> = Arc::new(MemoryCache::new());
        let wrapping = AgentWrapping::new(&args.agent_options, Some(cache)).unwrap();
        let store: Arc<dyn RunStore> = Arc::new(MemoryStore::new());
        let engine = Engine::new(Arc::clone(&store));
        let mut cached = Vec::new();
        for _ in 0..2 {
            let report = engine
                .run(run_from_args(&args, &wrapping).unwrap())
                .await
                .unwrap();
            assert_eq!(report.summary.agents[0].passed, 2);
            let attempts = store
                .attempts(
                    &Workspace::default(),
                    &report.run_id,
                    &AttemptQuery::default(),
                )
                .await
                .unwrap();
            cached.push(attempts.iter().filter(|a| a.cached).count());
        }
        assert_eq!(cached, vec![0, 2]);
    }

    #[test]
    fn saved_agents_are_stored_by_name_and_rebuilt_by_name() {
        let files = Files::new();
        let args = files.args(&["--agent", "saved:ref", "--agent", "gold"]);
        assert_eq!(saved_names_in_args(&args), ["ref"]);
        let err = run_from_args(&args, &plain()).err().unwrap();
        assert!(format!("{err:#}").contains("saved agent `ref`"), "{err:#}");
        let saved = HashMap::from([("ref".to_owned(), AgentConfig::Gold)]);
        let wrapping = plain().with_saved(saved.clone());
        let spec = run_from_args(&args, &wrapping).unwrap().spec().clone();
        assert_eq!(
            spec.agents[0].config,
            serde_json::json!({"kind": "saved", "name": "ref"})
        );
        assert_eq!(saved_names_in_spec(&spec), ["ref"]);
        let rebuilt = run_from_spec(&spec, &plain().with_saved(saved)).unwrap();
        assert_eq!(rebuilt.spec().agents, spec.agents);
    }

    #[test]
    fn a_bad_price_file_is_named() {
        let files = Files::new();
        let prices = files.write("prices.json", r#"{"models": {"m": {"input": "x"}}}"#);
        let args = files.args(&["--agent", "gold", "--pricing", &prices]);
        let err = AgentWrapping::new(&args.agent_options, None).err().unwrap();
        assert!(format!("{err:#}").contains("prices.json"), "{err:#}");
    }
}
