//! `bench-voice`: voice conversations against the loopback Realtime server, to measure what
//! benchcore itself adds — sessions, event handling, recordings, voice reports — and how
//! fast the offline speech engine speaks. Prints a Markdown table.
//!
//! ```sh
//! cargo run --release -p benchcore-tests --bin bench-voice            # 200 conversations
//! cargo run --release -p benchcore-tests --bin bench-voice -- 1000 50 # conversations, in flight
//! ```

use anyhow::Context;
use benchcore::conversation::{Conversation, ConversationSuite};
use benchcore::voice::{CommandSpeech, Speech};
use benchcore::{AttemptQuery, Engine, MemoryStore, RunStore, Workspace};
use benchcore_providers::realtime::RealtimeConfig;
use benchcore_providers::{build_agent, AgentConfig};
use benchcore_tests::servers::{RealtimeScript, RealtimeServer};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const LINES: [&str; 3] = [
    "Hello there, thank you for joining. How does a typical morning start for you?",
    "That sounds lovely. What do you do in the first hour, and why does it matter?",
    "Thank you so much for sharing all of this with me today, goodbye!",
];

/// `conversations` scenarios (one file each) with a scripted participant.
fn write_suite(dir: &Path, conversations: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir.join("prompts"))?;
    std::fs::write(dir.join("prompts/ask.txt"), "Interview about mornings.\n")?;
    std::fs::write(dir.join("prompts/answer.txt"), "You get up early.\n")?;
    for i in 0..conversations {
        std::fs::write(
            dir.join(format!("c{i:05}.toml")),
            "max_turns = 8\n[interviewer]\nprompt = \"ask\"\n[simulated_user]\nprompt = \"answer\"\n\
             agent = { kind = \"scripted\", lines = [\"I get up at six.\", \"Coffee and the dog.\"] }\n",
        )?;
    }
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().context("arguments: CONVERSATIONS [IN_FLIGHT]"))
        .collect::<anyhow::Result<_>>()?;
    let conversations = args.first().copied().unwrap_or(200);
    let in_flight = args.get(1).copied().unwrap_or(20);
    let server = RealtimeServer::start(
        RealtimeScript::default()
            .reply_with(|cx| LINES[cx.response.min(LINES.len() - 1)].to_owned())
            .ms_per_word(300),
    )
    .await?;
    let dir = tempfile::tempdir()?;
    write_suite(dir.path(), conversations)?;
    let suite = ConversationSuite::open(dir.path())?;
    let conversation = Conversation::new(suite, |scenario| {
        let user = scenario
            .scenario
            .simulated_user
            .agent
            .clone()
            .unwrap_or_default();
        let user: AgentConfig = serde_json::from_value(user)?;
        Ok::<_, anyhow::Error>(build_agent(&user)?)
    })?;
    let config = RealtimeConfig::new("gpt-realtime")
        .with_base_url(server.url())
        .with_api_key("sk-bench");
    let stored = AgentConfig::Realtime(config.clone()).to_stored();
    let run = conversation
        .into_run()
        .agent_with(
            build_agent(&AgentConfig::Realtime(config))?,
            stored,
            Default::default(),
        )
        .artifacts_dir(dir.path().join("runs"))
        .concurrency(in_flight);
    let store = Arc::new(MemoryStore::new());
    let started = Instant::now();
    let report = Engine::new(store.clone()).run(run).await?;
    let wall = started.elapsed().as_secs_f64();
    let records = store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await?;
    let passed = records
        .iter()
        .filter(|r| r.outcome == benchcore::Outcome::Passed)
        .count();
    let mut first_audio: Vec<u64> = Vec::new();
    let mut audio_ms = 0u64;
    for record in &records {
        if let Some(turns) = record.reports.iter().find(|r| r.title == "Voice turns") {
            for v in &turns.variables {
                first_audio.extend(v.value["first_audio_ms"].as_u64());
                audio_ms += v.value["audio_ms"].as_u64().unwrap_or(0);
            }
        }
    }
    first_audio.sort_unstable();
    let turns = first_audio.len();
    let peak = peak_rss_mib()?;
    println!("| conversations | in flight | passed | spoken turns | audio recorded s | wall s | conversations/s | first audio ms p50 / p95 (loopback) | peak MiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {conversations} | {in_flight} | {passed} | {turns} | {:.0} | {wall:.2} | {:.1} | {} / {} | {peak:.1} |",
        audio_ms as f64 / 1000.0,
        conversations as f64 / wall,
        percentile(&first_audio, 0.5),
        percentile(&first_audio, 0.95),
    );

    // The offline speech engine: how long espeak-ng takes per line, against the speech it
    // makes (audio mode speaks every participant line before streaming it).
    let speech = CommandSpeech::espeak_ng();
    let mut spoken_ms = 0u64;
    let started = Instant::now();
    for line in LINES.iter().cycle().take(30) {
        match speech.speak(line).await {
            Ok(audio) => spoken_ms += audio.duration_ms(),
            Err(e) => {
                println!("\nespeak-ng: {e}");
                return Ok(());
            }
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!("\n| engine | lines | speech s | synthesis s | speech per synthesis second |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| espeak-ng | 30 | {:.1} | {took:.2} | {:.0}× |",
        spoken_ms as f64 / 1000.0,
        spoken_ms as f64 / 1000.0 / took
    );
    Ok(())
}

/// Peak resident memory of this process, from `/proc/self/status` (VmHWM).
fn peak_rss_mib() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM in /proc/self/status")?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .context("malformed VmHWM")?
        .parse()?;
    Ok(kib / 1024.0)
}
