//! [`StoreHandle`]: one opened store and everything it offers, on one connection pool.

use crate::accounts::AccountStore;
use crate::sql::{Backend, SqlStore};
use crate::url::redact_url;
use crate::vault::{AgentVault, Rotation};
use benchcore::{
    LimitBoard, ResponseCache, RunStore, StoreCapabilities, StoreError, StoreErrorKind, WorkQueue,
    Workspace,
};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a handle keeps of a SQL store beside its trait objects.
trait Parts: Send + Sync {
    /// The response cache of one workspace.
    fn cache(&self, workspace: &Workspace) -> Arc<dyn ResponseCache>;
    /// Closes every connection.
    fn close(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

impl<B: Backend> Parts for SqlStore<B> {
    fn cache(&self, workspace: &Workspace) -> Arc<dyn ResponseCache> {
        self.response_cache(workspace)
    }

    fn close(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(SqlStore::close(self))
    }
}

/// One opened store, as [`connect`](crate::connect) returns it: the [`RunStore`], and what
/// else the store offers, all sharing its one connection pool. [`capabilities`](Self::capabilities)
/// says what it offers; each accessor returns `None` for what it does not (the
/// [`accounts`](Self::accounts) come with every SQL store).
///
/// ```no_run
/// # async fn example() -> Result<(), benchcore::StoreError> {
/// use benchcore::{Engine, Workspace};
///
/// let handle = benchcore_store::connect("sqlite://runs/bench.db").await?;
/// if handle.created() {
///     eprintln!("created a new store at {}", handle.url());
/// }
/// let cache = handle.response_cache(&Workspace::default()); // Some: SQLite keeps one
/// assert!(handle.work_queue().is_none()); // only PostgreSQL keeps a work queue
/// let engine = Engine::new(handle.store());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct StoreHandle {
    store: Arc<dyn RunStore>,
    vault: Option<Arc<dyn AgentVault>>,
    /// The team server's users, workspaces, tokens and sessions.
    accounts: Option<Arc<dyn AccountStore>>,
    queue: Option<Arc<dyn WorkQueue>>,
    /// Where the workers sharing a run hold its limits; comes with the queue.
    board: Option<Arc<dyn LimitBoard>>,
    parts: Option<Arc<dyn Parts>>,
    /// The URL it was opened with, password hidden.
    url: String,
    created: bool,
    rotation: Rotation,
}

impl fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreHandle")
            .field("url", &self.url)
            .field("created", &self.created)
            .field("capabilities", &self.capabilities())
            .finish_non_exhaustive()
    }
}

impl StoreHandle {
    /// A handle on any [`RunStore`] (such as `benchcore::MemoryStore`), offering that store
    /// alone: no work queue, vault or response cache.
    pub fn new(store: Arc<dyn RunStore>) -> Self {
        Self {
            store,
            vault: None,
            accounts: None,
            queue: None,
            board: None,
            parts: None,
            url: String::new(),
            created: false,
            rotation: Rotation::default(),
        }
    }

    /// A handle on a SQL store opened from `url`.
    pub(crate) fn sql<B: Backend>(store: Arc<SqlStore<B>>, url: &str) -> Self {
        Self {
            url: redact_url(url),
            created: store.created(),
            rotation: store.rotation(),
            vault: Some(Arc::clone(&store) as Arc<dyn AgentVault>),
            accounts: Some(Arc::clone(&store) as Arc<dyn AccountStore>),
            parts: Some(Arc::clone(&store) as Arc<dyn Parts>),
            queue: None,
            board: None,
            store,
        }
    }

    /// The same handle, offering `queue` and the `board` its workers share limits on too.
    #[cfg(feature = "postgres")]
    pub(crate) fn with_queue(
        mut self,
        queue: Arc<dyn WorkQueue>,
        board: Arc<dyn LimitBoard>,
    ) -> Self {
        self.queue = Some(queue);
        self.board = Some(board);
        self
    }

    /// The runs and attempts.
    pub fn store(&self) -> Arc<dyn RunStore> {
        Arc::clone(&self.store)
    }

    /// What the store offers: the store's own capabilities, less what this handle cannot
    /// hand out.
    pub fn capabilities(&self) -> StoreCapabilities {
        let mut capabilities = self.store.capabilities();
        capabilities.work_queue &= self.queue.is_some();
        capabilities.encryption &= self.vault.is_some();
        capabilities.response_cache &= self.parts.is_some();
        capabilities
    }

    /// The queue workers claim pending attempts from (capability `work_queue`: PostgreSQL).
    pub fn work_queue(&self) -> Option<Arc<dyn WorkQueue>> {
        self.queue.clone()
    }

    /// Where the workers of a queued run hold its limits for the run as a whole (with the
    /// work queue: PostgreSQL).
    pub fn limit_board(&self) -> Option<Arc<dyn LimitBoard>> {
        self.board.clone()
    }

    /// The saved agents, their secrets encrypted (capability `encryption`).
    pub fn vault(&self) -> Option<Arc<dyn AgentVault>> {
        self.vault.clone()
    }

    /// The users, workspaces, memberships, API tokens and browser sessions of a team server
    /// (every SQL store keeps them; a handle made with [`new`](Self::new) does not).
    pub fn accounts(&self) -> Option<Arc<dyn AccountStore>> {
        self.accounts.clone()
    }

    /// The response cache of `workspace` (capability `response_cache`).
    pub fn response_cache(&self, workspace: &Workspace) -> Option<Arc<dyn ResponseCache>> {
        self.parts.as_ref().map(|parts| parts.cache(workspace))
    }

    /// The work queue, or a `Config` error saying the store has none.
    ///
    /// # Errors
    /// The store keeps no work queue.
    pub fn require_work_queue(&self) -> Result<Arc<dyn WorkQueue>, StoreError> {
        self.work_queue().ok_or_else(|| {
            self.lacks(
                "has no work queue (capability `work_queue`): workers share runs through \
                 PostgreSQL (postgres://…)",
            )
        })
    }

    /// The vault, or a `Config` error saying the store has none.
    ///
    /// # Errors
    /// The store cannot keep saved agents.
    pub fn require_vault(&self) -> Result<Arc<dyn AgentVault>, StoreError> {
        self.vault()
            .ok_or_else(|| self.lacks("cannot keep saved agents (capability `encryption`)"))
    }

    /// The response cache of `workspace`, or a `Config` error saying the store has none.
    ///
    /// # Errors
    /// The store keeps no response cache.
    pub fn require_response_cache(
        &self,
        workspace: &Workspace,
    ) -> Result<Arc<dyn ResponseCache>, StoreError> {
        self.response_cache(workspace)
            .ok_or_else(|| self.lacks("has no response cache (capability `response_cache`)"))
    }

    fn lacks(&self, what: &str) -> StoreError {
        let at = match self.url.as_str() {
            "" => String::new(),
            url => format!(" at {url}"),
        };
        StoreError::new(StoreErrorKind::Config, format!("the store{at} {what}"))
    }

    /// Whether the store did not exist before it was opened (a new file, schema or
    /// database): opening created it. Front ends announce it once, so that a mistyped
    /// location is noticed.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The URL the store was opened with, its password hidden ([`redact_url`]); empty for
    /// a handle made with [`new`](Self::new).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What opening the store rotated (nothing unless rotation was asked for).
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    /// Closes every connection, waiting for calls in flight. Later calls on anything this
    /// handle gave out fail.
    pub async fn close(&self) {
        if let Some(parts) = &self.parts {
            parts.close().await;
        }
    }
}
