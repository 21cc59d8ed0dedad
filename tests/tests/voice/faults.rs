//! A server that misbehaves: a dropped socket, a reply that never ends, error events, a
//! refused key, events of unknown types. Each gets a clear outcome and nothing is lost.

use super::*;

#[tokio::test]
async fn a_socket_dropped_mid_reply_is_replayed_once_on_a_new_session() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script().drop_after_deltas(0, 1))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    assert_eq!(record.transcript.turns.len(), 5);
    assert_eq!(
        record.retries, 0,
        "replayed inside the turn, not retried by the engine"
    );
    let stats = server.stats();
    assert_eq!(stats.sessions, 2);
    assert_eq!(metric(report(record, "Voice"), "reconnects"), 1);
    assert_eq!(played.agent.open_sessions(), 0);
}

#[tokio::test]
async fn a_reply_that_never_finishes_meets_the_turn_deadline_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "turn_timeout_secs = 1");
    // The second reply of the first session stalls after one delta.
    let server = RealtimeServer::start(script().stall_on_response(0, 1))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Passed, "{:?}", record.failure);
    assert!(record.retries >= 1);
    // The retry opened a new session, with the conversation so far replayed as items.
    let stats = server.stats();
    assert_eq!(stats.sessions, 2);
    let roles: Vec<&str> = stats
        .items_created
        .iter()
        .map(|i| i["role"].as_str().unwrap_or(""))
        .collect();
    assert!(roles.contains(&"assistant"), "{roles:?}");
}

#[tokio::test]
async fn an_error_event_fails_the_attempt_with_its_code_and_keeps_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script().error_on_response(0, 1, "invalid_value"))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    let record = &played.record;
    assert_eq!(record.outcome, Outcome::Error);
    let failure = record.failure.as_ref().unwrap();
    assert_eq!(failure.kind, "bad_request", "{failure:?}");
    assert!(failure.message.contains("invalid_value"), "{failure:?}");
    assert_eq!(
        record.transcript.turns.len(),
        2,
        "the turns before the error are kept"
    );
    assert_eq!(
        played.agent.open_sessions(),
        0,
        "the session is closed all the same"
    );
}

#[tokio::test]
async fn a_server_error_event_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script().error_on_response(0, 0, "server_error"))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    assert_eq!(
        played.record.outcome,
        Outcome::Passed,
        "{:?}",
        played.record.failure
    );
    assert!(played.record.retries >= 1);
}

#[tokio::test]
async fn a_refused_key_is_an_auth_failure_naming_the_status() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script().api_key("sk-right"))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server).with_api_key("sk-wrong")).await;
    let failure = played.record.failure.clone().unwrap();
    assert_eq!(failure.kind, "auth", "{failure:?}");
    assert!(failure.message.contains("401"), "{failure:?}");
    assert!(!failure.message.contains("sk-wrong"));
    assert_eq!(server.stats().rejected, 1, "auth failures are not retried");
}

#[tokio::test]
async fn events_of_unknown_types_are_kept_and_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    write_suite(dir.path(), "");
    let server = RealtimeServer::start(script().extra_unknown_event(true))
        .await
        .unwrap();
    let played = play(dir.path(), config(&server)).await;
    assert_eq!(
        played.record.outcome,
        Outcome::Passed,
        "{:?}",
        played.record.failure
    );
}
