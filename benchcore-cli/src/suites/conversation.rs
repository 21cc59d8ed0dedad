//! Conversation suites on the command line: a folder of scenario files (or one scenario
//! file). Each scenario's simulated user is built from its `simulated_user.agent`; its
//! `interviewer.agent` is the agent under test when `--agent` names none. Conversations are
//! graded by [`EndedNaturally`] (besides any `--eval` or `--judge`).

use super::{OpenedSuite, SuiteExtras, SuppliedAgents};
use crate::plan::AgentWrapping;
use anyhow::{bail, Context};
use benchcore::conversation::{
    is_scenario_file, Conversation, ConversationSuite, EndedNaturally, LoadedScenario,
};
use benchcore::{async_trait, Agent, AgentCapabilities, AgentError, AgentErrorKind};
use benchcore::{AgentReply, AgentRequest, AgentSpec, RunSpec};
use benchcore_providers::AgentConfig;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The run kind of conversation suites.
pub(crate) const KIND: &str = "conversation";

/// The stored config of the agent that answers each scenario with its own interviewer.
const SCENARIO_INTERVIEWERS: &str = "scenario_interviewers";

/// Whether `path` is a conversation suite: a scenario file, or a folder holding one.
pub(crate) fn is_conversation_path(path: &Path) -> bool {
    if path.is_dir() {
        return std::fs::read_dir(path).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().is_file() && is_scenario_file(&e.path()))
        });
    }
    is_scenario_file(path)
}

/// Opens a conversation suite: the scenarios, the episode with every scenario's simulated
/// user built (from `simulated_user` when given, else from the scenario), the prompts for the
/// run spec's tags, and the scenarios' interviewers for runs that name no agent.
pub(crate) fn open_with(
    path: &Path,
    wrapping: &AgentWrapping,
    simulated_user: Option<AgentConfig>,
) -> anyhow::Result<(OpenedSuite, SuiteExtras)> {
    let suite = ConversationSuite::open(path)
        .with_context(|| format!("opening the conversation suite {}", path.display()))?;
    let mut tags = suite.spec_tags();
    let interviewers = interviewers(&suite, wrapping);
    let shared_user = match &simulated_user {
        Some(config) => {
            tags["conversation"]["simulated_user"] = config.to_stored();
            Some(
                wrapping
                    .build(config)
                    .context("--simulated-user: building the agent")?,
            )
        }
        None => None,
    };
    let episode = Conversation::new(suite, |scenario| {
        if let Some(user) = &shared_user {
            return Ok(Arc::clone(user));
        }
        let config = scenario_agent(scenario, "simulated_user")?.with_context(|| {
            format!(
                "{}: simulated_user.agent is required to run from the command line (an agent \
                 config: {{kind = \"openai\", model = \"gpt-4o-mini\"}}, {{kind = \"scripted\", \
                 lines = [...]}} …)",
                scenario.path.display()
            )
        })?;
        wrapping
            .build(&config)
            .with_context(|| format!("{}: building simulated_user.agent", scenario.path.display()))
    })?;
    let mut opened = OpenedSuite::plain(Arc::new(episode.suite().clone()));
    opened.episode = Some(Arc::new(episode));
    opened.evaluators.push(Arc::new(EndedNaturally));
    let extras = SuiteExtras {
        tags,
        default_agents: interviewers,
    };
    Ok((opened, extras))
}

/// The simulated user `--simulated-user` names: an agent spec or an agent config file.
pub(crate) fn simulated_user_arg(spec: Option<&str>) -> anyhow::Result<Option<AgentConfig>> {
    let Some(spec) = spec else { return Ok(None) };
    let mut configs =
        crate::plan::agent_configs(spec).with_context(|| format!("--simulated-user {spec}"))?;
    if configs.len() != 1 {
        bail!(
            "--simulated-user {spec}: name one agent, not {}",
            configs.len()
        );
    }
    Ok(configs.pop())
}

/// The simulated user a stored run chose for every scenario, if it chose one.
pub(crate) fn stored_simulated_user(spec: &RunSpec) -> anyhow::Result<Option<AgentConfig>> {
    let stored = &spec.tags["conversation"]["simulated_user"];
    if stored.is_null() {
        return Ok(None);
    }
    let config = serde_json::from_value(stored.clone())
        .context("the stored config of the run's simulated user")?;
    Ok(Some(config))
}

/// A scenario's agent config for `side` (`interviewer` or `simulated_user`), if it names one.
fn scenario_agent(scenario: &LoadedScenario, side: &str) -> anyhow::Result<Option<AgentConfig>> {
    let value = match side {
        "interviewer" => &scenario.scenario.interviewer.agent,
        _ => &scenario.scenario.simulated_user.agent,
    };
    let Some(value) = value else { return Ok(None) };
    let config = serde_json::from_value::<AgentConfig>(value.clone())
        .map_err(anyhow::Error::from)
        .and_then(|config| {
            config.validate()?;
            Ok(config)
        })
        .with_context(|| format!("{}: {side}.agent", scenario.path.display()))?;
    Ok(Some(config))
}

