//! Audio mode: the participant's lines spoken by espeak-ng and streamed to the server's
//! turn detection, at real-time pace or faster; barge-ins truncate the reply where it was cut.

use super::*;
use benchcore_providers::realtime::{RealtimeMode, TurnDetection};

fn has_espeak() -> bool {
    benchcore_tests::require_tool("espeak-ng", "espeak-ng")
}

/// The server transcribes the participant's speech as the lines it was made from.
fn audio_script() -> RealtimeScript {
    script().transcripts(USER_LINES)
}

#[tokio::test]
async fn an_audio_mode_interview_streams_speech_to_server_vad_and_records_both_sides() {
    if !has_espeak() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(audio_script()).await.unwrap();
    let played = play(
        dir.path(),
        config(&server)
            .with_mode(RealtimeMode::Audio)
            .with_fast_audio(),
    )
    .await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);

    // Speech went as appended audio that the server's VAD committed; the start cue as text.
    let stats = server.stats();
    let session = &stats.session_updates[0];
    assert_eq!(
        session["audio"]["input"]["turn_detection"]["type"],
        "server_vad"
    );
    assert!(session["audio"]["input"]["transcription"]["model"].is_string());
    assert!(!stats
        .client_events
        .iter()
        .any(|e| e == "input_audio_buffer.commit"));
    assert_eq!(
        stats
            .client_events
            .iter()
            .filter(|e| *e == "response.create")
            .count(),
        1,
        "only the opening asks for a reply itself"
    );
    // Two spoken lines of a second or more, each with its trailing silence.
    assert!(
        stats.audio_appended_ms > 2 * (1_000 + 900),
        "{}",
        stats.audio_appended_ms
    );

    // What the server heard, and how well: its transcripts are the lines themselves.
    let voice = report(record, "Voice");
    assert_eq!(metric(voice, "heard_word_error_rate"), 0.0);
    let turns = report(record, "Voice turns");
    assert_eq!(turns.variables[1].value["heard_transcript"], USER_LINES[0]);
    assert!(turns.variables[1].value["heard_ms"].as_u64().unwrap() > 800);

    // The participant's speech is on the right channel, before the reply it drew, and the
    // two never overlap.
    let heard = record.transcript.turns[1].audio.clone().unwrap();
    assert_eq!(heard.clip, "turn-03-heard.wav");
    let reply = record.transcript.turns[2].audio.clone().unwrap();
    assert!(
        heard.start_ms + heard.duration_ms <= reply.start_ms,
        "{heard:?} {reply:?}"
    );
    let wav = std::fs::read(played.artifacts.join(RECORDING_FILE)).unwrap();
    let recording = Recording::from_wav(&wav).unwrap();
    let spoken = recording.clip(
        Channel::Participant,
        heard.start_ms,
        heard.start_ms + heard.duration_ms,
    );
    assert!(spoken.rms() > 300.0, "{}", spoken.rms());
    let quiet = recording.clip(
        Channel::Interviewer,
        heard.start_ms,
        heard.start_ms + heard.duration_ms,
    );
    assert_eq!(quiet.rms(), 0.0);
    assert_eq!(metric(voice, "overlaps"), 0);
}

#[tokio::test]
async fn without_turn_detection_the_agent_commits_and_asks_for_each_reply() {
    if !has_espeak() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(audio_script()).await.unwrap();
    let played = play(
        dir.path(),
        config(&server)
            .with_mode(RealtimeMode::Audio)
            .with_turn_detection(TurnDetection::None)
            .with_fast_audio(),
    )
    .await;
    assert_eq!(
        played.record.outcome,
        Outcome::Passed,
        "{:?}",
        played.record.failure
    );
    let stats = server.stats();
    let count = |kind: &str| stats.client_events.iter().filter(|e| *e == kind).count();
    assert_eq!(count("input_audio_buffer.commit"), 2);
    assert_eq!(count("response.create"), 3);
    assert_eq!(
        stats.session_updates[0]["audio"]["input"]["turn_detection"],
        Value::Null
    );
}

#[tokio::test]
async fn a_participant_who_barges_in_cuts_the_reply_where_it_was_heard() {
    if !has_espeak() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(audio_script()).await.unwrap();
    // At real-time pace: the participant starts 100 ms into each reply.
    let played = play(
        dir.path(),
        config(&server)
            .with_mode(RealtimeMode::Audio)
            .with_barge_in(100),
    )
    .await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    let stats = server.stats();
    assert_eq!(stats.truncations.len(), 2, "{:?}", stats.truncations);
    for truncation in &stats.truncations {
        assert_eq!(truncation["audio_end_ms"], 100);
        assert!(truncation["item_id"].is_string());
    }
    let voice = report(record, "Voice");
    assert_eq!(metric(voice, "barge_ins"), 2);
    // On the recording, the first reply stops where the participant came in, and the
    // participant's speech starts there.
    let first = record.transcript.turns[0].audio.clone().unwrap();
    let heard = record.transcript.turns[1].audio.clone().unwrap();
    let wav = std::fs::read(played.artifacts.join(RECORDING_FILE)).unwrap();
    let recording = Recording::from_wav(&wav).unwrap();
    let after_cut = recording.clip(
        Channel::Interviewer,
        first.start_ms + 120,
        first.start_ms + 300,
    );
    assert_eq!(
        after_cut.rms(),
        0.0,
        "the reply plays on after the barge-in"
    );
    // The participant comes in at the cut, never before it; how soon after depends on the
    // machine's load, so only a generous bound is checked.
    let gap = heard.start_ms as i64 - (first.start_ms as i64 + 100);
    assert!(
        (-2..1_000).contains(&gap),
        "participant starts {gap} ms from the cut"
    );
}
