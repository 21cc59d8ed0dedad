//! Conversation benchmarks end to end: scenario folder → engine → an interviewer and a
//! simulated user, each an OpenAI-compatible agent over loopback HTTP → SQLite store; then
//! quality metrics from a loopback judge.

use benchcore::conversation::{Conversation, ConversationSuite};
use benchcore::{
    AttemptQuery, AttemptRecord, Ending, Engine, Outcome, RetryPolicy, Run, RunReport, RunStatus,
    RunStore, Speaker, Status, Workspace,
};
use benchcore_providers::quality::{compute_metrics, Criterion, MetricsOptions, QualityConfig};
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::servers::{OpenAiServer, Scripted, ServerConfig};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const INTERVIEWER_PROMPT: &str = "You interview people about their mornings.\n";
const USER_PROMPT: &str = "You are an early riser.\n";

/// A scenario folder: `scenarios` (file name, TOML before the sides), both prompts, and
/// each side on its server. The scenario text goes first, so it sets top-level keys.
fn write_suite(
    dir: &Path,
    scenarios: &[(&str, &str)],
    interviewer: &OpenAiServer,
    user: &OpenAiServer,
) {
    std::fs::create_dir_all(dir.join("prompts")).unwrap();
    std::fs::write(dir.join("prompts/asker.txt"), INTERVIEWER_PROMPT).unwrap();
    std::fs::write(dir.join("prompts/riser.txt"), USER_PROMPT).unwrap();
    for (name, head) in scenarios {
        std::fs::write(
            dir.join(name),
            format!(
                "{head}\n[interviewer]\nprompt = \"asker\"\n\
                 agent = {{ kind = \"openai_compatible\", model = \"interviewer-model\", base_url = \"{}\" }}\n\
                 [simulated_user]\nprompt = \"riser\"\n\
                 agent = {{ kind = \"openai_compatible\", model = \"user-model\", base_url = \"{}\" }}\n",
                interviewer.base_url(),
                user.base_url()
            ),
        )
        .unwrap();
    }
}

/// The conversation run of a suite folder, each side built from its scenario's config.
fn conversation_run(dir: &Path) -> Run {
    let suite = ConversationSuite::open(dir).unwrap();
    let interviewer = suite.scenarios()[0]
        .scenario
        .interviewer
        .agent
        .clone()
        .unwrap();
    let interviewer: AgentConfig = serde_json::from_value(interviewer).unwrap();
    let conversation = Conversation::new(suite, |scenario| {
        let config = scenario.scenario.simulated_user.agent.clone().unwrap();
        build_agent(&serde_json::from_value::<AgentConfig>(config).unwrap())
    })
    .unwrap();
    conversation
        .into_run()
        .agent_with(
            build_agent(&interviewer).unwrap(),
            interviewer.to_stored(),
            Default::default(),
        )
        .retry(
            RetryPolicy::default()
                .with_max_retries(3)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .concurrency(2)
}

async fn servers() -> (OpenAiServer, OpenAiServer) {
    let config = ServerConfig::default().recording();
    (
        OpenAiServer::start(config.clone()).await.unwrap(),
        OpenAiServer::start(config).await.unwrap(),
    )
}

async fn sqlite(dir: &Path) -> Arc<dyn RunStore> {
    benchcore_store::connect(&format!("sqlite://{}", dir.join("runs.db").display()))
        .await
        .unwrap()
        .store()
}

/// Runs the conversation suite in `dir` into a SQLite file there; returns the store, the
/// report and the first attempt.
async fn run_the_suite(dir: &Path) -> (Arc<dyn RunStore>, RunReport, AttemptRecord) {
    let store = sqlite(dir).await;
    let report = Engine::new(store.clone())
        .run(conversation_run(dir))
        .await
        .unwrap();
    let record = attempts(&store, &report.run_id).await.remove(0);
    (store, report, record)
}

async fn attempts(store: &Arc<dyn RunStore>, run_id: &str) -> Vec<AttemptRecord> {
    store
        .attempts(&Workspace::default(), run_id, &AttemptQuery::all())
        .await
        .unwrap()
}

fn lines(record: &AttemptRecord) -> Vec<(Speaker, String)> {
    record
        .transcript
        .turns
        .iter()
        .map(|t| (t.speaker, t.text.clone()))
        .collect()
}

fn roles(body: &serde_json::Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect()
}

mod quality;
mod runs;
