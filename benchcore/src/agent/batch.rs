//! [`BatchApi`]: a provider's asynchronous batch endpoint, which answers many requests within
//! hours at a lower price than one exchange each.

use super::{AgentError, AgentReply, AgentRequest};
use async_trait::async_trait;

/// One request of a batch, under the id its result comes back with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BatchItem {
    /// Unique within its batch; 1–64 characters of `[a-zA-Z0-9_-]`, which every provider
    /// accepts.
    pub custom_id: String,
    /// The request, exactly as [`Agent::respond`](super::Agent::respond) would send it.
    pub request: AgentRequest,
}

impl BatchItem {
    /// An item.
    pub fn new(custom_id: impl Into<String>, request: AgentRequest) -> Self {
        Self {
            custom_id: custom_id.into(),
            request,
        }
    }
}

/// How big one batch may be: the engine splits larger sets into several batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchLimits {
    /// Requests per batch.
    pub max_requests: usize,
    /// Bytes per batch, as [`BatchApi::encoded_len`] counts them.
    pub max_bytes: u64,
}

impl BatchLimits {
    /// Limits of `max_requests` requests and `max_bytes` bytes.
    pub fn new(max_requests: usize, max_bytes: u64) -> Self {
        Self {
            max_requests,
            max_bytes,
        }
    }
}

/// Where a batch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchStatus {
    /// Still at work; `state` is the provider's word for it (`validating`, `in_progress` …).
    Pending {
        /// The provider's state.
        state: String,
    },
    /// Over: [`BatchApi::results`] reads what it answered. Some items may have failed or
    /// expired; those come back as errors.
    Ended {
        /// The provider's state (`completed`, `expired`, `ended` …).
        state: String,
    },
    /// Over without a result for any item (the provider refused the batch as a whole).
    Failed {
        /// Why, in the provider's words.
        reason: String,
    },
}

/// What a batch's results hold, as read from the provider.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct BatchResults {
    /// Each result line read, by custom id, in the order read: a reply, or the error the
    /// provider gave for that item (expired and cancelled items are
    /// [`Unanswered`](super::AgentErrorKind::Unanswered)). An id may appear twice, or be one
    /// the batch never held, if the provider says so: the engine checks.
    pub items: Vec<(String, Result<AgentReply, AgentError>)>,
    /// Lines that could not be read, each saying where and why.
    pub problems: Vec<String>,
}

/// A provider's batch endpoint, offered by an agent through
/// [`Agent::batch`](super::Agent::batch).
///
/// # Contract
/// - `submit` sends every item in one batch and returns its id only once the provider holds
///   it; it fails without a batch when the items break [`limits`](Self::limits) or share an
///   id.
/// - `status` and `results` change nothing at the provider, so they may be called again
///   after a restart, with an id stored by an earlier process.
/// - `results` is called once `status` says `Ended`; each reply carries the usage the
///   provider reported, and the batch price when the provider reports one.
/// - A reply read from a batch is the reply `respond` would have read for the same body.
#[async_trait]
pub trait BatchApi: Send + Sync + 'static {
    /// How big one batch may be.
    fn limits(&self) -> BatchLimits;

    /// The bytes `item` adds to a batch, to split batches within
    /// [`BatchLimits::max_bytes`].
    ///
    /// # Errors
    /// The request cannot be encoded (`BadRequest`).
    fn encoded_len(&self, item: &BatchItem) -> Result<u64, AgentError>;

    /// Creates a batch of `items`; returns its id.
    async fn submit(&self, items: &[BatchItem]) -> Result<String, AgentError>;

    /// Where batch `id` stands.
    async fn status(&self, id: &str) -> Result<BatchStatus, AgentError>;

    /// The results of ended batch `id`.
    async fn results(&self, id: &str) -> Result<BatchResults, AgentError>;
}

const _: fn(&dyn BatchApi) = |_| {};
