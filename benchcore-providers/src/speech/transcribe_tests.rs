//! `OpenAiTranscriber` over real HTTP against a loopback server speaking OpenAI's
//! `POST /audio/transcriptions`: the server parses the multipart body it is sent (boundary,
//! parts, the WAV), and each failure kind comes back classified.

use super::*;
use axum::extract::{Path, State};
use axum::http::{HeaderMap as Headers, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use benchcore::voice::check_speech;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One part of a `multipart/form-data` body.
#[derive(Debug, Clone)]
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    content: Vec<u8>,
}

/// One request as the server understood it.
#[derive(Debug, Clone)]
struct Request {
    auth: Option<String>,
    /// The text parts by name.
    fields: BTreeMap<String, String>,
    /// The `file` part: its file name, its content type and the audio decoded from it.
    file: (Option<String>, Option<String>, Audio),
}

#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<Request>>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses a `multipart/form-data` body strictly (RFC 7578): every part opens with
/// `--boundary` and CRLF, holds headers, a blank line and its content, and the body closes
/// with `--boundary--`. The error says what is wrong.
fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .ok_or_else(|| format!("Content-Type is not multipart/form-data: {content_type}"))?;
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(format!(
            "the boundary `{boundary}` is not 1 to 70 characters"
        ));
    }
    let opening = format!("--{boundary}");
    let between = format!("\r\n--{boundary}");
    let mut rest = body
        .strip_prefix(opening.as_bytes())
        .ok_or("the body does not open with the boundary")?;
    let mut parts = Vec::new();
    loop {
        if rest == b"--\r\n" || rest == b"--" {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("no CRLF after a boundary, nor a closing `--`")?;
        let end = find(rest, between.as_bytes()).ok_or("a part is not closed by the boundary")?;
        let (part, after) = rest.split_at(end);
        rest = &after[between.len()..];
        let head_end =
            find(part, b"\r\n\r\n").ok_or("a part has no blank line after its headers")?;
        let head = std::str::from_utf8(&part[..head_end]).map_err(|e| e.to_string())?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let (header, value) = line
                .split_once(':')
                .ok_or_else(|| format!("a part header is not `name: value`: {line}"))?;
            match header.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    let mut params = value.trim().split(';').map(str::trim);
                    if params.next() != Some("form-data") {
                        return Err(format!("not form-data: {value}"));
                    }
                    for param in params {
                        let (key, quoted) = param.split_once('=').ok_or("a bad parameter")?;
                        let unquoted = quoted
                            .strip_prefix('"')
                            .and_then(|q| q.strip_suffix('"'))
                            .ok_or_else(|| format!("{key} is not quoted"))?
                            .to_owned();
                        match key {
                            "name" => name = Some(unquoted),
                            "filename" => filename = Some(unquoted),
                            other => return Err(format!("unexpected parameter {other}")),
                        }
                    }
                }
                "content-type" => content_type = Some(value.trim().to_owned()),
                other => return Err(format!("unexpected part header {other}")),
            }
        }
        parts.push(Part {
            name: name.ok_or("a part has no name")?,
            filename,
            content_type,
            content: part[head_end + 4..].to_vec(),
        });
    }
}

/// Reads one request: the text fields and the `file` part, which must be a WAV.
fn understand(headers: &Headers, body: &[u8]) -> Result<Request, String> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let parts = parse_multipart(text("content-type").unwrap_or_default(), body)?;
    let mut fields = BTreeMap::new();
    let mut file = None;
    for part in parts {
        if part.name == "file" {
            let audio = Audio::from_wav(&part.content).map_err(|e| format!("file: {e}"))?;
            file = Some((part.filename, part.content_type, audio));
        } else {
            let value = String::from_utf8(part.content).map_err(|e| e.to_string())?;
            if fields.insert(part.name.clone(), value).is_some() {
                return Err(format!("the field {} is sent twice", part.name));
            }
        }
    }
    Ok(Request {
        auth: text("authorization").map(str::to_owned),
        fields,
        file: file.ok_or("no file part")?,
    })
}

