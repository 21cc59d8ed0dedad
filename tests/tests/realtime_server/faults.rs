//! Faults and load: dropped connections, unknown and malformed events, scripted errors,
//! stalls, rate limits, many sessions at once.

use crate::client::{joined, of_type, server, types, Client};
use benchcore_tests::servers::RealtimeScript;
use futures::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_dropped_connection_ends_without_a_close_frame_and_spares_other_sessions() {
    let server = server(RealtimeScript::default().drop_after_deltas(0, 2)).await;
    let mut client = Client::connect(&server).await;
    client.say("hello there").await;
    client.send(json!({"type": "response.create"})).await;
    let mut deltas = 0;
    let end = loop {
        match client.frame(5000).await.expect("the connection ends") {
            Some(Ok(Message::Text(text))) => {
                let event: Value = serde_json::from_str(text.as_str()).unwrap();
                deltas += usize::from(event["type"] == "response.output_audio.delta");
            }
            other => break other,
        }
    };
    assert_eq!(deltas, 2);
    assert!(!matches!(end, Some(Ok(Message::Close(_)))), "{end:?}");
    let mut other = Client::connect(&server).await;
    other.say("hello there").await;
    other.send(json!({"type": "response.create"})).await;
    assert_eq!(
        other.until("response.done").await.last().unwrap()["response"]["status"],
        "completed"
    );
}

#[tokio::test]
async fn unknown_or_malformed_events_get_errors_and_the_session_goes_on() {
    let server = server(RealtimeScript::default().extra_unknown_event(true)).await;
    let mut client = Client::connect(&server).await;
    let errors = [
        (
            json!({"type": "response.future_request", "event_id": "evt_9"}),
            "invalid_value",
            Some("type"),
        ),
        (json!({"event_id": "evt_10"}), "invalid_event", None),
        (
            json!({"type": "input_audio_buffer.commit", "item_id": "x"}),
            "unknown_parameter",
            Some("item_id"),
        ),
        (
            json!({"type": "conversation.item.create", "item": {"type": "message", "role": "assistant",
            "content": [{"type": "output_audio", "audio": ""}]}}),
            "invalid_value",
            Some("item.content[0].type"),
        ),
        (
            json!({"type": "conversation.item.create", "item": {"type": "message", "role": "tool", "content": []}}),
            "invalid_value",
            Some("item.role"),
        ),
    ];
    for (event, code, param) in &errors {
        client.send(event.clone()).await;
        let error = client.next().await["error"].clone();
        assert_eq!(
            (error["code"].as_str(), error["param"].as_str()),
            (Some(*code), *param),
            "{event}"
        );
        assert_eq!(
            error["event_id"],
            event.get("event_id").cloned().unwrap_or(Value::Null)
        );
    }
    client.ws.send(Message::text("not json")).await.unwrap();
    assert_eq!(client.next().await["error"]["code"], "invalid_json");
    client.say("still there").await;
    client.send(json!({"type": "response.create"})).await;
    let kinds: Vec<String> = types(&client.until("response.done").await)
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["response.future_thing", "response.done"]
    );
    let stats = server.stats();
    assert!(stats
        .client_events
        .starts_with(&["response.future_request".into(), "<missing type>".into()]));
    assert!(stats.client_events.contains(&"<not json>".to_owned()));
    assert_eq!(stats.errors_sent.len(), errors.len() + 1);
}

#[tokio::test]
async fn scripted_errors_stalls_and_rate_limits() {
    let script = RealtimeScript::default()
        .error_on_response(0, 0, "server_error")
        .stall_on_response(0, 2)
        .rate_limit_remaining(7);
    let server = server(script).await;
    let mut client = Client::connect(&server).await;
    client
        .send(json!({"type": "response.create", "event_id": "evt_r0"}))
        .await;
    let error = client.next().await["error"].clone();
    assert_eq!(
        (
            error["type"].as_str(),
            error["code"].as_str(),
            error["event_id"].as_str()
        ),
        (Some("server_error"), Some("server_error"), Some("evt_r0"))
    );
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let limits = &of_type(&events, "rate_limits.updated")[0]["rate_limits"];
    assert_eq!(
        (limits[0]["name"].as_str(), limits[1]["name"].as_str()),
        (Some("requests"), Some("tokens"))
    );
    assert!(limits
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["remaining"] == 7));
    client.send(json!({"type": "response.create"})).await;
    client.until("response.output_audio.delta").await;
    assert_eq!(client.within(300).await, None);
    client
        .send(json!({"type": "session.update", "session": {"type": "realtime"}}))
        .await;
    assert_eq!(client.within(300).await, None);
}

#[tokio::test]
async fn many_sessions_are_served_at_once() {
    let server = server(
        RealtimeScript::default()
            .realtime_pacing(true)
            .ms_per_word(100),
    )
    .await;
    let mut clients = Vec::new();
    for _ in 0..8 {
        clients.push(Client::connect(&server).await);
    }
    let turns = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut client)| async move {
            client.say(&format!("client {i}")).await;
            client.send(json!({"type": "response.create"})).await;
            joined(
                &client.until("response.done").await,
                "response.output_audio_transcript.delta",
            )
        });
    let transcripts = futures::future::join_all(turns).await;
    for (i, transcript) in transcripts.iter().enumerate() {
        assert_eq!(transcript, &format!("You said: client {i}"));
    }
    let stats = server.stats();
    assert_eq!((stats.sessions, stats.max_open_sessions), (8, 8));
}
