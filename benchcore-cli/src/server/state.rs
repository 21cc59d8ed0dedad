//! What every handler reads from, and the first start's administrator.

use super::counters::Counters;
use super::executor::Executor;
use super::live::LiveHub;
use super::login_limit::LoginLimiter;
use super::oidc::OidcVerifier;
use crate::commands::worker_pool::WorkspaceSink;
use anyhow::Context;
use benchcore::CancelToken;
use benchcore::RunEvent;
use benchcore_store::{AccountStore, AgentVault, StoreHandle};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the server serves.
#[derive(Debug, Clone)]
pub(crate) struct ServeOptions {
    /// Where it listens.
    pub(crate) listen: SocketAddr,
    /// The folder whose suites (files or folders) runs may use, by name.
    pub(crate) suites: PathBuf,
    /// Where runs' artifacts go (`<data>/<workspace>/artifacts`).
    pub(crate) data: PathBuf,
    /// The first administrator's email, used when the store has no user yet.
    pub(crate) admin_email: String,
    /// Their password; a random one is made and printed once when absent.
    pub(crate) admin_password: Option<String>,
    /// How long a browser session lasts.
    pub(crate) session_ttl: Duration,
    /// Whether cookies are marked `Secure` (off only for plain-HTTP development hosts other
    /// than localhost, which browsers treat as secure anyway).
    pub(crate) secure_cookies: bool,
    /// How often live streams look at the store.
    pub(crate) poll: Duration,
    /// Whether to resume, at start, the runs a stopped server left running.
    pub(crate) resume_interrupted: bool,
    /// On a store with a work queue: whether this server works on queued runs itself.
    pub(crate) local_worker: bool,
    /// How long this server's worker loops lease an attempt, in seconds.
    pub(crate) lease_secs: f64,
    /// Verifies bearer tokens from an external identity provider (`--oidc-issuer`); `None`
    /// accepts only API tokens and sessions.
    pub(crate) oidc: Option<Arc<OidcVerifier>>,
}

/// What every handler reads from.
#[derive(Clone)]
pub(crate) struct ServerState {
    pub(crate) options: Arc<ServeOptions>,
    pub(crate) handle: StoreHandle,
    pub(crate) accounts: Arc<dyn AccountStore>,
    pub(crate) vault: Arc<dyn AgentVault>,
    pub(crate) executor: Arc<Executor>,
    pub(crate) logins: Arc<LoginLimiter>,
    pub(crate) counters: Arc<Counters>,
    /// Summaries of stopped runs, kept between requests (the viewer's cache).
    pub(crate) summaries: Arc<crate::viewer::summaries::SummaryCache>,
    /// Cancelled when the server begins to shut down: live streams end.
    pub(crate) stopping: CancelToken,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("options", &self.options)
            .field("store", &self.handle)
            .finish_non_exhaustive()
    }
}

/// What the worker loops of queued runs tell: their attempts, to the live channel and the
/// metrics.
fn live_sink(hub: &Arc<LiveHub>, counters: &Arc<Counters>) -> WorkspaceSink {
    let (hub, counters) = (Arc::clone(hub), Arc::clone(counters));
    Arc::new(move |workspace, run_id, event| {
        if let RunEvent::AttemptFinished {
            outcome,
            latency_ms,
            ..
        } = event
        {
            counters.attempt(*outcome, *latency_ms);
        }
        hub.feed(workspace, run_id).push(event);
    })
}

impl ServerState {
    /// The state over an opened store.
    ///
    /// # Errors
    /// The store keeps no accounts or no vault (a store that is not SQL).
    pub(crate) fn new(handle: StoreHandle, options: ServeOptions) -> anyhow::Result<Self> {
        let accounts = handle
            .accounts()
            .context("the store keeps no accounts: serve needs a SQLite or PostgreSQL store")?;
        let vault = handle.require_vault()?;
        std::fs::create_dir_all(&options.data)
            .with_context(|| format!("cannot create the data folder {}", options.data.display()))?;
        let counters = Arc::<Counters>::default();
        let hub = Arc::<LiveHub>::default();
        let queued = super::queued::Queued::new(
            &handle,
            options.local_worker,
            options.lease_secs,
            live_sink(&hub, &counters),
        )?;
        Ok(Self {
            executor: Arc::new(Executor::new(
                handle.clone(),
                Arc::clone(&counters),
                hub,
                queued,
            )?),
            options: Arc::new(options),
            handle,
            accounts,
            vault,
            logins: Arc::default(),
            counters,
            summaries: Arc::default(),
            stopping: CancelToken::new(),
        })
    }
}