/// Answers by the first path segment: `ok`, `unauthorized`, `rate_limited`, `unavailable`,
/// `bad_model`, `malformed`, `not_json`, `slow`. A body the server cannot parse is a 400
/// naming what is wrong with it.
async fn transcriptions(
    State(seen): State<Arc<Seen>>,
    Path(scenario): Path<String>,
    headers: Headers,
    body: axum::body::Bytes,
) -> Response {
    let error = |status: StatusCode, message: &str| {
        (
            status,
            [("content-type", "application/json")],
            serde_json::json!({"error": {"message": message, "type": "invalid_request_error"}})
                .to_string(),
        )
            .into_response()
    };
    let request = match understand(&headers, &body) {
        Ok(request) => request,
        Err(why) => return error(StatusCode::BAD_REQUEST, &format!("bad multipart: {why}")),
    };
    seen.requests.lock().unwrap().push(request);
    match scenario.as_str() {
        "ok" => axum::Json(serde_json::json!({
            "text": "  Hello there, how are you?\n",
            "usage": {"type": "tokens", "input_tokens": 14, "output_tokens": 6},
        }))
        .into_response(),
        "unauthorized" => error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided: sk-test-key",
        ),
        "rate_limited" => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit reached");
            response
                .headers_mut()
                .insert("retry-after", "7".parse().unwrap());
            response
        }
        "unavailable" => (StatusCode::SERVICE_UNAVAILABLE, "upstream down").into_response(),
        "bad_model" => error(
            StatusCode::BAD_REQUEST,
            "Invalid model 'tts-1' for transcription.",
        ),
        "malformed" => axum::Json(serde_json::json!({"transcript": "hello"})).into_response(),
        "not_json" => "hello there".into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            axum::Json(serde_json::json!({"text": "late"})).into_response()
        }
        other => error(StatusCode::NOT_FOUND, &format!("no scenario {other}")),
    }
}

/// Starts the loopback server; returns its address and what it sees.
async fn server() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route("/{scenario}/v1/audio/transcriptions", post(transcriptions))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), seen)
}

fn transcriber_at(base: &str, scenario: &str) -> OpenAiTranscriber {
    OpenAiTranscriber::new(Secret::new("sk-test-key"))
        .unwrap()
        .base_url(&format!("{base}/{scenario}/v1"))
        .unwrap()
}

fn clip() -> Audio {
    Audio::tone(24_000, 440.0, 300, 8_000)
}

#[tokio::test]
async fn the_audio_goes_as_a_multipart_wav_and_the_text_comes_back() {
    let (base, seen) = server().await;
    let transcriber = transcriber_at(&base, "ok").language("en");
    assert_eq!(transcriber.name(), "openai:gpt-4o-mini-transcribe");
    let heard = transcriber.transcribe(&clip()).await.unwrap();
    assert_eq!(heard, "Hello there, how are you?");
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.auth.as_deref(), Some("Bearer sk-test-key"));
    let fields: Vec<(&str, &str)> = request
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("language", "en"),
            ("model", "gpt-4o-mini-transcribe"),
            ("response_format", "json"),
        ]
    );
    let (filename, content_type, audio) = &request.file;
    assert_eq!(filename.as_deref(), Some("audio.wav"));
    assert_eq!(content_type.as_deref(), Some("audio/wav"));
    assert!(*audio == clip(), "the WAV arrived changed");
}

#[tokio::test]
async fn the_language_is_left_out_unless_set_and_empty_audio_sends_nothing() {
    let (base, seen) = server().await;
    let transcriber = transcriber_at(&base, "ok").model("whisper-1");
    assert_eq!(transcriber.name(), "openai:whisper-1");
    assert_eq!(transcriber.clone().named("stt").name(), "stt");
    transcriber.transcribe(&clip()).await.unwrap();
    assert_eq!(transcriber.transcribe(&Audio::default()).await.unwrap(), "");
    let err = transcriber
        .transcribe(&Audio::new(0, vec![1, 2]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::BadRequest, "{err}");
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "empty audio must not be sent");
    assert_eq!(requests[0].fields["model"], "whisper-1");
    assert!(!requests[0].fields.contains_key("language"));
}

