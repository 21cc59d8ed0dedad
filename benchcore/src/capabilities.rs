//! What an agent or a store can do, as flat flags the engine and tests branch on.

use serde::{Deserialize, Serialize};

/// What an [`Agent`](crate::Agent) supports. The engine and the behaviour suites decide by
/// these flags, never by provider name.
///
/// Every flag defaults to `false`: an agent claims only what it does, and a flag left out of
/// a serialized form reads as `false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AgentCapabilities {
    /// Takes tool definitions and returns tool calls.
    pub tools: bool,
    /// Honours a sampling seed.
    pub seed: bool,
    /// Takes a system prompt.
    pub system_prompt: bool,
    /// Can be asked for a JSON reply.
    pub json_mode: bool,
    /// Streams its reply and reports time to first token.
    pub streaming: bool,
    /// Reports token usage.
    pub usage: bool,
    /// Carries the request's sampling settings (temperature, max tokens) to the provider.
    /// The seed has its own flag, [`seed`](Self::seed).
    pub sampling: bool,
    /// Reports the provider's context-length overflows as
    /// [`ContextTooLong`](crate::AgentErrorKind::ContextTooLong) rather than as a generic bad
    /// request.
    pub context_errors: bool,
    /// Talks to a remote server, so its failures can be scripted by the agent behaviour suite.
    pub remote: bool,
    /// The largest context it accepts, in tokens, when known.
    pub max_context: Option<u64>,
}

/// What a [`RunStore`](crate::RunStore) supports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoreCapabilities {
    /// Data survives the process: reopening the same location shows the same runs.
    pub persistent: bool,
    /// Several processes may write to one run at once.
    pub concurrent_writers: bool,
    /// Pending attempts can be claimed by workers.
    pub work_queue: bool,
    /// Stores replies keyed by request.
    pub response_cache: bool,
    /// Stores secrets encrypted.
    pub encryption: bool,
    /// Keeps quality metrics ([`RunStore::record_metrics`](crate::RunStore::record_metrics)).
    pub metrics: bool,
}
