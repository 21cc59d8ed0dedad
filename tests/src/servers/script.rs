//! [`Scripted`]: the answers a test queues on a server, each rendered in the server's wire
//! format.

use benchcore::Usage;
use std::time::Duration;

/// One scripted answer, served in order before the default behaviour. Each server renders
/// it in its provider's own shapes; a request that asked for a stream gets the streamed
/// form where one exists.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Scripted {
    /// 200 with this text; usage as given, or word counts when `None`. Streamed word by
    /// word when the request asks for a stream.
    Reply {
        /// The reply text.
        text: String,
        /// The usage reported.
        usage: Option<Usage>,
    },
    /// 200 with the text in exactly these pieces when the request asks for a stream (one
    /// content event each), else joined in one body.
    Streamed {
        /// The pieces of the text, in order.
        chunks: Vec<String>,
        /// The usage reported; word counts when `None`.
        usage: Option<Usage>,
    },
    /// 429 (the provider's rate-limit error), with `Retry-After` in seconds when set.
    RateLimited {
        /// The `Retry-After` header's value.
        retry_after_secs: Option<u64>,
    },
    /// 500 (OpenAI `server_error`, Anthropic `api_error`).
    ServerError,
    /// The provider is overloaded: Anthropic 529 `overloaded_error`, OpenAI 503.
    Overloaded,
    /// 401 (OpenAI `invalid_api_key`, Anthropic `authentication_error`).
    Unauthorized,
    /// 400 with the provider's context-length error, worded as the provider words it.
    ContextTooLong,
    /// 200 with a body (or, for a stream, an event) that is not valid JSON.
    Malformed,
    /// 200 whose body stops half-way: the connection is dropped mid-reply (for a stream,
    /// after the first content event).
    Truncated,
    /// 200 with a valid reply of at least `bytes` bytes, streamed without a
    /// `Content-Length`.
    Oversized {
        /// The body's least size.
        bytes: usize,
    },
    /// A stream that starts, then reports the provider's overloaded error inside the
    /// stream; a request that asked for no stream gets [`Scripted::Overloaded`].
    StreamError,
    /// Never answers (until the server stops).
    Hang,
    /// Waits `delay`, then replies with `text`.
    Slow {
        /// The wait before answering.
        delay: Duration,
        /// The reply text.
        text: String,
    },
    /// 200 with this text (maybe empty) and these tool calls, ending for tool use;
    /// streamed with each call's arguments in pieces when the request asks for a stream.
    ToolCalls {
        /// The text before the calls.
        text: String,
        /// The calls, in order.
        calls: Vec<super::ScriptedCall>,
    },
    /// 200 with this text, cut at the output token limit (`finish_reason: "length"`,
    /// `status: "incomplete"`, `stop_reason: "max_tokens"`).
    MaxTokens {
        /// The text given before the cut.
        text: String,
    },
    /// Any status, headers and body.
    Raw {
        /// The HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body, sent as is with `Content-Type: application/json` unless `headers`
        /// sets another.
        body: String,
    },
}

impl Scripted {
    /// A 200 reply with this text and word-count usage.
    pub fn reply(text: impl Into<String>) -> Self {
        Self::Reply {
            text: text.into(),
            usage: None,
        }
    }
}