/// The interviewers the scenarios name, as the run's agent under test: the one agent when
/// every scenario names the same, else one agent that answers each scenario with its own.
/// Empty (with the reason kept for the error) when a scenario names none or one does not
/// build.
fn interviewers(
    suite: &ConversationSuite,
    wrapping: &AgentWrapping,
) -> Result<SuppliedAgents, String> {
    let mut configs = Vec::new();
    for scenario in suite.scenarios() {
        match scenario_agent(scenario, "interviewer") {
            Ok(Some(config)) => configs.push((scenario.id.clone(), config)),
            Ok(None) => {
                return Err(format!(
                    "scenario {} names no interviewer.agent",
                    scenario.path.display()
                ))
            }
            Err(e) => return Err(format!("{e:#}")),
        }
    }
    let first = configs[0].1.to_stored();
    if configs.iter().all(|(_, c)| c.to_stored() == first) {
        let agent = wrapping
            .build(&configs[0].1)
            .map_err(|e| format!("building interviewer.agent: {e:#}"))?;
        return Ok(vec![(agent, first)]);
    }
    let mut by_scenario = HashMap::new();
    for (id, config) in &configs {
        let agent = wrapping
            .build(config)
            .map_err(|e| format!("building the interviewer.agent of scenario {id}: {e:#}"))?;
        by_scenario.insert(id.clone(), agent);
    }
    let first_name = configs[0].1.name();
    let name = if configs.iter().all(|(_, c)| c.name() == first_name) {
        first_name
    } else {
        "scenario-interviewers".to_owned()
    };
    let agent: Arc<dyn Agent> = Arc::new(ScenarioInterviewers { name, by_scenario });
    Ok(vec![(
        agent,
        serde_json::json!({ "kind": SCENARIO_INTERVIEWERS }),
    )])
}

/// Whether a stored agent config is the scenarios' own interviewers.
pub(crate) fn is_scenario_interviewers(config: &serde_json::Value) -> bool {
    config["kind"] == SCENARIO_INTERVIEWERS
}

/// The agents a run without `--agent` tests: the scenarios' interviewers, or an error saying
/// why there are none.
pub(crate) fn default_agents(
    defaults: Result<SuppliedAgents, String>,
) -> anyhow::Result<SuppliedAgents> {
    match defaults {
        Ok(agents) if !agents.is_empty() => Ok(agents),
        Ok(_) => bail!("--agent: give at least one agent to test"),
        Err(why) if why.is_empty() => bail!("--agent: give at least one agent to test"),
        Err(why) => bail!(
            "--agent: give at least one agent to test; the suite's scenarios cannot supply \
             their interviewer: {why}"
        ),
    }
}

/// An agent the reopened suite supplies, with its entry in the stored run spec.
pub(crate) type OwnAgent = (Arc<dyn Agent>, AgentSpec);

/// Splits a stored run's agents into those the reopened suite supplies (the scenarios' own
/// interviewers, with their stored entries) and a spec holding the others, which are built
/// from their configs as usual.
pub(crate) fn split_own_agents(
    spec: &RunSpec,
    extras: SuiteExtras,
) -> anyhow::Result<(Vec<OwnAgent>, RunSpec)> {
    if !spec
        .agents
        .iter()
        .any(|a| is_scenario_interviewers(&a.config))
    {
        return Ok((Vec::new(), spec.clone()));
    }
    let supplied = default_agents(extras.default_agents)?;
    let mut own = Vec::new();
    let mut rest = spec.clone();
    rest.agents.clear();
    for agent in &spec.agents {
        if !is_scenario_interviewers(&agent.config) {
            rest.agents.push(agent.clone());
            continue;
        }
        let built = supplied
            .iter()
            .find(|(built, config)| is_scenario_interviewers(config) && built.name() == agent.name)
            .map(|(built, _)| Arc::clone(built))
            .with_context(|| {
                format!(
                    "agent `{}` answered each scenario with its own interviewer, and the \
                     scenarios now name other interviewers",
                    agent.name
                )
            })?;
        own.push((built, agent.clone()));
    }
    Ok((own, rest))
}

/// Refuses to resume a run whose prompts changed since it started: its conversations would
/// mix two versions of a prompt.
pub(crate) fn check_unchanged(spec: &RunSpec, extras: &SuiteExtras) -> anyhow::Result<()> {
    let stored = &spec.tags["conversation"]["scenarios"];
    let now = &extras.tags["conversation"]["scenarios"];
    let Some(stored) = stored.as_object() else {
        return Ok(());
    };
    for (id, then) in stored {
        for side in ["interviewer_prompt", "simulated_user_prompt"] {
            let (was, is) = (&then[format!("{side}_id")], &now[id][format!("{side}_id")]);
            if was != is {
                bail!(
                    "scenario `{id}`: the {} prompt `{}` changed since the run started (id {} \
                     then, {} now); restore it, or start a new run",
                    side.trim_end_matches("_prompt").replace('_', " "),
                    then[format!("{side}_name")].as_str().unwrap_or("?"),
                    was,
                    is
                );
            }
        }
    }
    Ok(())
}

/// The agent under test when scenarios name different interviewers: each conversation is
/// answered by its own scenario's interviewer.
struct ScenarioInterviewers {
    name: String,
    by_scenario: HashMap<String, Arc<dyn Agent>>,
}

#[async_trait]
impl Agent for ScenarioInterviewers {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> AgentCapabilities {
        self.by_scenario
            .values()
            .next()
            .map(|a| a.capabilities())
            .unwrap_or_default()
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let id = request.case.as_ref().map(|c| c.id.as_str()).unwrap_or("");
        match self.by_scenario.get(id) {
            Some(agent) => agent.respond(request).await,
            None => Err(AgentError::new(
                AgentErrorKind::BadRequest,
                format!("no scenario `{id}` names an interviewer"),
            )),
        }
    }
}
