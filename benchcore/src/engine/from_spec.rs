//! Building a [`Run`] from a [`RunSpec`]: the one path every front end takes, for a new run
//! and for a resume alike.

use super::Run;
use crate::kind::{AgentFactory, OpenedSuite, SuiteKinds, SuppliedAgent};
use crate::{ConfigError, Error, Result, RunSpec};
use std::sync::Arc;

impl Run {
    /// Builds the run a spec describes, with the built-in kinds (see
    /// [`from_spec_in`](Self::from_spec_in)).
    ///
    /// # Errors
    /// As [`from_spec_in`](Self::from_spec_in).
    pub fn from_spec(spec: RunSpec, agents: &dyn AgentFactory) -> Result<Self> {
        Self::from_spec_in(spec, agents, &SuiteKinds::builtin())
    }

    /// Builds the run a spec describes: its kind (told from the suite's path when the spec
    /// names none) opens the suite with the kind's options, every agent is built from its
    /// stored config by `agents` (or taken from the suite, for the agents it names itself),
    /// every evaluator from its config, and the spec's settings apply. A stored spec (a run
    /// being resumed) is also checked against the reopened suite, which must not have changed.
    ///
    /// # Errors
    /// An unknown kind, a suite that cannot be opened or changed since the spec recorded it,
    /// an agent or evaluator that does not build (named by its place in the spec), or a spec
    /// with no agent whose suite names none either.
    pub fn from_spec_in(
        mut spec: RunSpec,
        agents: &dyn AgentFactory,
        kinds: &SuiteKinds,
    ) -> Result<Self> {
        let kind = Arc::clone(kinds.for_spec(&spec)?);
        kind.name().clone_into(&mut spec.kind);
        let opened = kind.open(&spec, agents)?;
        kind.check_unchanged(&spec, &opened)?;
        Self::from_opened(spec, opened, agents)
    }

    /// Builds a stored run for a worker, whose cases come with the queued attempts: the kind
    /// opens only what each attempt needs (nothing, for a question set).
    ///
    /// # Errors
    /// As [`from_spec_in`](Self::from_spec_in).
    pub fn for_worker(
        spec: RunSpec,
        agents: &dyn AgentFactory,
        kinds: &SuiteKinds,
    ) -> Result<Self> {
        let kind = Arc::clone(kinds.for_spec(&spec)?);
        let opened = kind.open_for_worker(&spec, agents)?;
        Self::from_opened(spec, opened, agents)
    }

    /// Builds the run a spec describes over a suite the caller opened (cases built in code,
    /// for instance); the spec's `suite` is replaced by the opened suite's description.
    ///
    /// # Errors
    /// An agent or evaluator that does not build, or no agent at all.
    pub fn from_opened(
        spec: RunSpec,
        opened: OpenedSuite,
        agents: &dyn AgentFactory,
    ) -> Result<Self> {
        let mut run = Run::from_source(opened.source).episode_arc(opened.episode);
        run.warnings = opened.warnings;
        for evaluator in opened.evaluators {
            run = run.evaluator_arc(evaluator);
        }
        for test in opened.tests {
            run = run.transcript_test_arc(test);
        }
        let (supplied, suite_tags) = (opened.supplied_agents, opened.tags);
        if spec.agents.is_empty() {
            for SuppliedAgent { agent, config } in suite_agents(supplied)? {
                run = run.agent_with(agent, config, Default::default());
            }
        } else {
            let supplied = supplied.unwrap_or_default();
            for (i, agent_spec) in spec.agents.iter().enumerate() {
                let field = |e: ConfigError| place(e, &format!("agents[{i}]"));
                let built = match supplied.iter().find(|s| s.config == agent_spec.config) {
                    Some(own) => {
                        let (agent, limits) = (Arc::clone(&own.agent), agent_spec.limits.clone());
                        run = run.agent_with(agent, own.config.clone(), limits);
                        continue;
                    }
                    None if agent_spec.config.is_null() => {
                        return Err(Error::Run(format!(
                            "agent `{}` was built in code, not from a config: resume the run \
                             from the program that started it",
                            agent_spec.name
                        )))
                    }
                    None => agents.agent(&agent_spec.config).map_err(field)?,
                };
                let config = agents.stored_config(&agent_spec.config).map_err(field)?;
                run = run.agent_with(built, config, agent_spec.limits.clone());
            }
        }
        for (i, config) in spec.evaluators.iter().enumerate() {
            let evaluator = agents
                .evaluator(config)
                .map_err(|e| place(e, &format!("evaluators[{i}]")))?;
            run = run.evaluator_with(evaluator, config.clone());
        }
        let built = run.spec_mut();
        let tags = merge_tags(spec.tags, suite_tags);
        *built = RunSpec {
            kind: std::mem::take(&mut built.kind),
            suite: std::mem::take(&mut built.suite),
            agents: std::mem::take(&mut built.agents),
            evaluators: std::mem::take(&mut built.evaluators),
            tags,
            ..spec
        };
        Ok(run)
    }
}

/// The spec's own tags with the suite's merged in key by key (the suite's win: they say
/// what the suite is now).
const NO_AGENT: &str =
    "give at least one agent to test (`--agent` on the command line, `agents` in Python)";

/// The agents a suite names itself, for a spec that names none.
fn suite_agents(supplied: Result<Vec<SuppliedAgent>, String>) -> Result<Vec<SuppliedAgent>> {
    match supplied {
        Ok(list) if !list.is_empty() => Ok(list),
        Err(why) if !why.is_empty() => Err(ConfigError::field(
            "agents",
            format!("{NO_AGENT}; the suite cannot supply its own: {why}"),
        )
        .into()),
        _ => Err(ConfigError::field("agents", NO_AGENT).into()),
    }
}

fn merge_tags(mut own: serde_json::Value, suite: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(suite) = suite else {
        return own;
    };
    if !own.is_object() {
        own = serde_json::json!({});
    }
    for (key, value) in suite {
        own[key.as_str()] = value;
    }
    own
}

/// Prefixes an error's field with where it sits in the spec.
fn place(mut error: ConfigError, at: &str) -> ConfigError {
    error.field = Some(match error.field.take() {
        Some(field) => format!("{at}.{field}"),
        None => at.to_owned(),
    });
    error
}
