//! The conversation kind: a folder of scenario files (or one file); each attempt is a
//! conversation between the interviewer under test and a simulated user.

use super::interviewers::{interviewers, scenario_agent};
use super::{is_scenario_file, Conversation, ConversationSuite, EndedNaturally};
use crate::kind::{AgentFactory, OpenedSuite, SuiteKind};
use crate::{ConfigError, Error, RunSpec};
use std::path::Path;
use std::sync::Arc;

/// The name of the conversation kind.
pub const CONVERSATION: &str = "conversation";

/// Conversation suites. The run spec's `tags.conversation` records every scenario's prompts
/// (see [`ConversationSuite::spec_tags`]) and, when the run chose one simulated user for
/// every scenario, its config under `simulated_user`; otherwise each scenario's own
/// `simulated_user.agent` is built. Conversations are judged by [`EndedNaturally`] (besides
/// the run's evaluators). A run that names no agent tests the scenarios' own interviewers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConversationKind;

/// Whether `path` is a conversation suite: a scenario file, or a folder holding one.
pub fn is_conversation_path(path: &Path) -> bool {
    if path.is_dir() {
        return std::fs::read_dir(path).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().is_file() && is_scenario_file(&e.path()))
        });
    }
    is_scenario_file(path)
}

#[async_trait::async_trait]
impl SuiteKind for ConversationKind {
    fn name(&self) -> &str {
        CONVERSATION
    }

    fn recognizes(&self, path: &Path) -> bool {
        is_conversation_path(path)
    }

    fn open(&self, spec: &RunSpec, agents: &dyn AgentFactory) -> Result<OpenedSuite, Error> {
        let path = spec.suite.path.as_deref().ok_or_else(|| {
            ConfigError::field("suite.path", "a conversation suite is read from its folder")
        })?;
        let suite = ConversationSuite::open(path)?;
        let mut tags = suite.spec_tags();
        let shared_user = &spec.tags[CONVERSATION]["simulated_user"];
        let episode = if shared_user.is_null() {
            Conversation::new(suite.clone(), |scenario| {
                let config =
                    scenario_agent(scenario, "simulated_user", agents)?.ok_or_else(|| {
                        ConfigError::field(
                            "simulated_user.agent",
                            "required unless the run chooses one simulated user for every \
                         scenario (`--simulated-user` on the command line, `simulated_user=` \
                         in Python: any agent, a Python callable included); give it an agent \
                         config: {kind = \"openai\", model = \"gpt-4o-mini\"}, {kind = \
                         \"scripted\", lines = [...]} …",
                        )
                        .in_file(&scenario.path, None)
                    })?;
                agents.agent(&config).map_err(|e| {
                    ConfigError::field("simulated_user.agent", e.to_string())
                        .in_file(&scenario.path, None)
                })
            })?
        } else {
            let user = agents.agent(shared_user).map_err(|e| {
                ConfigError::field("tags.conversation.simulated_user", e.to_string())
            })?;
            tags[CONVERSATION]["simulated_user"] = shared_user.clone();
            Conversation::with_user_for_all(suite.clone(), user)
        };
        let mut opened = OpenedSuite::new(Arc::new(suite.clone()), Arc::new(episode))
            .with_evaluator(Arc::new(EndedNaturally))
            .with_tags(tags);
        opened.supplied_agents = interviewers(&suite, agents);
        Ok(opened)
    }

    /// Refuses a resume whose prompts changed since the run started (its conversations would
    /// mix two versions of a prompt), naming the scenario and the prompt; then compares the
    /// suite's content digests.
    fn check_unchanged(&self, stored: &RunSpec, reopened: &OpenedSuite) -> Result<(), Error> {
        let then = &stored.tags[CONVERSATION]["scenarios"];
        let now = &reopened.tags[CONVERSATION]["scenarios"];
        if let Some(then) = then.as_object() {
            for (id, was) in then {
                for side in ["interviewer_prompt", "simulated_user_prompt"] {
                    let key = format!("{side}_id");
                    let (was_id, is_id) = (&was[&key], &now[id][&key]);
                    if was_id != is_id {
                        return Err(Error::Run(format!(
                            "scenario `{id}`: the {} prompt `{}` changed since the run started \
                             (id {was_id} then, {is_id} now); restore it, or start a new run",
                            side.trim_end_matches("_prompt").replace('_', " "),
                            was[format!("{side}_name")].as_str().unwrap_or("?"),
                        )));
                    }
                }
            }
        }
        crate::kind::check_digest(stored, reopened)
    }
}
