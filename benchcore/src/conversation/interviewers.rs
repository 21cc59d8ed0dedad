//! The agents a conversation suite names itself: each scenario's `interviewer.agent`, the
//! agent under test when a run names none.

use super::{ConversationSuite, LoadedScenario};
use crate::kind::{AgentFactory, SuppliedAgent};
use crate::{async_trait, Agent, AgentCapabilities, AgentError, AgentErrorKind, ConfigError};
use crate::{AgentReply, AgentRequest};
use std::collections::HashMap;
use std::sync::Arc;

/// The stored config of the agent that answers each scenario with its own interviewer.
pub(super) const SCENARIO_INTERVIEWERS: &str = "scenario_interviewers";

/// A scenario's agent config for `side` (`interviewer` or `simulated_user`), in the form a
/// run spec stores, if it names one. Errors name the scenario file and the field.
pub(super) fn scenario_agent(
    scenario: &LoadedScenario,
    side: &str,
    agents: &dyn AgentFactory,
) -> Result<Option<serde_json::Value>, ConfigError> {
    let value = match side {
        "interviewer" => &scenario.scenario.interviewer.agent,
        _ => &scenario.scenario.simulated_user.agent,
    };
    let Some(value) = value else { return Ok(None) };
    agents
        .stored_config(value)
        .map(Some)
        .map_err(|e| prefix_field(e, &format!("{side}.agent")).in_file(&scenario.path, None))
}

fn prefix_field(mut error: ConfigError, prefix: &str) -> ConfigError {
    error.field = Some(match error.field.take() {
        Some(field) => format!("{prefix}.{field}"),
        None => prefix.to_owned(),
    });
    error
}

/// The interviewers the scenarios name, as the run's agent under test: the one agent when
/// every scenario names the same, else one agent that answers each scenario with its own.
/// An error (kept for the message of a run that names no agent) when a scenario names none
/// or one does not build.
pub(super) fn interviewers(
    suite: &ConversationSuite,
    agents: &dyn AgentFactory,
) -> Result<Vec<SuppliedAgent>, String> {
    let mut configs = Vec::new();
    for scenario in suite.scenarios() {
        match scenario_agent(scenario, "interviewer", agents) {
            Ok(Some(config)) => configs.push((scenario.id.clone(), config)),
            Ok(None) => {
                return Err(format!(
                    "scenario {} names no interviewer.agent",
                    scenario.path.display()
                ))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let first = configs[0].1.clone();
    if configs.iter().all(|(_, c)| *c == first) {
        let agent = agents
            .agent(&first)
            .map_err(|e| format!("building interviewer.agent: {e}"))?;
        return Ok(vec![SuppliedAgent {
            agent,
            config: first,
        }]);
    }
    let mut by_scenario = HashMap::new();
    for (id, config) in &configs {
        let agent = agents
            .agent(config)
            .map_err(|e| format!("building the interviewer.agent of scenario {id}: {e}"))?;
        by_scenario.insert(id.clone(), agent);
    }
    let mut names = by_scenario.values().map(|a| a.name().to_owned());
    let first_name = names.next().unwrap_or_default();
    let name = if names.all(|n| n == first_name) {
        first_name
    } else {
        "scenario-interviewers".to_owned()
    };
    Ok(vec![SuppliedAgent {
        agent: Arc::new(ScenarioInterviewers { name, by_scenario }),
        config: serde_json::json!({ "kind": SCENARIO_INTERVIEWERS }),
    }])
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

    async fn conversation_ended(&self, case: &crate::Case, sample: u32) {
        if let Some(agent) = self.by_scenario.get(&case.id) {
            agent.conversation_ended(case, sample).await;
        }
    }
}
