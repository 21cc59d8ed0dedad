use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// What kind of failure an agent met. The engine decides retries from the kind alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentErrorKind {
    /// The provider asked us to slow down (HTTP 429); may carry `retry_after`.
    RateLimited,
    /// A passing failure: 5xx, overloaded, connection reset.
    Transient,
    /// No answer before the deadline.
    Timeout,
    /// The credentials were refused. Never retried.
    Auth,
    /// The request itself is wrong. Never retried.
    BadRequest,
    /// The conversation does not fit the model's context. Never retried.
    ContextTooLong,
    /// The provider answered something we cannot read.
    MalformedReply,
    /// A provider batch ended without answering this request (it expired, was cancelled or
    /// failed, or its result could not be read). Never retried by the engine: a run with
    /// batch fallback sends it again as an ordinary request.
    Unanswered,
}

impl AgentErrorKind {
    /// Whether an attempt that failed this way is worth sending again.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited | Self::Transient | Self::Timeout | Self::MalformedReply
        )
    }

    /// The snake_case name used in records and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::Transient => "transient",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
            Self::BadRequest => "bad_request",
            Self::ContextTooLong => "context_too_long",
            Self::MalformedReply => "malformed_reply",
            Self::Unanswered => "unanswered",
        }
    }
}

impl fmt::Display for AgentErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed exchange, classified.
///
/// ```
/// use benchcore::{AgentError, AgentErrorKind};
/// use std::time::Duration;
/// let err = AgentError::rate_limited("slow down", Some(Duration::from_secs(2)));
/// assert!(err.is_retryable());
/// assert_eq!(err.retry_after, Some(Duration::from_secs(2)));
/// assert!(!AgentError::new(AgentErrorKind::Auth, "bad key").is_retryable());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub struct AgentError {
    /// What kind of failure.
    pub kind: AgentErrorKind,
    /// A human-readable account, never containing secrets.
    pub message: String,
    /// The provider or agent that failed.
    pub provider: Option<String>,
    /// The HTTP status, for HTTP providers.
    pub http_status: Option<u16>,
    /// How long the provider asked us to wait.
    pub retry_after: Option<Duration>,
}

impl AgentError {
    /// An error of this kind.
    pub fn new(kind: AgentErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            provider: None,
            http_status: None,
            retry_after: None,
        }
    }

    /// A rate-limit error with the wait the provider asked for.
    pub fn rate_limited(message: impl Into<String>, retry_after: Option<Duration>) -> Self {
        Self::new(AgentErrorKind::RateLimited, message).with_retry_after(retry_after)
    }

    /// A transient error.
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(AgentErrorKind::Transient, message)
    }

    /// A timeout.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(AgentErrorKind::Timeout, message)
    }

    /// A reply that could not be read.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(AgentErrorKind::MalformedReply, message)
    }

    /// Names the provider.
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Sets the wait the provider asked for.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Whether the engine may send the request again.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(provider) = &self.provider {
            write!(f, " from {provider}")?;
        }
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}", self.message)
    }
}
