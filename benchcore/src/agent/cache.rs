//! The response cache: [`ResponseCache`], its [`CacheKey`], the in-memory [`MemoryCache`] and
//! the [`Cached`] decorator that puts a cache in front of any [`Agent`].
//!
//! A rerun of a suite with the same agents then costs nothing: every reply already seen is
//! served from the cache, marked `cached` and priced at zero.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use benchcore::agent::cache::{Cached, MemoryCache};
//! use benchcore::agent::reference::Gold;
//! use benchcore::{Agent, AgentRequest, Case};
//! use std::sync::Arc;
//!
//! let agent = Cached::new(Arc::new(Gold), Arc::new(MemoryCache::new()));
//! let case = Arc::new(Case::new("q1", "2 + 2?").with_target("4"));
//! let request = AgentRequest::new(case.messages.clone()).with_case(case, 0);
//! assert!(!agent.respond(&request).await.unwrap().cached);
//! let again = agent.respond(&request).await.unwrap();
//! assert!(again.cached);
//! assert_eq!((again.text.as_str(), again.cost_usd), ("4", Some(0.0)));
//! # });
//! ```

use super::{Agent, AgentError, AgentReply, AgentRequest, StopReason, ToolCall, Usage};
use crate::{now_ms, AgentCapabilities, StoreError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The version of the canonical request text. Bump it when the text changes shape, so old
/// entries are never read as new ones.
const KEY_VERSION: u32 = 1;

/// What identifies a cached reply: a 64-bit FNV-1a hash of the canonical request text, and
/// that text itself.
///
/// The canonical text is JSON with sorted keys of the agent's identity (its name, or the
/// config it was built from: provider, model, base URL, default sampling), the messages, the
/// request's sampling and the sample number. The hash is stable across builds, platforms
/// and Rust versions (unlike `std::hash`). Stores index by the hash and compare the text on
/// a hit, so a hash collision is a miss and never serves another request's reply.
///
/// The sample number is part of the key: sample 2 of a rerun gets the reply sample 2 got,
/// so repeated samples stay distinct.
///
/// ```
/// use benchcore::agent::cache::CacheKey;
/// use benchcore::{AgentRequest, Message};
/// let request = AgentRequest::new(vec![Message::user("hi")]);
/// let key = CacheKey::new(&serde_json::json!({"model": "m", "kind": "openai"}), &request);
/// assert_eq!(key, CacheKey::new(&serde_json::json!({"kind": "openai", "model": "m"}), &request));
/// assert_eq!(key.hex().len(), 16);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    hash: u64,
    request: String,
}

impl CacheKey {
    /// The key of `request` sent to the agent `identity` describes.
    pub fn new(identity: &serde_json::Value, request: &AgentRequest) -> Self {
        let mut canonical = serde_json::json!({
            "v": KEY_VERSION,
            "agent": identity,
            "messages": request.messages,
            "sampling": request.sampling,
            "sample": request.sample,
        });
        // Tools join the key only when offered, so keys of plain requests stay as they were.
        if !request.tools.is_empty() {
            canonical["tools"] = serde_json::json!(request.tools);
        }
        if let Some(choice) = request
            .tool_choice
            .as_ref()
            .filter(|_| !request.tools.is_empty())
        {
            canonical["tool_choice"] = serde_json::json!(choice);
        }
        Self::from_canonical(canonical_json(&canonical))
    }

    /// The key of an already canonical request text.
    pub fn from_canonical(request: impl Into<String>) -> Self {
        let request = request.into();
        Self {
            hash: fnv1a_64(request.as_bytes()),
            request,
        }
    }

    /// The 64-bit FNV-1a hash of the canonical text.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The hash as 16 lowercase hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.hash)
    }

    /// The canonical request text a hit must equal.
    pub fn request(&self) -> &str {
        &self.request
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.hash)
    }
}

