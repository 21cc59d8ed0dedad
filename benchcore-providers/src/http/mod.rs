//! The HTTP layer every provider shares: one client builder, HTTP status to
//! [`AgentErrorKind`](benchcore::AgentErrorKind), `Retry-After` parsing, size-limited body
//! reading, the checks of the keys every HTTP config takes, and the one exchange every
//! chat agent does.
//!
//! A provider does one exchange and classifies its failure here, once; the engine decides
//! retries from the kind alone.

mod body;
mod calls;
#[cfg(feature = "_http")]
mod checks;
mod client;
#[cfg(feature = "_chat")]
mod exchange;
mod headers;
mod status;

pub use body::{bounded, is_event_stream, read_body, read_error_body, DEFAULT_MAX_RESPONSE_BYTES};
#[cfg(feature = "_chat")]
pub(crate) use calls::multipart;
#[cfg(feature = "_http")]
pub(crate) use checks::{check_env_name, check_key, check_no_password, header_map};
#[cfg(feature = "_chat")]
pub(crate) use checks::{endpoint, key_from_env, secret_header};
pub use client::{client, client_builder};
pub(crate) use exchange::{ChatProvider, Classify, Endpoint, Outgoing, Reply};
pub(crate) use headers::is_sensitive_header;
#[cfg(any(feature = "anthropic", feature = "mcp", feature = "realtime"))]
pub(crate) use headers::mask;
pub use status::{
    error_for_status, error_from_reqwest, parse_retry_after, retry_after, status_kind,
    ProviderError,
};
