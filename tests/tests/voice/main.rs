//! Voice conversations end to end: a scenario folder → the engine → a `realtime`
//! interviewer over loopback WebSocket to a server that speaks the Realtime API's documented
//! events, and a scripted participant → SQLite; then the recording, the clips and the voice
//! reports checked on the real samples.

use benchcore::conversation::{Conversation, ConversationSuite, RECORDING_FILE};
use benchcore::voice::{Channel, Recording};
use benchcore::{
    Agent, AttemptQuery, AttemptRecord, Engine, Outcome, RetryPolicy, RunStore, Speaker,
    TestReport, Workspace,
};
use benchcore_providers::pricing::Pricing;
use benchcore_providers::realtime::{RealtimeAgent, RealtimeConfig};
use benchcore_providers::{build_agent, AgentConfig, Priced};
use benchcore_tests::servers::{RealtimeScript, RealtimeServer};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod audio_mode;
mod checks;
mod faults;
mod sides;

const INTERVIEWER_PROMPT: &str = "You interview people about their mornings. Be brief.\n";
const USER_PROMPT: &str = "You are an early riser.\n";
/// The interviewer's lines, as the server speaks them: three turns, the last a goodbye.
const INTERVIEWER_LINES: [&str; 3] = [
    "Hello there, how do your mornings start?",
    "Lovely. What comes next?",
    "Thank you so much, goodbye!",
];
/// The participant's scripted lines.
const USER_LINES: [&str; 2] = ["I get up at six and make coffee.", "Then I walk the dog."];
/// Milliseconds of synthetic voice per word of the loopback server.
const MS_PER_WORD: u64 = 40;

/// A scenario folder with a scripted participant; the interviewer comes from the test.
fn write_suite(dir: &Path, head: &str) {
    std::fs::create_dir_all(dir.join("prompts")).unwrap();
    std::fs::write(dir.join("prompts/asker.txt"), INTERVIEWER_PROMPT).unwrap();
    std::fs::write(dir.join("prompts/riser.txt"), USER_PROMPT).unwrap();
    let lines = USER_LINES.map(|l| format!("{l:?}")).join(", ");
    std::fs::write(
        dir.join("mornings.toml"),
        format!(
            "{head}\nfirst_speaker = \"agent\"\nmax_turns = 8\n\
             [interviewer]\nprompt = \"asker\"\n\
             [simulated_user]\nprompt = \"riser\"\n\
             agent = {{ kind = \"scripted\", name = \"riser\", lines = [{lines}] }}\n\
             [ending]\nend_phrases = [\"goodbye\"]\n"
        ),
    )
    .unwrap();
}

/// The server answers each participant line with the interviewer's next one, whichever
/// session it is on (a replayed conversation gets the same answers).
fn script() -> RealtimeScript {
    RealtimeScript::default()
        .reply_with(|context| {
            let heard = context.last_user_text.as_deref().unwrap_or("");
            let next = USER_LINES
                .iter()
                .position(|l| *l == heard)
                .map_or(0, |i| i + 1);
            INTERVIEWER_LINES[next].to_owned()
        })
        .ms_per_word(MS_PER_WORD)
}

fn config(server: &RealtimeServer) -> RealtimeConfig {
    RealtimeConfig::new("gpt-realtime")
        .with_base_url(server.url())
        .with_api_key("sk-test")
}

/// What a run left: the store's attempt, and the agent (to see its sessions).
struct Played {
    record: AttemptRecord,
    agent: Arc<RealtimeAgent>,
    artifacts: std::path::PathBuf,
}

/// Runs the suite in `dir` with `config` as the interviewer (priced with the built-in
/// table), into SQLite there.
async fn play(dir: &Path, config: RealtimeConfig) -> Played {
    let suite = ConversationSuite::open(dir).unwrap();
    let user = suite.scenarios()[0]
        .scenario
        .simulated_user
        .agent
        .clone()
        .unwrap();
    let user = build_agent(&serde_json::from_value::<AgentConfig>(user).unwrap()).unwrap();
    play_with_user(dir, config, user).await
}

/// Runs the suite in `dir` with `config` as the interviewer and `user` as the participant.
async fn play_with_user(dir: &Path, config: RealtimeConfig, user: Arc<dyn Agent>) -> Played {
    play_with(dir, config, user, None).await
}

/// The same, the interviewer answering from `cache` when it holds the request.
async fn play_with(
    dir: &Path,
    config: RealtimeConfig,
    user: Arc<dyn Agent>,
    cache: Option<Arc<dyn benchcore::ResponseCache>>,
) -> Played {
    let agent = Arc::new(config.clone().build().unwrap());
    let mut priced: Arc<dyn Agent> = Arc::new(Priced::new(
        Arc::clone(&agent),
        Arc::new(Pricing::builtin()),
    ));
    if let Some(cache) = cache {
        priced = Arc::new(benchcore::Cached::new(priced, cache));
    }
    let suite = ConversationSuite::open(dir).unwrap();
    let conversation = Conversation::with_user_for_all(suite, user);
    let stored = AgentConfig::Realtime(config).to_stored();
    let artifacts = dir.join("artifacts");
    let run = conversation
        .into_run()
        .agent_with(priced, stored, Default::default())
        .artifacts_dir(&artifacts)
        .retry(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
        );
    let store: Arc<dyn RunStore> =
        benchcore_store::connect(&format!("sqlite://{}", dir.join("runs.db").display()))
            .await
            .unwrap()
            .store();
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let record = store
        .attempts(&Workspace::default(), &report.run_id, &AttemptQuery::all())
        .await
        .unwrap()
        .remove(0);
    Played {
        artifacts: record
            .artifacts_dir
            .clone()
            .map(Into::into)
            .unwrap_or_default(),
        record,
        agent,
    }
}