#[tokio::test]
async fn unauthorized_is_auth_without_the_key() {
    let (base, _) = server().await;
    let err = transcriber_at(&base, "unauthorized")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Auth, "{err}");
    assert!(
        err.message.starts_with("OpenAI transcription HTTP 401"),
        "{err}"
    );
    assert!(err.message.contains("Incorrect API key"), "{err}");
    assert!(!err.message.contains("sk-test-key"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn rate_limits_and_outages_are_transient() {
    let (base, _) = server().await;
    let err = transcriber_at(&base, "rate_limited")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Transient, "{err}");
    assert_eq!(err.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(
        err.message,
        "OpenAI transcription HTTP 429: Rate limit reached (retry after 7 s)"
    );
    assert!(err.is_retryable());
    let err = transcriber_at(&base, "unavailable")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Transient, "{err}");
    assert!(err.message.contains("503") && err.message.contains("upstream down"));
}

#[tokio::test]
async fn other_client_errors_are_bad_requests_with_the_message() {
    let (base, _) = server().await;
    let err = transcriber_at(&base, "bad_model")
        .model("tts-1")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::BadRequest, "{err}");
    assert!(err.message.contains("Invalid model 'tts-1'"), "{err}");
}

#[tokio::test]
async fn a_reply_without_text_fails() {
    let (base, _) = server().await;
    let err = transcriber_at(&base, "malformed")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed, "{err}");
    assert!(err.message.contains("has no string `text`"), "{err}");
    assert!(err.message.contains("transcript"), "{err}");
    let err = transcriber_at(&base, "not_json")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Failed, "{err}");
    assert!(err.message.contains("is not JSON: hello there"), "{err}");
}

#[tokio::test]
async fn a_slow_reply_times_out_and_a_closed_port_is_transient() {
    let (base, _) = server().await;
    let err = transcriber_at(&base, "slow")
        .timeout(Duration::from_millis(200))
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Timeout, "{err}");
    assert!(err.message.contains("200 ms"), "{err}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = transcriber_at(&closed, "ok")
        .transcribe(&clip())
        .await
        .unwrap_err();
    assert_eq!(err.kind, SpeechErrorKind::Transient, "{err}");
    assert!(err.message.starts_with("OpenAI transcription:"), "{err}");
}

#[tokio::test]
async fn check_speech_scores_what_the_api_heard() {
    let (base, _) = server().await;
    let transcriber: Arc<dyn Transcriber> = Arc::new(transcriber_at(&base, "ok"));
    let (heard, wer) = check_speech(transcriber.as_ref(), &clip(), "hello there how are you")
        .await
        .unwrap();
    assert_eq!(heard, "Hello there, how are you?");
    assert_eq!(wer, 0.0);
    let (_, wer) = check_speech(transcriber.as_ref(), &clip(), "hello where are you")
        .await
        .unwrap();
    assert!((wer - 0.5).abs() < 1e-9, "{wer}");
}

#[test]
fn the_boundary_never_occurs_in_the_parts() {
    let wav = b"RIFF....--benchcore-transcription-0\r\n....".to_vec();
    let (content_type, body) = multipart_body(&[("model", "benchcore-transcription-1")], &wav);
    assert_eq!(
        content_type,
        "multipart/form-data; boundary=benchcore-transcription-2"
    );
    let parts = parse_multipart(&content_type, &body).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].name, "model");
    assert_eq!(parts[0].content, b"benchcore-transcription-1");
    assert_eq!(parts[1].content, wav);
}

#[test]
fn debug_shows_no_key_and_bad_settings_are_refused() {
    let transcriber = OpenAiTranscriber::new(Secret::new("sk-very-secret")).unwrap();
    assert_eq!(
        transcriber.url().as_str(),
        "https://api.openai.com/v1/audio/transcriptions"
    );
    assert!(!format!("{transcriber:?}").contains("sk-very-secret"));
    assert!(OpenAiTranscriber::new(Secret::new(" ")).is_err());
    let err = transcriber.base_url("ftp://x").unwrap_err();
    assert!(err.contains("not an http(s) URL"), "{err}");
}
