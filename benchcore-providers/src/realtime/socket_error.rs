//! [`SocketError`]: every way a Realtime socket (or a session log played back) can fail.

/// Why a socket could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SocketError {
    /// The handshake was answered with an HTTP status (401, 429, 404 …) and maybe a body.
    Refused { status: u16, body: String },
    /// The connection could not be made, or it dropped (no close frame, a reset, a close
    /// frame in the middle of a reply).
    Dropped(String),
    /// The server sent something that is not a JSON event (binary, invalid JSON, too big).
    Malformed(String),
    /// A session log cannot be played back: missing, broken, or the conversation went
    /// another way than the recording.
    Replay(String),
}

impl std::fmt::Display for SocketError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused { status, body } if body.is_empty() => {
                write!(f, "the server refused the WebSocket with HTTP {status}")
            }
            Self::Refused { status, body } => {
                write!(
                    f,
                    "the server refused the WebSocket with HTTP {status}: {body}"
                )
            }
            Self::Dropped(why) => write!(f, "the WebSocket dropped: {why}"),
            Self::Malformed(why) => write!(f, "the server sent a malformed event: {why}"),
            Self::Replay(why) => f.write_str(why),
        }
    }
}
