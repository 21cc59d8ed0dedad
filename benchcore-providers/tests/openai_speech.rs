//! `OpenAiSpeech` over real HTTP against a loopback server speaking OpenAI's
//! `POST /audio/speech`: the request it sends, the PCM it reads back, and each failure kind.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use benchcore::voice::{Audio, Speech, SpeechErrorKind, REALTIME_RATE};
use benchcore::Secret;
use benchcore_providers::speech::OpenAiSpeech;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server saw: the `Authorization` header and the JSON body of each request.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<(Option<String>, serde_json::Value)>>,
}

fn tone() -> Audio {
    Audio::tone(REALTIME_RATE, 440.0, 500, 8_000)
}

/// Answers by the first path segment: `ok`, `unauthorized`, `rate_limited`, `unavailable`,
/// `bad_voice`, `odd`, `json`, `slow`.
async fn speech(
    State(seen): State<Arc<Seen>>,
    Path(scenario): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    seen.requests.lock().unwrap().push((auth, json));
    let error = |status: StatusCode, message: &str| {
        (
            status,
            [("content-type", "application/json")],
            serde_json::json!({"error": {"message": message, "type": "invalid_request_error"}})
                .to_string(),
        )
    };
    match scenario.as_str() {
        "ok" => (
            [("content-type", "application/octet-stream")],
            tone().to_pcm16_le(),
        )
            .into_response(),
        "unauthorized" => error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided: sk-t***",
        )
        .into_response(),
        "rate_limited" => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests",
            )
            .into_response();
            response
                .headers_mut()
                .insert("retry-after", "7".parse().unwrap());
            response
        }
        "unavailable" => (StatusCode::SERVICE_UNAVAILABLE, "upstream down").into_response(),
        "bad_voice" => error(
            StatusCode::BAD_REQUEST,
            "Invalid value for 'voice': 'robot' is not a supported voice.",
        )
        .into_response(),
        "odd" => vec![1u8, 2, 3].into_response(),
        "json" => (
            [("content-type", "application/json")],
            r#"{"id": "speech_1", "status": "queued"}"#,
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            tone().to_pcm16_le().into_response()
        }
        other => (StatusCode::NOT_FOUND, format!("no scenario {other}")).into_response(),
    }
}

/// Starts the loopback server; returns its address and what it sees.
async fn server() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/{scenario}/v1/audio/speech", post(speech))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), seen)
}

fn speech_at(base: &str, scenario: &str) -> OpenAiSpeech {
    OpenAiSpeech::new(Secret::new("sk-test-key"))
        .unwrap()
        .base_url(&format!("{base}/{scenario}/v1"))
        .unwrap()
}

#[tokio::test]
async fn speech_sends_the_request_and_reads_pcm() {
    let (base, seen) = server().await;
    let speech = speech_at(&base, "ok")
        .voice("coral")
        .instructions("Speak slowly.");
    let audio = speech.speak("Hello, this is a test.").await.unwrap();
    assert_eq!(audio.rate, REALTIME_RATE);
    assert!(audio == tone(), "the PCM came back changed");
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (auth, body) = &requests[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test-key"));
    assert_eq!(
        body,
        &serde_json::json!({
            "model": "gpt-4o-mini-tts",
            "input": "Hello, this is a test.",
            "voice": "coral",
            "response_format": "pcm",
            "instructions": "Speak slowly.",
        })
    );
}

#[tokio::test]
async fn instructions_are_left_out_unless_set_and_empty_text_sends_nothing() {
    let (base, seen) = server().await;
    let speech = speech_at(&base, "ok").model("tts-1");
    assert_eq!(speech.name(), "openai:tts-1");
    speech.speak("Hi.").await.unwrap();
    let silence = speech.speak("   ").await.unwrap();
    assert!(silence.is_silent(0) && silence.duration_ms() == 100);
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "empty text must not be sent");
    let body = &requests[0].1;
    assert_eq!(body["model"], "tts-1");
    assert_eq!(body["voice"], "alloy");
    assert!(body.get("instructions").is_none(), "{body}");
}

#[tokio::test]
async fn unauthorized_is_auth() {
    let (base, _) = server().await;
    let err = speech_at(&base, "unauthorized")
        .speak("Hi.")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Auth, "{err}");
    assert!(err.message.contains("401"), "{err}");
    assert!(err.message.contains("Incorrect API key"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn rate_limited_is_transient_with_retry_after() {
    let (base, _) = server().await;
    let err = speech_at(&base, "rate_limited")
        .speak("Hi.")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Transient, "{err}");
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
    assert!(err.message.contains("retry after 7 s"), "{err}");
    assert!(err.message.contains("Rate limit reached"), "{err}");
    assert!(err.is_retryable());
    let err = speech_at(&base, "unavailable")
        .speak("Hi.")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Transient, "{err}");
    assert!(
        err.message.contains("503") && err.message.contains("upstream down"),
        "{err}"
    );
}

#[tokio::test]
async fn other_client_errors_are_bad_requests_with_the_message() {
    let (base, _) = server().await;
    let err = speech_at(&base, "bad_voice")
        .voice("robot")
        .speak("Hi.")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::BadRequest, "{err}");
    assert!(
        err.message.contains("'robot' is not a supported voice"),
        "{err}"
    );
}

#[tokio::test]
async fn bodies_that_are_not_pcm_fail() {
    let (base, _) = server().await;
    let err = speech_at(&base, "odd").speak("Hi.").await.unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed, "{err}");
    assert!(err.message.contains("odd length"), "{err}");
    let err = speech_at(&base, "json").speak("Hi.").await.unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed, "{err}");
    assert!(err.message.contains("JSON, not audio"), "{err}");
}

#[tokio::test]
async fn a_slow_reply_times_out_and_a_closed_port_is_transient() {
    let (base, _) = server().await;
    let err = speech_at(&base, "slow")
        .timeout(Duration::from_millis(200))
        .speak("Hi.")
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Timeout, "{err}");
    // A port nothing listens on: bind one, then close it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = speech_at(&closed, "ok").speak("Hi.").await.unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Transient, "{err}");
    assert!(err.message.contains("could not connect"), "{err}");
}
