//! The loopback Realtime server against a raw WebSocket client: the handshake, session
//! updates, responses in audio and text, input audio with commits and server VAD, barge-in,
//! cancellation, truncation, faults and many sessions at once.

mod client;
mod faults;

use benchcore_tests::servers::RealtimeScript;
use client::{joined, of_type, request, samples, server, silence, tone, types, Client, KEY};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Error as WsError;

#[tokio::test]
async fn handshakes_without_model_key_or_path_are_refused() {
    let server = server(RealtimeScript::default()).await;
    let status = |result: Result<_, WsError>| match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {:?}", other.map(|_| ())),
    };
    let good = format!("{}?model=gpt-realtime", server.url());
    let connect = tokio_tungstenite::connect_async;
    assert_eq!(status(connect(request(&good, Some("sk-wrong"))).await), 401);
    assert_eq!(status(connect(request(&good, None)).await), 401);
    assert_eq!(
        status(connect(request(&server.url(), Some(KEY))).await),
        400
    );
    let wrong_path = good.replace("/v1/realtime", "/v1/chat");
    assert_eq!(status(connect(request(&wrong_path, Some(KEY))).await), 404);
    let mut beta = request(&good, Some(KEY));
    beta.headers_mut()
        .insert("openai-beta", HeaderValue::from_static("realtime=v1"));
    assert_eq!(status(connect(beta).await), 400);
    let client = Client::connect(&server).await;
    let session = &client.created["session"];
    assert!(session["id"].as_str().unwrap().starts_with("sess_"));
    assert_eq!(session["model"], "gpt-realtime");
    assert_eq!(session["type"], "realtime");
    assert_eq!(session["output_modalities"], json!(["audio"]));
    assert_eq!(
        session["audio"]["input"]["turn_detection"]["type"],
        "server_vad"
    );
    assert_eq!(
        session["audio"]["output"]["format"],
        json!({"type": "audio/pcm", "rate": 24000})
    );
    let stats = server.stats();
    assert_eq!((stats.rejected, stats.sessions), (5, 1));
}

