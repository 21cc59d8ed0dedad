//! A question set run end to end with the reference agents and an in-memory store.
//!
//! `cargo run -p benchcore-tests --example question_set`

use benchcore::agent::reference::{Gold, Null};
use benchcore::{Engine, MemoryStore, QuestionSet, Run, RunEvent};
use futures::StreamExt;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let suite = QuestionSet::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/questions/arithmetic.jsonl"
    ))?;
    let run = Run::new(suite)
        .agent(Gold)
        .agent(Null)
        .evaluator_config("numeric".parse()?)?
        .samples(2);
    let mut handle = Engine::new(Arc::new(MemoryStore::new())).start(run).await?;
    let mut events = handle.events();
    while let Some(event) = events.next().await {
        match event {
            RunEvent::Started { run_id, total, .. } => println!("run {run_id}: {total} attempts"),
            RunEvent::Finished { status, summary } => {
                println!("run {status}");
                for agent in &summary.agents {
                    println!(
                        "  {:<5} accuracy {:>5.1}%  ({} passed, {} failed)",
                        agent.agent,
                        agent.accuracy.unwrap_or(0.0) * 100.0,
                        agent.passed,
                        agent.failed
                    );
                }
            }
            _ => {}
        }
    }
    handle.wait().await?;
    Ok(())
}
