//! [`McpScripted`]: the answers a test queues on the loopback MCP server.

/// A scripted answer to the next `tools/call`. In SSE mode
/// ([`McpServerConfig::sse`](super::McpServerConfig::sse)) the answers with a 200 status
/// come as an event stream, else as one JSON body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum McpScripted {
    /// A tool result with this text.
    Reply(String),
    /// A tool result with `isError: true` and this text.
    ToolError(String),
    /// A JSON-RPC error.
    RpcError {
        /// The code.
        code: i64,
        /// The message.
        message: String,
    },
    /// Forget the session first, so the call gets HTTP 404 (as the specification says).
    ForgetSession,
    /// An SSE stream that ends before the response.
    CutStream,
    /// HTTP 503.
    Unavailable,
    /// HTTP 429 with a JSON-RPC error body, and `Retry-After` in seconds when set.
    RateLimited {
        /// The `Retry-After` header's value.
        retry_after_secs: Option<u64>,
    },
    /// HTTP 500 with a JSON-RPC error body.
    ServerError,
    /// HTTP 401 with a JSON-RPC error body, as for a refused bearer token.
    Unauthorized,
    /// 200 with a body (in SSE mode, an event) that is not JSON.
    Malformed,
    /// Never answers (until the server stops).
    Hang,
    /// 200 whose body (in SSE mode, whose stream, after a log notification) stops half-way
    /// through the response: the headers are sent, then the connection drops.
    Truncated,
    /// 200 with a valid tool result of at least `bytes` bytes, sent without a
    /// `Content-Length`.
    Oversized {
        /// The reply's least size.
        bytes: usize,
    },
    /// Forget the session first and answer HTTP 400 "Bad Request: No valid session ID
    /// provided", as the official TypeScript SDK's server does.
    ForgetSessionWith400,
}
