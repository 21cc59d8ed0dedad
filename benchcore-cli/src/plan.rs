//! Plans: `benchcore run`'s arguments turned into a [`RunSpec`]. The library builds the run
//! from it ([`Run::from_spec`]), for a new run and for `resume` alike.

use crate::args::{AgentOptions, RunArgs};
use anyhow::{bail, Context};
use benchcore::code_task::{AnswerFormat, CodeTaskMode, PromptOptions};
use benchcore::evaluator::EvaluatorConfig;
use benchcore::kind::SuiteKinds;
use benchcore::{AgentLimits, ResponseCache, RetryPolicy, Run, RunSpec, Sampling};
use benchcore_providers::{AgentConfig, JudgeConfig, Pricing, ProviderFactory};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The prefix of an `--agent` value naming a saved agent.
pub(crate) const SAVED_PREFIX: &str = "saved:";

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
        .filter_map(|agent| ProviderFactory::saved_name(&agent.config))
        .map(str::to_owned)
        .collect()
}

/// The factory agents are built with: the prices `--pricing` (or `BENCHCORE_PRICING`) names
/// over the built-in table, `cache` when `--cache` asked for it, and the saved agents.
pub(crate) fn factory(
    options: &AgentOptions,
    cache: Option<Arc<dyn ResponseCache>>,
    saved: HashMap<String, AgentConfig>,
) -> anyhow::Result<ProviderFactory> {
    let pricing = match &options.pricing {
        Some(path) => Pricing::from_file(path)?,
        None => Pricing::builtin(),
    };
    Ok(ProviderFactory::new()
        .with_pricing(pricing)
        .with_cache(cache)
        .with_saved(saved))
}

/// Builds the run `benchcore run` asked for.
pub(crate) fn run_from_args(args: &RunArgs, factory: &ProviderFactory) -> anyhow::Result<Run> {
    Ok(Run::from_spec_in(
        spec_from_args(args)?,
        factory,
        &crate::kinds::kinds(),
    )?)
}

/// The spec `benchcore run` asks for: the suite with its kind's options, the agents by
/// config, the evaluators and the settings.
pub(crate) fn spec_from_args(args: &RunArgs) -> anyhow::Result<RunSpec> {
    check_rate("--min-pass-rate", args.gates.min_pass_rate)?;
    check_rate("--max-error-rate", args.gates.max_error_rate)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!(
            "--timeout: must be a positive number of seconds, got {}",
            args.timeout
        );
    }
    let mut spec = RunSpec::for_suite(&args.suite);
    let kind = SuiteKinds::builtin()
        .detect(Path::new(&args.suite))
        .map(|k| k.name().to_owned())
        .unwrap_or_default();
    let mut tags = serde_json::json!({});
    if let Some(options) = prompt_options(args)? {
        if kind != benchcore::code_task::KIND {
            bail!(
                "--include-tests, --answer-format, --mode and --max-steps apply to code-task \
                 catalogs only"
            );
        }
        tags[benchcore::code_task::KIND] = options.to_json();
    }
    if let Some(user) = simulated_user(args.simulated_user.as_deref())? {
        if kind != benchcore::conversation::CONVERSATION {
            bail!(
                "--simulated-user: {} is not a conversation suite; a simulated user takes part \
                 in conversations only",
                args.suite.display()
            );
        }
        tags[benchcore::conversation::CONVERSATION]["simulated_user"] = user.to_stored();
    }
    if tags.as_object().is_some_and(|t| !t.is_empty()) {
        spec.tags = tags;
    }
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
    for value in &args.agents {
        let configs = match value.strip_prefix(SAVED_PREFIX) {
            Some(name) => vec![ProviderFactory::saved_reference(name)],
            None => agent_configs(value)?
                .iter()
                .map(AgentConfig::to_stored)
                .collect(),
        };
        for config in configs {
            spec = spec.with_agent_config(config);
            if let Some(agent) = spec.agents.last_mut() {
                agent.limits = limits.clone();
            }
        }
    }
    let mut evaluator_names = HashSet::new();
    for value in &args.evaluators {
        let config: EvaluatorConfig = value.parse().with_context(|| format!("--eval {value}"))?;
        spec.evaluators.push(config);
        evaluator_names.insert(value.split(':').next().unwrap_or(value).to_owned());
    }
    if args.fail_on_truncation && !evaluator_names.contains("not_truncated") {
        spec.evaluators.push(EvaluatorConfig::NotTruncated);
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
        spec.evaluators.push(judge.to_evaluator_config());
    }
    if let Some(name) = &args.extract {
        spec.extract = Some(name.parse().with_context(|| format!("--extract {name}"))?);
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
    spec.samples = args.samples;
    spec.concurrency = args.concurrency;
    spec.timeout_ms = Duration::from_secs_f64(args.timeout).as_millis() as u64;
    spec.retry = RetryPolicy::default()
        .with_max_retries(args.max_retries)
        .with_breaker(args.stop_after_failures);
    spec.sampling = sampling;
    // Absolute, so the viewer, a resume or a worker started elsewhere finds the files.
    let out = std::path::absolute(&args.out).unwrap_or_else(|_| args.out.clone());
    spec.artifacts_dir = Some(out.display().to_string());
    spec.name.clone_from(&args.name);
    spec.max_cost_usd = args.max_cost;
    spec.batch = args.batch.options()?;
    args.dataset.apply(&mut spec, args.seed)?;
    Ok(spec)
}

