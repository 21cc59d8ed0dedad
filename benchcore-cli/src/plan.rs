//! Validated plans: arguments and config files turned into a [`Run`], and a stored spec turned
//! back into one for resume.

use crate::args::RunArgs;
use anyhow::{bail, Context};
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{AgentLimits, QuestionSet, RetryPolicy, Run, RunSpec, Sampling};
use benchcore_providers::{build_agent, AgentConfig};
use std::path::Path;
use std::time::Duration;

/// Builds the run `benchcore run` asked for.
pub(crate) fn run_from_args(args: &RunArgs) -> anyhow::Result<Run> {
    check_rate("--min-pass-rate", args.gates.min_pass_rate)?;
    check_rate("--max-error-rate", args.gates.max_error_rate)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!(
            "--timeout: must be a positive number of seconds, got {}",
            args.timeout
        );
    }
    let suite = QuestionSet::open(&args.suite)?;
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
    let mut run = Run::new(suite);
    for spec in &args.agents {
        for config in agent_configs(spec)? {
            let agent = build_agent(&config)?;
            run = run.agent_with(agent, config.to_stored(), limits.clone());
        }
    }
    for spec in &args.evaluators {
        let config: EvaluatorConfig = spec.parse().with_context(|| format!("--eval {spec}"))?;
        run = run.evaluator_config(config)?;
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

/// The agents one `--agent` value names: a config file (one agent or a list) or a short spec.
fn agent_configs(spec: &str) -> anyhow::Result<Vec<AgentConfig>> {
    let looks_like_file = [".json", ".toml"].iter().any(|ext| spec.ends_with(ext));
    if looks_like_file || Path::new(spec).is_file() {
        return Ok(AgentConfig::from_file(Path::new(spec))?);
    }
    Ok(vec![AgentConfig::parse_spec(spec)?])
}

/// Rebuilds a stored run: the suite from its path, each agent from its stored config (keys
/// from the environment again), each evaluator from its config.
pub(crate) fn run_from_spec(spec: &RunSpec) -> anyhow::Result<Run> {
    if spec.kind != "question_set" {
        bail!(
            "runs of kind `{}` cannot be resumed by this version",
            spec.kind
        );
    }
    let path = spec
        .suite
        .path
        .as_deref()
        .context("the run's suite was built in code, not read from a file: resume it from the program that started it")?;
    let suite =
        QuestionSet::open(path).with_context(|| format!("reopening the run's suite {path}"))?;
    let mut run = Run::new(suite);
    for agent in &spec.agents {
        if agent.config.is_null() {
            bail!(
                "agent `{}` was built in code, not from a config: resume the run from the program that started it",
                agent.name
            );
        }
        let config: AgentConfig = serde_json::from_value(agent.config.clone())
            .with_context(|| format!("the stored config of agent `{}`", agent.name))?;
        let built =
            build_agent(&config).with_context(|| format!("rebuilding agent `{}`", agent.name))?;
        run = run.agent_with(built, agent.config.clone(), agent.limits.clone());
    }
    for config in &spec.evaluators {
        run = run.evaluator_config(config.clone())?;
    }
    Ok(run)
}

fn check_rate(flag: &str, rate: Option<f64>) -> anyhow::Result<()> {
    match rate {
        Some(r) if !(0.0..=1.0).contains(&r) => bail!("{flag}: must be between 0 and 1, got {r}"),
        _ => Ok(()),
    }
}