#[tokio::test]
async fn session_update_merges_and_bad_values_name_their_param() {
    let server = server(RealtimeScript::default()).await;
    let mut client = Client::connect(&server).await;
    let update = json!({
        "type": "realtime",
        "instructions": "Be brief.",
        "output_modalities": ["text"],
        "audio": {
            "input": {"turn_detection": null, "transcription": {"model": "whisper-1"}},
            "output": {"voice": "cedar"},
        },
    });
    let updated = client.update(update).await;
    assert_eq!(updated["type"], "session.updated");
    let session = &updated["session"];
    assert_eq!(session["instructions"], "Be brief.");
    assert_eq!(session["output_modalities"], json!(["text"]));
    assert_eq!(session["audio"]["input"]["turn_detection"], Value::Null);
    assert_eq!(
        session["audio"]["input"]["transcription"]["model"],
        "whisper-1"
    );
    assert_eq!(session["audio"]["input"]["format"]["rate"], 24000);
    assert_eq!(session["audio"]["output"]["voice"], "cedar");
    assert_eq!(session["model"], "gpt-realtime");
    let semantic = json!({"type": "realtime", "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}});
    let updated = client.update(semantic).await;
    assert_eq!(
        updated["session"]["audio"]["input"]["turn_detection"]["eagerness"],
        "auto"
    );
    let bad = [
        (
            json!({"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}),
            "invalid_value",
            "session.audio.input.format.rate",
        ),
        (
            json!({"type": "realtime", "audio": {"input": {"turn_detection": {"type": "push_to_talk"}}}}),
            "invalid_value",
            "session.audio.input.turn_detection.type",
        ),
        (
            json!({"type": "realtime", "audio": {"input": {"turn_detection": {"type": "semantic_vad", "silence_duration_ms": 300}}}}),
            "unknown_parameter",
            "session.audio.input.turn_detection.silence_duration_ms",
        ),
        (
            json!({"type": "realtime", "output_modalities": ["audio", "text"]}),
            "invalid_value",
            "session.output_modalities",
        ),
        (
            json!({"type": "realtime", "output_modalities": ["video"]}),
            "invalid_value",
            "session.output_modalities[0]",
        ),
        (
            json!({"type": "realtime", "modalities": ["text"]}),
            "unknown_parameter",
            "session.modalities",
        ),
        (
            json!({"instructions": "no type"}),
            "missing_required_parameter",
            "session.type",
        ),
    ];
    for (i, (session, code, param)) in bad.iter().enumerate() {
        let event_id = format!("evt_{i}");
        client
            .send(json!({"type": "session.update", "event_id": event_id, "session": session}))
            .await;
        let error = client.next().await;
        assert_eq!(error["type"], "error", "{session}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(
            (
                error["error"]["code"].as_str(),
                error["error"]["param"].as_str()
            ),
            (Some(*code), Some(*param))
        );
        assert_eq!(error["error"]["event_id"], event_id.as_str());
    }
    let updated = client
        .update(json!({"type": "realtime", "instructions": "Still here."}))
        .await;
    assert_eq!(updated["session"]["output_modalities"], json!(["text"]));
    let stats = server.stats();
    assert_eq!(stats.session_updates.len(), 2 + bad.len() + 1);
    assert_eq!(stats.errors_sent.len(), bad.len());
}

#[tokio::test]
async fn an_audio_response_streams_timed_tone_and_transcript_in_reference_order() {
    let server = server(RealtimeScript::default()).await;
    let mut client = Client::connect(&server).await;
    client.say("hello there").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    let kinds = types(&events);
    assert_eq!(
        kinds[..5],
        [
            "response.created",
            "rate_limits.updated",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        kinds[kinds.len() - 6..],
        [
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done"
        ]
    );
    let text = "You said: hello there";
    assert_eq!(
        joined(&events, "response.output_audio_transcript.delta"),
        text
    );
    // 4 words of 300 ms and 100 ms of silence: 1.3 s in 100 ms deltas.
    let pcm = samples(&events);
    assert_eq!(pcm.len(), 1300 * 24);
    assert_eq!(of_type(&events, "response.output_audio.delta").len(), 13);
    assert!(pcm[..1200 * 24].iter().filter(|s| s.abs() > 1000).count() > 1000 * 24);
    assert!(pcm[..1200 * 24].iter().map(|s| s.abs()).max().unwrap() > 7900);
    assert!(pcm[1200 * 24..].iter().all(|&s| s == 0));
    // Word i's transcript delta comes just before the audio delta it starts in (i × 300 ms).
    let audio_at: Vec<usize> = (0..kinds.len())
        .filter(|&i| kinds[i] == "response.output_audio.delta")
        .collect();
    let words_at: Vec<usize> = (0..kinds.len())
        .filter(|&i| kinds[i] == "response.output_audio_transcript.delta")
        .collect();
    for (word, &at) in words_at.iter().enumerate() {
        assert!(at < audio_at[word * 3] && (word == 0 || at > audio_at[word * 3 - 1]));
    }
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(
        done["output"][0]["content"][0],
        json!({"type": "output_audio", "transcript": text})
    );
    let usage = &done["usage"];
    assert_eq!(
        usage["output_token_details"],
        json!({"text_tokens": 4, "audio_tokens": 26})
    );
    assert_eq!(usage["output_tokens"], 30);
    let input = usage["input_tokens"].as_u64().unwrap();
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), input + 30);
    assert_eq!(usage["input_token_details"]["cached_tokens"], 0);
    // The next response reads the whole conversation; the previous input is cached.
    client.send(json!({"type": "response.create"})).await;
    let usage = client.until("response.done").await.last().unwrap()["response"]["usage"].clone();
    assert_eq!(usage["input_token_details"]["audio_tokens"], 26);
    assert_eq!(
        usage["input_token_details"]["cached_tokens"].as_u64(),
        Some(input)
    );
}

#[tokio::test]
async fn text_responses_stream_text_and_out_of_band_ones_stay_out_of_the_conversation() {
    let server = server(RealtimeScript::default()).await;
    let mut client = Client::connect(&server).await;
    client
        .update(json!({"type": "realtime", "output_modalities": ["text"]}))
        .await;
    client.say("what time is it").await;
    client.send(json!({"type": "response.create"})).await;
    let events = client.until("response.done").await;
    assert!(of_type(&events, "response.output_audio.delta").is_empty());
    assert_eq!(
        joined(&events, "response.output_text.delta"),
        "You said: what time is it"
    );
    assert_eq!(
        of_type(&events, "response.output_text.done")[0]["text"],
        "You said: what time is it"
    );
    assert_eq!(
        of_type(&events, "response.content_part.added")[0]["part"]["type"],
        "text"
    );
    let done = &events.last().unwrap()["response"];
    assert_eq!(done["output"][0]["content"][0]["type"], "output_text");
    assert_eq!(done["usage"]["output_token_details"]["audio_tokens"], 0);
    let response = json!({"conversation": "none", "output_modalities": ["audio"], "metadata": {"purpose": "probe"}});
    client
        .send(json!({"type": "response.create", "response": response}))
        .await;
    let events = client.until("response.done").await;
    assert!(of_type(&events, "conversation.item.added").is_empty());
    assert!(!samples(&events).is_empty());
    let done = &events.last().unwrap()["response"];
    assert_eq!(
        (
            done["conversation_id"].clone(),
            done["metadata"]["purpose"].clone()
        ),
        (Value::Null, json!("probe"))
    );
}

#[tokio::test]
async fn committed_audio_is_transcribed_and_answered() {
    let server = server(RealtimeScript::default().transcripts(["book a table for two"])).await;
    let mut client = Client::connect(&server).await;
    let off = json!({"type": "realtime", "audio": {"input": {"turn_detection": null, "transcription": {"model": "whisper-1"}}}});
    client.update(off).await;
    client
        .send(json!({"type": "input_audio_buffer.commit", "event_id": "evt_c"}))
        .await;
    let error = client.next().await;
    assert_eq!(
        (
            error["error"]["code"].clone(),
            error["error"]["event_id"].clone()
        ),
        (json!("input_audio_buffer_commit_empty"), json!("evt_c"))
    );
    for (audio, transcript) in [
        (tone(1000), "book a table for two"),
        (tone(500), "heard 500 ms of speech"),
    ] {
        client.append(&audio).await;
        client
            .send(json!({"type": "input_audio_buffer.commit"}))
            .await;
        let events = client
            .until("conversation.item.input_audio_transcription.completed")
            .await;
        assert_eq!(
            types(&events),
            [
                "input_audio_buffer.committed",
                "conversation.item.added",
                "conversation.item.done",
                "conversation.item.input_audio_transcription.completed"
            ]
        );
        let item_id = &events[0]["item_id"];
        assert_eq!(&events[1]["item"]["id"], item_id);
        assert_eq!(
            events[1]["item"]["content"][0],
            json!({"type": "input_audio", "transcript": null})
        );
        assert_eq!(
            (&events[3]["item_id"], events[3]["transcript"].as_str()),
            (item_id, Some(transcript))
        );
        client
            .send(json!({"type": "response.create", "response": {"output_modalities": ["text"]}}))
            .await;
        let events = client.until("response.done").await;
        assert_eq!(
            joined(&events, "response.output_text.delta"),
            format!("You said: {transcript}")
        );
    }
    client.append(&tone(50)).await;
    client
        .send(json!({"type": "input_audio_buffer.commit"}))
        .await;
    assert_eq!(
        client.next().await["error"]["code"],
        "input_audio_buffer_commit_empty"
    );
    client
        .send(json!({"type": "input_audio_buffer.clear"}))
        .await;
    assert_eq!(client.next().await["type"], "input_audio_buffer.cleared");
    assert_eq!(server.stats().audio_appended_ms, 1550);
}

#[tokio::test]
async fn server_vad_finds_the_turn_commits_it_and_answers() {
    let server = server(RealtimeScript::default()).await;
    let mut client = Client::connect(&server).await;
    client.update(json!({"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}})).await;
    client
        .append(&[silence(400), tone(600), silence(800)].concat())
        .await;
    let events = client.until("response.done").await;
    let kinds = types(&events);
    assert_eq!(
        kinds[..7],
        [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "conversation.item.input_audio_transcription.completed",
            "response.created"
        ]
    );
    // Speech from 400 ms, less 300 ms of prefix padding; stopped after 500 ms of silence.
    assert_eq!(events[0]["audio_start_ms"], 100);
    assert_eq!(events[1]["audio_end_ms"], 1500);
    let item_id = &events[0]["item_id"];
    assert!(events[1..4]
        .iter()
        .all(|e| e["item_id"] == *item_id || e["item"]["id"] == *item_id));
    assert_eq!(events[5]["transcript"], "heard 1400 ms of speech");
    assert_eq!(
        joined(&events, "response.output_audio_transcript.delta"),
        "You said: heard 1400 ms of speech"
    );
    assert_eq!(events.last().unwrap()["response"]["status"], "completed");
}

#[tokio::test]
async fn speech_interrupts_a_response_and_cancel_ends_one() {
    let script = RealtimeScript::default()
        .replies(["one two three four five six seven eight nine ten"])
        .realtime_pacing(true);
    let server = server(script).await;
    let mut client = Client::connect(&server).await;
    client
        .send(json!({"type": "response.cancel", "event_id": "evt_x"}))
        .await;
    assert_eq!(
        client.next().await["error"]["code"],
        "response_cancel_not_active"
    );
    client.say("count to ten").await;
    client.send(json!({"type": "response.create"})).await;
    client.until("response.output_audio.delta").await;
    client.append(&[tone(300), silence(600)].concat()).await;
    let events = client.until("response.done").await;
    assert_eq!(types(&events).last(), Some(&"response.done"));
    assert!(types(&events).contains(&"input_audio_buffer.speech_started"));
    let done = &events.last().unwrap()["response"];
    assert_eq!(
        (
            done["status"].as_str(),
            done["status_details"]["reason"].as_str()
        ),
        (Some("cancelled"), Some("turn_detected"))
    );
    assert_eq!(done["output"][0]["status"], "incomplete");
    assert!(of_type(&events, "response.output_audio.delta").len() < 10);
    // The turn ends, is committed and answered; the client cancels that answer.
    let events = client.until("response.output_audio.delta").await;
    assert!(types(&events).contains(&"input_audio_buffer.speech_stopped"));
    client.send(json!({"type": "response.cancel"})).await;
    let done = client.until("response.done").await.last().unwrap()["response"].clone();
    assert_eq!(done["status_details"]["reason"], "client_cancelled");
    // Cancelled after its first delta: the transcript is what was sent, a prefix of the reply.
    let said = done["output"][0]["content"][0]["transcript"]
        .as_str()
        .unwrap();
    assert!(!said.is_empty() && "You said: heard 800 ms of speech".starts_with(said));
}

#[tokio::test]
async fn truncation_cuts_assistant_audio_and_refuses_other_items() {
    let server = server(RealtimeScript::default()).await;
    let mut client = Client::connect(&server).await;
    let user_item = client.say("hello there").await;
    client.send(json!({"type": "response.create"})).await;
    let item_id =
        client.until("response.done").await.last().unwrap()["response"]["output"][0]["id"].clone();
    let truncate = |item_id: &Value, ms: u64| json!({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": ms});
    client.send(truncate(&item_id, 500)).await;
    let truncated = client.next().await;
    assert_eq!(truncated["type"], "conversation.item.truncated");
    assert_eq!(
        (&truncated["item_id"], &truncated["audio_end_ms"]),
        (&item_id, &json!(500))
    );
    client.send(truncate(&json!("item_missing"), 100)).await;
    assert_eq!(client.next().await["error"]["param"], "item_id");
    client.send(truncate(&item_id, 5000)).await;
    assert_eq!(client.next().await["error"]["param"], "audio_end_ms");
    client.send(truncate(&user_item, 100)).await;
    assert_eq!(
        client.next().await["error"]["code"],
        "unsupported_content_type"
    );
    // Truncated audio counts up to the cut (500 ms at 1 token per 50 ms), without its transcript.
    client.send(json!({"type": "response.create"})).await;
    let usage = client.until("response.done").await.last().unwrap()["response"]["usage"].clone();
    assert_eq!(usage["input_token_details"]["audio_tokens"], 10);
    assert_eq!(server.stats().truncations.len(), 4);
}
