//! Who speaks: a second Realtime session as the participant (voice to voice), and the end
//! conditions every mode shares (here the wall-time limit).

use super::*;
use benchcore::Ending;

#[tokio::test]
async fn a_realtime_participant_makes_a_voice_to_voice_conversation() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let interviewer = RealtimeServer::start(script()).await.unwrap();
    // The participant's own Realtime server says the scripted participant's lines.
    let participant = RealtimeServer::start(
        RealtimeScript::default()
            .replies(USER_LINES)
            .ms_per_word(MS_PER_WORD),
    )
    .await
    .unwrap();
    let user_config = RealtimeConfig::new("gpt-realtime-mini")
        .with_base_url(participant.url())
        .with_api_key("sk-test")
        .with_name("voice-participant");
    let user: Arc<RealtimeAgent> = Arc::new(user_config.build().unwrap());
    let played = play_with_user(dir.path(), config(&interviewer), Arc::clone(&user) as _).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    assert_eq!(record.transcript.turns[1].text, USER_LINES[0]);
    assert_eq!(participant.stats().sessions, 1);
    assert_eq!(
        user.open_sessions(),
        0,
        "the participant's session closes too"
    );

    // Both sides are on the recording, one after the other, never over each other.
    let wav = std::fs::read(played.artifacts.join(RECORDING_FILE)).unwrap();
    let recording = Recording::from_wav(&wav).unwrap();
    assert!(recording.channel(Channel::Interviewer).rms() > 1000.0);
    assert!(recording.channel(Channel::Participant).rms() > 1000.0);
    let spoken = record.transcript.turns[1].audio.clone().unwrap();
    assert_eq!(spoken.clip, "turn-02-participant.wav");
    let first = record.transcript.turns[0].audio.clone().unwrap();
    assert!(first.start_ms + first.duration_ms <= spoken.start_ms);
    let voice = report(record, "Voice");
    assert_eq!(
        metric(voice, "spoken_turns"),
        3,
        "the interviewer's turns only"
    );
    assert_eq!(metric(voice, "overlaps"), 0);
}

#[tokio::test]
async fn a_conversation_past_its_time_limit_ends_as_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "max_duration_secs = 0.4");
    let server = RealtimeServer::start(script().first_delta_delay_ms(250))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    let record = &played.record;
    assert_eq!(record.transcript.ending, Some(Ending::TimeLimit));
    assert_eq!(record.outcome, Outcome::Failed);
    assert!(record.transcript.turns.len() < 5);
    let ending = report(record, "Conversation ending");
    assert_eq!(metric(ending, "ending"), "time_limit");
    assert_eq!(played.agent.open_sessions(), 0);
}

#[tokio::test]
async fn a_recorded_conversation_replays_offline_with_the_same_words_and_audio() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let logs = dir.path().join("sessions");
    let server = RealtimeServer::start(script()).await.unwrap();
    let mut recording = config(&server);
    recording.record_dir = Some(logs.clone());
    let first = play(dir.path(), recording).await;
    assert_eq!(
        first.record.outcome,
        Outcome::Passed,
        "{:?}",
        first.record.failure
    );
    drop(server);

    // No server, no key: the sessions play back from their logs.
    let again_dir = tempfile::tempdir().unwrap();
    write_suite(again_dir.path(), "");
    let mut replay = RealtimeConfig::new("gpt-realtime");
    replay.replay_dir = Some(logs.clone());
    replay.fast_audio = true;
    let again = play(again_dir.path(), replay).await;
    assert_eq!(
        again.record.outcome,
        Outcome::Passed,
        "{:?}",
        again.record.failure
    );
    let words = |r: &AttemptRecord| -> Vec<String> {
        r.transcript.turns.iter().map(|t| t.text.clone()).collect()
    };
    assert_eq!(words(&again.record), words(&first.record));
    let clip = |p: &Played| std::fs::read(p.artifacts.join("turn-01-interviewer.wav")).unwrap();
    assert_eq!(clip(&again), clip(&first), "the same audio, byte for byte");

    // A conversation that goes another way than the recording fails clearly.
    let other_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other_dir.path().join("prompts")).unwrap();
    write_suite(other_dir.path(), "");
    let scenario = other_dir.path().join("mornings.toml");
    let text = std::fs::read_to_string(&scenario)
        .unwrap()
        .replace(USER_LINES[0], "Something else entirely.");
    std::fs::write(&scenario, text).unwrap();
    let mut replay = RealtimeConfig::new("gpt-realtime");
    replay.replay_dir = Some(logs);
    replay.fast_audio = true;
    let other = play(other_dir.path(), replay).await;
    assert_eq!(other.record.outcome, Outcome::Error);
    let failure = other.record.failure.clone().unwrap();
    assert!(failure.message.contains("went another way"), "{failure:?}");
    assert!(
        failure.message.contains("Something else entirely"),
        "{failure:?}"
    );
}
