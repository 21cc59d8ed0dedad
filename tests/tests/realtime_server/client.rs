//! A raw WebSocket client of the loopback Realtime server, and test audio.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use benchcore_tests::servers::{RealtimeScript, RealtimeServer};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub(crate) const KEY: &str = "sk-realtime-test";

pub(crate) fn request(url: &str, key: Option<&str>) -> Request {
    let mut request = url.into_client_request().unwrap();
    if let Some(key) = key {
        let value = HeaderValue::from_str(&format!("Bearer {key}")).unwrap();
        request.headers_mut().insert("authorization", value);
    }
    request
}

pub(crate) struct Client {
    pub(crate) ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `session.created` event.
    pub(crate) created: Value,
}

impl Client {
    pub(crate) async fn connect(server: &RealtimeServer) -> Client {
        let url = format!("{}?model=gpt-realtime", server.url());
        let (ws, _) = tokio_tungstenite::connect_async(request(&url, Some(KEY)))
            .await
            .unwrap();
        let mut client = Client {
            ws,
            created: Value::Null,
        };
        client.created = client.next().await;
        assert_eq!(client.created["type"], "session.created");
        let conversation = client.next().await;
        assert_eq!(conversation["type"], "conversation.created");
        assert!(conversation["conversation"]["id"]
            .as_str()
            .unwrap()
            .starts_with("conv_"));
        client
    }

    pub(crate) async fn send(&mut self, event: Value) {
        self.ws
            .send(Message::text(event.to_string()))
            .await
            .unwrap();
    }

    /// The next frame within `ms` (`None` on timeout).
    pub(crate) async fn frame(&mut self, ms: u64) -> Option<Option<Result<Message, WsError>>> {
        tokio::time::timeout(Duration::from_millis(ms), self.ws.next())
            .await
            .ok()
    }

    /// The next event within `ms`, `None` on timeout.
    pub(crate) async fn within(&mut self, ms: u64) -> Option<Value> {
        match self.frame(ms).await? {
            Some(Ok(Message::Text(text))) => Some(serde_json::from_str(text.as_str()).unwrap()),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    pub(crate) async fn next(&mut self) -> Value {
        self.within(5000).await.expect("an event within 5 s")
    }

    /// Events up to and including the first of type `kind`.
    pub(crate) async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self.next().await;
            let done = event["type"] == kind;
            events.push(event);
            if done {
                return events;
            }
        }
    }

    /// Adds a user text message; returns its item id.
    pub(crate) async fn say(&mut self, text: &str) -> Value {
        let item = json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]});
        self.send(json!({"type": "conversation.item.create", "item": item}))
            .await;
        let added = self.next().await;
        assert_eq!(added["type"], "conversation.item.added");
        assert_eq!(self.next().await["type"], "conversation.item.done");
        added["item"]["id"].clone()
    }

    pub(crate) async fn update(&mut self, session: Value) -> Value {
        self.send(json!({"type": "session.update", "session": session}))
            .await;
        self.next().await
    }

    pub(crate) async fn append(&mut self, pcm: &[u8]) {
        for chunk in pcm.chunks(4800) {
            let audio = STANDARD.encode(chunk);
            self.send(json!({"type": "input_audio_buffer.append", "audio": audio}))
                .await;
        }
    }
}

/// `ms` of a 440 Hz tone at about -12 dBFS, PCM16 at 24 kHz.
pub(crate) fn tone(ms: usize) -> Vec<u8> {
    (0..ms * 24)
        .flat_map(|n| {
            let s = (8000.0 * (n as f64 * 440.0 * std::f64::consts::TAU / 24000.0).sin()) as i16;
            s.to_le_bytes()
        })
        .collect()
}

pub(crate) fn silence(ms: usize) -> Vec<u8> {
    vec![0; ms * 48]
}

pub(crate) fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

pub(crate) fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// The samples of a response's audio deltas.
pub(crate) fn samples(events: &[Value]) -> Vec<i16> {
    of_type(events, "response.output_audio.delta")
        .iter()
        .flat_map(|e| STANDARD.decode(e["delta"].as_str().unwrap()).unwrap())
        .collect::<Vec<u8>>()
        .chunks_exact(2)
        .map(|p| i16::from_le_bytes([p[0], p[1]]))
        .collect()
}

pub(crate) fn joined(events: &[Value], kind: &str) -> String {
    of_type(events, kind)
        .iter()
        .map(|e| e["delta"].as_str().unwrap())
        .collect()
}

pub(crate) async fn server(script: RealtimeScript) -> RealtimeServer {
    RealtimeServer::start(script.api_key(KEY)).await.unwrap()
}