/// FNV-1a, 64 bits: tiny, stable and good enough to index; collisions are caught by
/// comparing the request text.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// JSON text with every object's keys sorted and no white space, whatever map type
/// `serde_json` was built with.
fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A reply as a cache keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CachedReply {
    /// The reply text.
    pub text: String,
    /// The usage the original reply reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the original reply cost (a hit costs nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// When it was stored, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub stored_at_ms: u64,
    /// The tools the reply called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Why the reply ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
}

impl CachedReply {
    /// What a cache keeps of `reply`, stamped now.
    pub fn from_reply(reply: &AgentReply) -> Self {
        Self {
            text: reply.text.clone(),
            usage: reply.usage,
            model: reply.model.clone(),
            cost_usd: reply.cost_usd,
            stored_at_ms: now_ms(),
            tool_calls: reply.tool_calls.clone(),
            stop_reason: reply.stop_reason,
        }
    }

    /// The reply a hit returns: the stored text, usage and model, `cached` set and a cost of
    /// zero.
    pub fn to_reply(&self) -> AgentReply {
        AgentReply {
            text: self.text.clone(),
            usage: self.usage,
            cost_usd: Some(0.0),
            model: self.model.clone(),
            cached: true,
            tool_calls: self.tool_calls.clone(),
            stop_reason: self.stop_reason,
            ..AgentReply::default()
        }
    }
}

/// Where replies are kept between runs, keyed by request.
///
/// # Contract
/// - `get` of a key never put returns `Ok(None)`.
/// - `get` after `put` of the same key returns the reply put.
/// - `get` of a key whose hash matches a stored entry but whose request text differs
///   returns `Ok(None)`: a collision is a miss, never another request's reply.
/// - `put` of a key already stored replaces the entry.
/// - A persistent cache keeps its entries across closing and reopening.
#[async_trait]
pub trait ResponseCache: Send + Sync + 'static {
    /// The reply stored for `key`, if any.
    async fn get(&self, key: &CacheKey) -> Result<Option<CachedReply>, StoreError>;

    /// Stores `reply` for `key`, replacing any earlier entry.
    async fn put(&self, key: &CacheKey, reply: &CachedReply) -> Result<(), StoreError>;
}

const _: fn(&dyn ResponseCache) = |_| {};

/// A [`ResponseCache`] in memory, for tests and for one process's lifetime.
#[derive(Debug, Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<u64, (String, CachedReply)>>,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (String, CachedReply)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl ResponseCache for MemoryCache {
    async fn get(&self, key: &CacheKey) -> Result<Option<CachedReply>, StoreError> {
        Ok(self
            .lock()
            .get(&key.hash())
            .filter(|(request, _)| request == key.request())
            .map(|(_, reply)| reply.clone()))
    }

    async fn put(&self, key: &CacheKey, reply: &CachedReply) -> Result<(), StoreError> {
        self.lock()
            .insert(key.hash(), (key.request().to_owned(), reply.clone()));
        Ok(())
    }
}

/// An [`Agent`] decorator that answers from a [`ResponseCache`] when it can, and asks the
/// agent it wraps (then stores the reply) when it cannot.
///
/// - A hit returns the stored reply with `cached: true` and `cost_usd: Some(0.0)`; the wrapped
///   agent is not called.
/// - Only successful replies are stored; errors pass through untouched, so the engine still
///   retries them.
/// - A cache that fails to read or write counts as a miss: the attempt goes on without it.
/// - The key holds the agent's identity: its name by default, or the config given to
///   [`with_identity`](Self::with_identity) (the CLI passes the agent's stored config, so a
///   changed model, base URL or default temperature is a miss).
pub struct Cached<A: ?Sized = dyn Agent> {
    inner: Arc<A>,
    cache: Arc<dyn ResponseCache>,
    identity: serde_json::Value,
}

impl<A: Agent + ?Sized> Cached<A> {
    /// Puts `cache` in front of `inner`, identified by its name.
    pub fn new(inner: Arc<A>, cache: Arc<dyn ResponseCache>) -> Self {
        let identity = serde_json::json!({ "name": inner.name() });
        Self {
            inner,
            cache,
            identity,
        }
    }

