//! What is checked besides the conversation: the spoken audio against its own transcript
//! (a speech-to-text engine), and the server's rate-limit budget.

use super::*;
use benchcore_providers::speech::TranscriberConfig;

/// A local "speech-to-text engine" that reads the WAV on stdin and always hears the first
/// interviewer line.
fn fake_transcriber(dir: &Path) -> TranscriberConfig {
    let program = dir.join("hear.sh");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\ncat > /dev/null\necho '{}'\n",
            INTERVIEWER_LINES[0]
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    serde_json::from_value(serde_json::json!({
        "kind": "command", "program": program.display().to_string(),
    }))
    .unwrap()
}

#[tokio::test]
async fn the_speech_check_reports_each_turns_word_error_rate() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script()).await.unwrap();
    let config = config(&server).with_speech_check(fake_transcriber(dir.path()));
    let played = play(dir.path(), config).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    let turns = report(record, "Voice turns");
    // The engine hears the first line: the first turn matches, the others do not.
    assert_eq!(turns.variables[0].value["word_error_rate"], 0.0);
    assert!(
        turns.variables[1].value["word_error_rate"]
            .as_f64()
            .unwrap()
            > 0.5
    );
    let mean = metric(report(record, "Voice"), "spoken_word_error_rate");
    assert!(mean.as_f64().unwrap() > 0.3, "{mean}");
}

#[tokio::test]
async fn a_spent_rate_limit_slows_the_next_turn_through_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    // Every `rate_limits.updated` says no request is left (for 12 ms).
    let server = RealtimeServer::start(script().rate_limit_remaining(0))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    assert!(record.retries >= 1, "the next turn waited as rate limited");
    assert_eq!(server.stats().sessions, 1, "waiting keeps the session");
}

#[tokio::test]
async fn the_response_cache_answers_a_text_mode_rerun_without_a_session() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script()).await.unwrap();
    let cache: Arc<dyn benchcore::ResponseCache> = Arc::new(benchcore::MemoryCache::new());
    let user = || {
        build_agent(
            &serde_json::from_value::<AgentConfig>(serde_json::json!({
                "kind": "scripted", "name": "riser", "lines": USER_LINES,
            }))
            .unwrap(),
        )
        .unwrap()
    };
    let first = play_with(
        dir.path(),
        config(&server),
        user(),
        Some(Arc::clone(&cache)),
    )
    .await;
    assert_eq!(
        first.record.outcome,
        Outcome::Passed,
        "{:?}",
        first.record.failure
    );
    let again_dir = tempfile::tempdir().unwrap();
    write_suite(again_dir.path(), "");
    let again = play_with(again_dir.path(), config(&server), user(), Some(cache)).await;
    assert_eq!(
        again.record.outcome,
        Outcome::Passed,
        "{:?}",
        again.record.failure
    );
    assert_eq!(server.stats().sessions, 1, "the rerun opened no session");
    assert!(again.record.cached);
    let words = |p: &Played| -> Vec<String> {
        p.record
            .transcript
            .turns
            .iter()
            .map(|t| t.text.clone())
            .collect()
    };
    assert_eq!(words(&again), words(&first));
}