fn report<'a>(record: &'a AttemptRecord, title: &str) -> &'a TestReport {
    record
        .reports
        .iter()
        .find(|r| r.title == title)
        .unwrap_or_else(|| panic!("no {title} report in {:?}", record.reports))
}

fn metric(report: &TestReport, name: &str) -> Value {
    report
        .variables
        .iter()
        .find(|v| v.metric == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", report.variables))
        .value
        .clone()
}

/// How long the server's voice for `text` lasts: its words, then 100 ms of silence.
fn voice_ms(text: &str) -> u64 {
    text.split_whitespace().count() as u64 * MS_PER_WORD + 100
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    format!(
        "sha256:{}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

#[tokio::test]
async fn a_text_mode_interview_speaks_on_one_session_and_leaves_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script().api_key("sk-test"))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);

    // The conversation: the server's lines and the participant's, in turn, to the goodbye.
    let said: Vec<(Speaker, &str)> = record
        .transcript
        .turns
        .iter()
        .map(|t| (t.speaker, t.text.as_str()))
        .collect();
    assert_eq!(
        said,
        vec![
            (Speaker::Agent, INTERVIEWER_LINES[0]),
            (Speaker::Participant, USER_LINES[0]),
            (Speaker::Agent, INTERVIEWER_LINES[1]),
            (Speaker::Participant, USER_LINES[1]),
            (Speaker::Agent, INTERVIEWER_LINES[2]),
        ]
    );

    // One session for the whole conversation, configured once, sent only what was new,
    // and closed at its end.
    let stats = server.stats();
    assert_eq!(stats.sessions, 1);
    let count = |kind: &str| stats.client_events.iter().filter(|e| *e == kind).count();
    assert_eq!(count("session.update"), 1);
    assert_eq!(count("response.create"), 3);
    assert_eq!(
        count("conversation.item.create"),
        3,
        "{:?}",
        stats.items_created
    );
    let session = &stats.session_updates[0];
    assert_eq!(session["type"], "realtime");
    assert_eq!(session["audio"]["output"]["format"]["rate"], 24_000);
    assert_eq!(session["audio"]["input"]["turn_detection"], Value::Null);
    assert!(session["instructions"]
        .as_str()
        .unwrap()
        .contains("You interview people about their mornings"));
    assert_eq!(played.agent.open_sessions(), 0);

    // The voice reports.
    let voice = report(record, "Voice");
    assert_eq!(metric(voice, "spoken_turns"), 3);
    let spoken: u64 = INTERVIEWER_LINES.iter().map(|l| voice_ms(l)).sum();
    let measured = metric(voice, "response_audio_ms").as_u64().unwrap();
    assert!(measured.abs_diff(spoken) <= 3, "{measured} vs {spoken}");
    assert!(metric(voice, "first_audio_ms_p50").as_u64().is_some());
    assert!(metric(voice, "audio_output_tokens").as_u64().unwrap() > 0);
    assert_eq!(metric(voice, "reconnects"), 0);
    assert_eq!(metric(voice, "turns_to_natural_end"), 5);
    assert_eq!(report(record, "Voice turns").variables.len(), 3);
    // Realtime prices: audio output tokens are dearer than text ones.
    assert!(record.cost_usd.unwrap() > 0.0, "{:?}", record.cost_usd);

    // The recording: two channels at 24 kHz, the interviewer's voice on the left only.
    let wav = std::fs::read(played.artifacts.join(RECORDING_FILE)).unwrap();
    let recording = Recording::from_wav(&wav).unwrap();
    let left = recording.channel(Channel::Interviewer);
    let right = recording.channel(Channel::Participant);
    assert_eq!(left.rate, 24_000);
    assert!(left.rms() > 1000.0);
    assert_eq!(right.rms(), 0.0);
    assert!(recording.duration_ms() >= spoken);
    assert_eq!(
        metric(voice, "recording")["digest"],
        Value::from(sha256(&wav))
    );

    // Each spoken turn points at its clip, whose digest and length are right; the clip is
    // the recording's left channel where the turn says it starts.
    let first = record.transcript.turns[0].audio.clone().unwrap();
    assert_eq!(first.clip, "turn-01-interviewer.wav");
    let clip = std::fs::read(played.artifacts.join(&first.clip)).unwrap();
    assert_eq!(first.digest, sha256(&clip));
    assert!(first.duration_ms.abs_diff(voice_ms(INTERVIEWER_LINES[0])) <= 1);
    let third = record.transcript.turns[4].audio.clone().unwrap();
    let at = recording.clip(
        Channel::Interviewer,
        third.start_ms,
        third.start_ms + third.duration_ms,
    );
    assert!(at.rms() > 1000.0);
    assert!(record.transcript.turns[1].audio.is_none());
}

#[tokio::test]
async fn a_realtime_agent_is_built_from_its_short_spec_and_its_config_file() {
    let config = AgentConfig::parse_spec("realtime:gpt-realtime-mini").unwrap();
    assert_eq!(config.name(), "gpt-realtime-mini");
    let file: AgentConfig = serde_json::from_value(serde_json::json!({
        "kind": "realtime", "model": "gpt-realtime", "mode": "audio",
        "turn_detection": "semantic_vad", "voice": "cedar",
        "speech": {"kind": "espeak-ng", "voice": "en-us"}, "barge_in_ms": 800,
    }))
    .unwrap();
    assert_eq!(file.name(), "gpt-realtime");
    let typo = serde_json::from_value::<AgentConfig>(serde_json::json!({
        "kind": "realtime", "mode": "video",
    }))
    .unwrap_err()
    .to_string();
    assert!(typo.contains("video"), "{typo}");
}