    /// Identifies the agent in cache keys by `identity` (its config, without secrets)
    /// instead of its name alone.
    pub fn with_identity(mut self, identity: serde_json::Value) -> Self {
        self.identity = identity;
        self
    }

    /// The key a request has for this agent.
    pub fn key(&self, request: &AgentRequest) -> CacheKey {
        CacheKey::new(&self.identity, request)
    }

    /// The wrapped agent.
    pub fn inner(&self) -> &Arc<A> {
        &self.inner
    }
}

impl<A: ?Sized> fmt::Debug for Cached<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<A: Agent + ?Sized> Agent for Cached<A> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> AgentCapabilities {
        self.inner.capabilities()
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let key = self.key(request);
        if let Ok(Some(hit)) = self.cache.get(&key).await {
            return Ok(hit.to_reply());
        }
        let reply = self.inner.respond(request).await?;
        // A failed write only means the next run asks again.
        let _ = self.cache.put(&key, &CachedReply::from_reply(&reply)).await;
        Ok(reply)
    }

    /// The inner agent's: a batch is priced and answered by the provider, never the cache.
    fn batch(&self) -> Option<&dyn crate::agent::BatchApi> {
        self.inner.batch()
    }

    async fn conversation_ended(&self, case: &crate::Case, sample: u32) {
        self.inner.conversation_ended(case, sample).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, Sampling, StoreErrorKind};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Answers `reply N` (N counting calls), or fails when told to.
    #[derive(Default)]
    struct Counting {
        calls: AtomicU32,
        fail: bool,
    }

    #[async_trait]
    impl Agent for Counting {
        fn name(&self) -> &str {
            "counting"
        }

        async fn respond(&self, _request: &AgentRequest) -> Result<AgentReply, AgentError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if self.fail {
                return Err(AgentError::transient("down"));
            }
            Ok(AgentReply::text(format!("reply {n}"))
                .with_usage(Usage::new(10, 2))
                .with_cost(0.5)
                .with_model("m-1"))
        }
    }

    /// Fails every call.
    struct Broken;

    #[async_trait]
    impl ResponseCache for Broken {
        async fn get(&self, _key: &CacheKey) -> Result<Option<CachedReply>, StoreError> {
            Err(StoreError::new(StoreErrorKind::Backend, "disk on fire"))
        }

        async fn put(&self, _key: &CacheKey, _reply: &CachedReply) -> Result<(), StoreError> {
            Err(StoreError::new(StoreErrorKind::Backend, "disk on fire"))
        }
    }

    fn ask(text: &str) -> AgentRequest {
        AgentRequest::new(vec![Message::user(text)])
    }

    #[test]
    fn tools_join_the_key_and_calls_survive_the_cache() {
        let id = serde_json::json!({"model": "m"});
        let tool = crate::agent::ToolSpec::new("add", "", serde_json::json!({"type": "object"}));
        let with_tools = ask("hi").with_tools(vec![tool], None);
        assert_ne!(
            CacheKey::new(&id, &ask("hi")),
            CacheKey::new(&id, &with_tools)
        );
        assert!(!CacheKey::new(&id, &ask("hi")).request().contains("tools"));
        let call = ToolCall::new("c1", "add", serde_json::json!({"a": 1}));
        let reply = AgentReply::text("").with_tool_calls(vec![call.clone()]);
        let back = CachedReply::from_reply(&reply).to_reply();
        assert_eq!(back.tool_calls, vec![call]);
        assert_eq!(back.stop_reason, Some(StopReason::ToolUse));
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = serde_json::json!({"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "é\"q"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":"é\"q","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }

    #[test]
    fn keys_change_with_everything_that_changes_the_reply() {
        let id = serde_json::json!({"model": "m"});
        let base = CacheKey::new(&id, &ask("hi"));
        assert_eq!(base, CacheKey::new(&id, &ask("hi")));
        assert!(
            base.request().contains("\"sample\":0"),
            "{}",
            base.request()
        );
        let others = [
            CacheKey::new(&serde_json::json!({"model": "n"}), &ask("hi")),
            CacheKey::new(&id, &ask("hi!")),
            CacheKey::new(
                &id,
                &ask("hi").with_sampling(Sampling::default().with_temperature(0.5)),
            ),
            CacheKey::new(&id, &{
                let mut r = ask("hi");
                r.sample = 1;
                r
            }),
            CacheKey::new(
                &id,
                &AgentRequest::new(vec![Message::system("hi"), Message::user("hi")]),
            ),
        ];
        for other in others {
            assert_ne!(base.hash(), other.hash(), "{}", other.request());
        }
        // The deadline is not part of the request's meaning.
        let with_deadline = ask("hi").with_deadline(std::time::Instant::now());
        assert_eq!(base, CacheKey::new(&id, &with_deadline));
    }

    #[tokio::test]
    async fn a_memory_cache_never_serves_a_colliding_request() {
        let cache = MemoryCache::new();
        let key = CacheKey::from_canonical("one");
        assert_eq!(cache.get(&key).await.unwrap(), None);
        let reply = CachedReply::from_reply(&AgentReply::text("a"));
        cache.put(&key, &reply).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap(), Some(reply.clone()));
        let forged = CacheKey {
            hash: key.hash(),
            request: "two".into(),
        };
        assert_eq!(cache.get(&forged).await.unwrap(), None);
        let newer = CachedReply::from_reply(&AgentReply::text("b"));
        cache.put(&key, &newer).await.unwrap();
        assert_eq!(cache.get(&key).await.unwrap(), Some(newer));
        assert_eq!(cache.len(), 1);
    }

    #[tokio::test]
    async fn a_hit_is_free_and_marked_cached() {
        let inner = Arc::new(Counting::default());
        let agent = Cached::new(Arc::clone(&inner), Arc::new(MemoryCache::new()));
        let first = agent.respond(&ask("q")).await.unwrap();
        assert_eq!((first.cached, first.cost_usd), (false, Some(0.5)));
        let second = agent.respond(&ask("q")).await.unwrap();
        assert!(second.cached);
        assert_eq!(second.text, "reply 1");
        assert_eq!(second.cost_usd, Some(0.0));
        assert_eq!(second.usage, Some(Usage::new(10, 2)));
        assert_eq!(second.model.as_deref(), Some("m-1"));
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        let other = agent.respond(&ask("other")).await.unwrap();
        assert_eq!((other.text.as_str(), other.cached), ("reply 2", false));
        assert_eq!(agent.name(), "counting");
    }

    #[tokio::test]
    async fn errors_are_never_cached() {
        let inner = Arc::new(Counting {
            fail: true,
            ..Counting::default()
        });
        let cache = Arc::new(MemoryCache::new());
        let agent: Arc<dyn Agent> = Arc::new(Cached::new(Arc::clone(&inner), cache.clone()));
        for _ in 0..2 {
            assert!(agent.respond(&ask("q")).await.unwrap_err().is_retryable());
        }
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn a_failing_cache_is_a_miss() {
        let inner = Arc::new(Counting::default());
        let agent = Cached::new(Arc::clone(&inner), Arc::new(Broken));
        for n in 1..=2 {
            let reply = agent.respond(&ask("q")).await.unwrap();
            assert_eq!(reply.text, format!("reply {n}"));
            assert!(!reply.cached);
        }
    }

    #[tokio::test]
    async fn identity_separates_agents_of_one_name() {
        let cache: Arc<dyn ResponseCache> = Arc::new(MemoryCache::new());
        let dyn_inner: Arc<dyn Agent> = Arc::new(Counting::default());
        let a = Cached::new(Arc::clone(&dyn_inner), Arc::clone(&cache))
            .with_identity(serde_json::json!({"model": "a"}));
        let b = Cached::new(dyn_inner, cache).with_identity(serde_json::json!({"model": "b"}));
        assert!(!a.respond(&ask("q")).await.unwrap().cached);
        assert!(!b.respond(&ask("q")).await.unwrap().cached);
        assert!(a.respond(&ask("q")).await.unwrap().cached);
    }
}
