//! One Realtime WebSocket: opening it with the key, sending client events, and reading
//! server events as JSON — with every way a server can misbehave turned into a
//! [`SocketError`] the agent can act on.

use futures::{SinkExt, StreamExt};
use reqwest::header::HeaderMap;
use reqwest::Url;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::session_log::{Recorder, Replay};
pub(crate) use super::socket_error::SocketError;

/// An open Realtime session's events: a live WebSocket (its events written to a session
/// log when recording), or a session log played back.
pub(crate) struct Socket {
    inner: Inner,
    recorder: Option<Recorder>,
}

enum Inner {
    Live(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
    Replay(Replay),
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").finish_non_exhaustive()
    }
}

impl Socket {
    /// A session played back from its log.
    pub(crate) fn replay(replay: Replay) -> Self {
        Self {
            inner: Inner::Replay(replay),
            recorder: None,
        }
    }

    /// Opens `url` with `headers` (the key's among them), writing every event to `recorder`
    /// when given. Messages larger than `max_message_bytes` are refused as malformed.
    pub(crate) async fn open(
        url: &Url,
        headers: &HeaderMap,
        max_message_bytes: usize,
        recorder: Option<Recorder>,
    ) -> Result<Self, SocketError> {
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| SocketError::Dropped(format!("bad request: {e}")))?;
        for (name, value) in headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(max_message_bytes))
            .max_frame_size(Some(max_message_bytes));
        match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
            Ok((stream, _)) => Ok(Self {
                inner: Inner::Live(Box::new(stream)),
                recorder,
            }),
            Err(WsError::Http(response)) => {
                let status = response.status().as_u16();
                let body = response
                    .body()
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(&b[..b.len().min(500)]).into_owned())
                    .unwrap_or_default();
                Err(SocketError::Refused { status, body })
            }
            Err(e) => Err(SocketError::Dropped(e.to_string())),
        }
    }

    /// Sends one client event.
    pub(crate) async fn send(&mut self, event: &Value) -> Result<(), SocketError> {
        if let Some(recorder) = &mut self.recorder {
            recorder.write(false, event)?;
        }
        match &mut self.inner {
            Inner::Live(stream) => stream
                .send(Message::text(event.to_string()))
                .await
                .map_err(|e| SocketError::Dropped(e.to_string())),
            Inner::Replay(replay) => replay.sent(event),
        }
    }

    /// The next server event. Pings are answered by the library; a close frame or the end
    /// of the stream is a drop, since a Realtime server only closes on its own when
    /// something went wrong.
    pub(crate) async fn next(&mut self) -> Result<Value, SocketError> {
        let event = match &mut self.inner {
            Inner::Live(stream) => next_live(stream).await?,
            Inner::Replay(replay) => replay.next().await?,
        };
        if let Some(recorder) = &mut self.recorder {
            recorder.write(true, &event)?;
        }
        Ok(event)
    }

    /// Closes the socket politely; errors are of no interest any more.
    pub(crate) async fn close(self) {
        if let Inner::Live(mut stream) = self.inner {
            let _ = WebSocketStream::close(&mut *stream, None).await;
        }
    }
}

/// The next event of a live socket.
async fn next_live(
    stream: &mut WebSocketStream<MaybeTlsStream<TcpStream>>,
) -> Result<Value, SocketError> {
    {
        loop {
            let message = match stream.next().await {
                None => return Err(SocketError::Dropped("the connection closed".into())),
                Some(Err(WsError::Capacity(e))) => {
                    return Err(SocketError::Malformed(format!("an event too large: {e}")))
                }
                Some(Err(e)) => return Err(SocketError::Dropped(e.to_string())),
                Some(Ok(message)) => message,
            };
            match message {
                Message::Text(text) => {
                    return serde_json::from_str::<Value>(&text)
                        .ok()
                        .filter(Value::is_object)
                        .ok_or_else(|| {
                            let head: String = text.chars().take(80).collect();
                            SocketError::Malformed(format!("not a JSON event: {head}"))
                        });
                }
                Message::Binary(_) => {
                    return Err(SocketError::Malformed("a binary message".into()))
                }
                Message::Close(frame) => {
                    let why = frame.map_or_else(
                        || "the server closed the socket".to_owned(),
                        |f| format!("the server closed the socket ({}: {})", f.code, f.reason),
                    );
                    return Err(SocketError::Dropped(why));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }
}
