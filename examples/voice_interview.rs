//! A voice interview from Rust: the bundled `examples/voice` scenario with a speech-to-speech
//! interviewer on the OpenAI Realtime API and a scripted participant, into SQLite; prints the
//! voice metrics and where the recording is.
//!
//! ```sh
//! OPENAI_API_KEY=sk-… cargo run -p benchcore-tests --example voice_interview
//! # or against any server that speaks the Realtime API (the tests' loopback one):
//! cargo run -p benchcore-tests --bin mock-realtime &   # prints `listening ws://…`
//! BENCHCORE_REALTIME_URL=ws://127.0.0.1:PORT/v1/realtime cargo run -p benchcore-tests --example voice_interview
//! ```

use benchcore::conversation::{Conversation, ConversationSuite};
use benchcore::{AttemptQuery, Engine, RunStore, Workspace};
use benchcore_providers::realtime::RealtimeConfig;
use benchcore_providers::{build_agent, AgentConfig};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/voice");
    let suite = ConversationSuite::open(examples)?;
    let participant = build_agent(&serde_json::from_value::<AgentConfig>(serde_json::json!({
        "kind": "scripted", "name": "sam",
        "lines": ["I get up at half past five and make coffee.",
                  "Then I walk the dog by the river.", "Goodbye!"],
    }))?)?;
    let mut interviewer = RealtimeConfig::new("gpt-realtime");
    if let Ok(url) = std::env::var("BENCHCORE_REALTIME_URL") {
        interviewer = interviewer.with_base_url(url).with_api_key("sk-local");
    }
    let config = AgentConfig::Realtime(interviewer);
    let run = Conversation::with_user_for_all(suite, participant)
        .into_run()
        .agent_with(
            build_agent(&config)?,
            config.to_stored(),
            Default::default(),
        )
        .artifacts_dir("runs");
    let store: Arc<dyn RunStore> = benchcore_store::connect("sqlite://benchcore.db")
        .await?
        .store();
    let report = Engine::new(Arc::clone(&store)).run(run).await?;
    for record in store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await?
    {
        println!(
            "{} · {}: {}",
            record.key.case_id,
            record.key.agent,
            record.outcome.as_str()
        );
        if let Some(voice) = record.reports.iter().find(|r| r.title == "Voice") {
            for v in &voice.variables {
                println!("  {:<26} {}", v.metric, v.value);
            }
        }
        if let Some(dir) = &record.artifacts_dir {
            println!("  recording: {dir}/conversation.wav");
        }
    }
    Ok(())
}
