//! What the loopback batch servers share: how they are told to behave, what they count, and
//! how they run.

use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::task::JoinHandle;

/// How a batch server treats the batches it is sent. By default every batch moves one state
/// per status check and every item is answered with the last user message, echoed.
#[derive(Debug, Clone)]
pub struct BatchBehaviour {
    /// Status checks a batch spends in each state before it moves on (at least 1).
    pub polls_per_state: u32,
    /// Items whose last user message contains this text expire unanswered.
    pub expire_marker: String,
    /// Items whose last user message contains this text fail (an invalid-request error).
    pub fail_marker: String,
    /// The whole batch expires: its 24 hours run out before any item is processed.
    pub expire_batch: bool,
    /// The whole batch fails validation (OpenAI: status `failed` with `errors`).
    pub fail_batch: bool,
    /// The results also hold a line for an id no request had, a second line for the first
    /// request, and a line that is not JSON.
    pub hostile_results: bool,
}

impl Default for BatchBehaviour {
    fn default() -> Self {
        Self {
            polls_per_state: 1,
            expire_marker: "EXPIRE".into(),
            fail_marker: "FAIL".into(),
            expire_batch: false,
            fail_batch: false,
            hostile_results: false,
        }
    }
}

/// What a batch server has seen, counted as requests arrive.
#[derive(Debug, Default)]
pub(crate) struct BatchCounters {
    /// Input files uploaded (OpenAI).
    pub uploads: AtomicU64,
    /// Batches created.
    pub creates: AtomicU64,
    /// Requests held by the batches created, in all.
    pub items: AtomicU64,
    /// Status checks.
    pub polls: AtomicU64,
    /// Results or output files read.
    pub downloads: AtomicU64,
    /// Ordinary (non-batch) requests answered.
    pub single: AtomicU64,
}

/// What a batch server has counted so far: uploads, creates, polls and single requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Input files uploaded (OpenAI).
    pub uploads: u64,
    /// Batches created.
    pub creates: u64,
    /// Requests held by the batches created, in all.
    pub items: u64,
    /// Status checks.
    pub polls: u64,
    /// Results or output files read.
    pub downloads: u64,
    /// Ordinary (non-batch) requests answered.
    pub single: u64,
}

impl BatchCounters {
    pub(crate) fn snapshot(&self) -> BatchStats {
        let get = |c: &AtomicU64| c.load(Ordering::SeqCst);
        BatchStats {
            uploads: get(&self.uploads),
            creates: get(&self.creates),
            items: get(&self.items),
            polls: get(&self.polls),
            downloads: get(&self.downloads),
            single: get(&self.single),
        }
    }
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::SeqCst);
}

/// How an item's request is treated, from its last user message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemFate {
    Answer,
    Expire,
    Fail,
}

impl BatchBehaviour {
    pub(crate) fn fate(&self, last_user: &str) -> ItemFate {
        if last_user.contains(&self.expire_marker) {
            ItemFate::Expire
        } else if last_user.contains(&self.fail_marker) {
            ItemFate::Fail
        } else {
            ItemFate::Answer
        }
    }
}

/// The last `user` message's text of a list of chat messages (string content or text parts).
pub(crate) fn last_user_text(messages: &serde_json::Value) -> String {
    let Some(list) = messages.as_array() else {
        return String::new();
    };
    list.iter()
        .rev()
        .find(|m| m["role"] == "user")
        .map(|m| match &m["content"] {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
            _ => String::new(),
        })
        .unwrap_or_default()
}

/// Words in `text`, as the servers count tokens.
pub(crate) fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// A server task on 127.0.0.1, aborted when dropped.
pub(crate) struct Serving {
    pub(crate) addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Serving {
    pub(crate) async fn start(routes: Router) -> anyhow::Result<Serving> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = routes.layer(axum::extract::DefaultBodyLimit::max(256 * 1024 * 1024));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Serving { addr, task })
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.task.abort();
    }
}