/// The prompt options `run` was given, or `None` when it was given none.
fn prompt_options(args: &RunArgs) -> anyhow::Result<Option<PromptOptions>> {
    let mut options = PromptOptions::default();
    if args.include_tests {
        options = options.with_tests(true);
    }
    if let Some(format) = &args.answer_format {
        let format: AnswerFormat = format
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--answer-format: {e}"))?;
        options = options.with_answer_format(format);
    }
    if let Some(mode) = &args.mode {
        let mode: CodeTaskMode = mode
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--mode: {e}"))?;
        options = options.with_mode(mode);
    }
    if let Some(steps) = args.max_steps {
        if options.mode() != CodeTaskMode::Agent {
            bail!("--max-steps applies to `--mode agent` only");
        }
        if steps == 0 {
            bail!("--max-steps: must be at least 1");
        }
        options = options.with_max_steps(steps);
    }
    Ok((options != PromptOptions::default()).then_some(options))
}

/// The simulated user `--simulated-user` names: an agent spec or an agent config file.
fn simulated_user(value: Option<&str>) -> anyhow::Result<Option<AgentConfig>> {
    let Some(value) = value else { return Ok(None) };
    let mut configs = agent_configs(value).with_context(|| format!("--simulated-user {value}"))?;
    if configs.len() != 1 {
        bail!(
            "--simulated-user {value}: name one agent, not {}",
            configs.len()
        );
    }
    Ok(configs.pop())
}

/// The agents one `--agent` value names: a config file (one agent or a list) or a short spec.
pub(crate) fn agent_configs(spec: &str) -> anyhow::Result<Vec<AgentConfig>> {
    let looks_like_file = [".json", ".toml"].iter().any(|ext| spec.ends_with(ext));
    if looks_like_file || Path::new(spec).is_file() {
        return Ok(AgentConfig::from_file(Path::new(spec))?);
    }
    Ok(vec![AgentConfig::parse_spec(spec)?])
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

    fn plain() -> ProviderFactory {
        factory(&AgentOptions::default(), None, HashMap::new()).unwrap()
    }

    fn run_from_spec(spec: &RunSpec, factory: &ProviderFactory) -> anyhow::Result<Run> {
        Ok(Run::from_spec(spec.clone(), factory)?)
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
        let rebuilt = run_from_spec(&spec, &plain()).unwrap();
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
        let wrapping = factory(&args.agent_options, Some(cache), HashMap::new()).unwrap();
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
        let err = factory(&args.agent_options, None, HashMap::new())
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("prices.json"), "{err:#}");
    }

    #[test]
    fn mode_and_max_steps_are_recorded_for_code_tasks_only() {
        let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/tasks");
        let parse = |extra: &[&str]| {
            let mut argv = vec!["benchcore", "run", catalog.to_str().unwrap(), "-a", "gold"];
            argv.extend_from_slice(extra);
            match Cli::parse_from(argv).command {
                Command::Run(args) => *args,
                other => panic!("{other:?}"),
            }
        };
        let spec = spec_from_args(&parse(&["--mode", "agent", "--max-steps", "3"])).unwrap();
        assert_eq!(
            spec.tags["code_task"],
            serde_json::json!({"mode": "agent", "max_steps": 3})
        );
        let err = spec_from_args(&parse(&["--max-steps", "3"])).unwrap_err();
        assert!(format!("{err:#}").contains("--mode agent"), "{err:#}");
        let err = spec_from_args(&parse(&["--mode", "loop"])).unwrap_err();
        assert!(format!("{err:#}").contains("--mode"), "{err:#}");
        let files = Files::new();
        let err = spec_from_args(&files.args(&["--mode", "agent"])).unwrap_err();
        assert!(format!("{err:#}").contains("code-task"), "{err:#}");
    }
}
