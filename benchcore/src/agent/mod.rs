//! The [`Agent`] trait: anything that answers messages.

mod batch;
pub mod cache;
mod error;
pub mod reference;
mod reference_steps;
mod reply;
mod request;
mod step;
mod tools;
mod voice_turn;

pub use batch::{BatchApi, BatchItem, BatchLimits, BatchResults, BatchStatus};
pub use cache::{CacheKey, Cached, CachedReply, MemoryCache, ResponseCache};
pub use error::{AgentError, AgentErrorKind};
pub use reply::{AgentReply, Usage};
pub use request::{AgentRequest, Sampling};
pub use step::AgentStep;
pub use tools::{InvalidArguments, StopReason, ToolCall, ToolChoice, ToolSpec};
pub use voice_turn::{VoiceTurn, VoiceUsage};

use crate::{AgentCapabilities, Case};
use async_trait::async_trait;

/// Something that answers a list of messages: an HTTP model provider, a local model, a
/// scripted bot, or a researcher's own pipeline.
///
/// Implement it in your own crate with `benchcore` alone:
///
/// ```
/// use benchcore::{async_trait, Agent, AgentError, AgentReply, AgentRequest};
///
/// struct Shouter;
///
/// #[async_trait]
/// impl Agent for Shouter {
///     fn name(&self) -> &str {
///         "shouter"
///     }
///
///     async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
///         let question = request.last_user_text().unwrap_or_default();
///         Ok(AgentReply::text(question.to_uppercase()))
///     }
/// }
/// ```
///
/// # Contract
/// - `respond` performs one exchange and never retries by itself: the engine decides retries
///   from [`AgentError::kind`].
/// - A failure is an `Err` whose kind says what happened: `RateLimited` (with `retry_after`
///   when the provider said), `Transient`, `Timeout`, `Auth`, `BadRequest`, `ContextTooLong`
///   or `MalformedReply`.
/// - When the request has a deadline and it passes, `respond` returns a `Timeout` error
///   (the engine also enforces the deadline by dropping the future).
/// - Dropping the future at any `.await` is safe.
/// - Usage is reported when the provider reports it; `capabilities().usage` says whether.
#[async_trait]
pub trait Agent: Send + Sync + 'static {
    /// A short name, unique within a run; it keys the attempt records.
    fn name(&self) -> &str;

    /// What this agent supports.
    fn capabilities(&self) -> AgentCapabilities {
        AgentCapabilities::default()
    }

    /// Answers one request.
    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError>;

    /// The provider's batch endpoint, when it has one: a run in batch mode sends its
    /// requests through it instead of [`respond`](Self::respond). Decorators pass their
    /// inner agent's on. `None` unless overridden.
    fn batch(&self) -> Option<&dyn BatchApi> {
        None
    }

    /// Told when the conversation of `case` (sample `sample`) that this agent took part in
    /// is over, however it ended, so an agent that keeps state per conversation (a Realtime
    /// session) can close it. Decorators pass it on. Does nothing unless overridden.
    async fn conversation_ended(&self, case: &Case, sample: u32) {
        let _ = (case, sample);
    }
}

const _: fn(&dyn Agent) = |_| {};
