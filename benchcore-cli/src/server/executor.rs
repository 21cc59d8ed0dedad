//! [`Executor`]: the runs this server executes in-process, through the library's
//! [`Engine`] (on a store with a work queue, runs go through the queue instead: see
//! [`Queued`]). It builds each run from its spec ([`Run::from_spec_in`]) with the workspace's
//! saved agents, feeds the run's events to the [`LiveHub`], and on shutdown hands runs back:
//! attempts in flight finish, no new one starts, and the run is left `running` so that the
//! next start resumes it without redoing a recorded attempt.

use super::counters::Counters;
use super::error::ApiError;
use super::live::LiveHub;
use super::policy;
use super::queued::Queued;
use benchcore::{
    CancelToken, Engine, ResumeOptions, Run, RunHandle, RunSpec, RunStatus, Workspace,
};
use benchcore_providers::{AgentConfig, Pricing, ProviderFactory};
use benchcore_store::{AccountStore, AgentVault, StoreHandle};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

type RunKey = (Workspace, String);

/// A run this server is executing.
struct Active {
    cancel: CancelToken,
    task: JoinHandle<()>,
}

/// The runs this server executes.
pub(crate) struct Executor {
    handle: StoreHandle,
    active: Mutex<HashMap<RunKey, Active>>,
    /// Set at shutdown: runs stopped now are handed back, not cancelled.
    handing_back: AtomicBool,
    /// Live messages of the runs executed here.
    pub(crate) hub: Arc<LiveHub>,
    counters: Arc<Counters>,
    /// The work queue, on a store that keeps one: runs are launched onto it.
    pub(crate) queued: Option<Queued>,
    /// Saved agents, for building runs.
    vault: Arc<dyn AgentVault>,
    /// The workspaces, for resuming their runs at start.
    accounts: Arc<dyn AccountStore>,
}

impl Executor {
    pub(crate) fn new(
        handle: StoreHandle,
        counters: Arc<Counters>,
        hub: Arc<LiveHub>,
        queued: Option<Queued>,
    ) -> anyhow::Result<Self> {
        let vault = handle.require_vault()?;
        let accounts = handle
            .accounts()
            .ok_or_else(|| anyhow::anyhow!("the store keeps no accounts"))?;
        Ok(Self {
            vault,
            accounts,
            counters,
            queued,
            hub,
            handle,
            active: Mutex::default(),
            handing_back: AtomicBool::new(false),
        })
    }

    fn active(&self) -> std::sync::MutexGuard<'_, HashMap<RunKey, Active>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this server is executing the run.
    pub(crate) fn is_active(&self, workspace: &Workspace, run_id: &str) -> bool {
        self.active()
            .get(&(workspace.clone(), run_id.to_owned()))
            .is_some_and(|a| !a.task.is_finished())
    }

    /// How many runs this server is executing.
    pub(crate) fn running(&self) -> usize {
        self.active()
            .values()
            .filter(|a| !a.task.is_finished())
            .count()
    }

    /// Builds a run from `spec` with the saved agents of `workspace` it names, checking
    /// each against the server's [`policy`].
    pub(crate) async fn build(
        &self,
        workspace: &Workspace,
        spec: RunSpec,
    ) -> Result<Run, ApiError> {
        let mut saved = HashMap::new();
        for (i, agent) in spec.agents.iter().enumerate() {
            let Some(name) = ProviderFactory::saved_name(&agent.config) else {
                continue;
            };
            let field = format!("agents.{i}.config.name");
            let value = self
                .vault
                .load_agent(workspace, name)
                .await?
                .ok_or_else(|| ApiError::invalid(&field, format!("no saved agent {name:?}")))?;
            policy::check_agent(&value, &field, true)?;
            // serde's message could quote a secret: name the agent only.
            let config: AgentConfig = serde_json::from_value(value).map_err(|_| {
                ApiError::invalid(
                    &field,
                    format!("saved agent {name:?} no longer reads; save it again"),
                )
            })?;
            saved.insert(name.to_owned(), config);
        }
        let factory = ProviderFactory::new()
            .with_pricing(Pricing::builtin())
            .with_saved(saved);
        Run::from_spec_in(spec, &factory, &crate::kinds::kinds())
            .map_err(|e| ApiError::invalid("", format!("{e:#}")))
    }

    /// Starts a new run; returns its id.
    pub(crate) async fn start(
        self: &Arc<Self>,
        workspace: &Workspace,
        run: Run,
    ) -> Result<String, ApiError> {
        let models = super::run_models::before_run(&self.handle, workspace, run.spec()).await?;
        if let Some(queued) = &self.queued {
            return queued.launch(workspace, run, models).await;
        }
        let engine = Engine::new(self.handle.store()).with_workspace(workspace.clone());
        let handle = engine
            .start(run)
            .await
            .map_err(|e| ApiError::invalid("", format!("{e:#}")))?;
        let run_id = handle.run_id().to_owned();
        self.track(workspace, handle, models);
        Ok(run_id)
    }

    /// Resumes a stored run in this process (errors retried when `retry_errors`).
    pub(crate) async fn resume(
        self: &Arc<Self>,
        workspace: &Workspace,
        run_id: &str,
        retry_errors: bool,
    ) -> Result<(), ApiError> {
        if self.is_active(workspace, run_id) {
            return Err(ApiError::conflict("the run is running"));
        }
        if let Some(queued) = &self.queued {
            if queued.pending(workspace, run_id).await? > 0 {
                if retry_errors {
                    return Err(ApiError::conflict(
                        "attempts of the run are still queued: rerun its failed attempts once \
                         they have run",
                    ));
                }
                queued.resume(workspace, run_id).await?;
                return Ok(());
            }
        }
        let stored = self
            .handle
            .store()
            .get_run(workspace, run_id)
            .await?
            .ok_or_else(|| ApiError::not_found("no such run"))?;
        let run = self.build(workspace, stored.spec).await?;
        let options = if retry_errors {
            ResumeOptions::retry_errors()
        } else {
            ResumeOptions::default()
        };
        let models = super::run_models::before_run(&self.handle, workspace, run.spec()).await?;
        let engine = Engine::new(self.handle.store()).with_workspace(workspace.clone());
        let handle = engine
            .resume(run_id, run, options)
            .await
            .map_err(|e| ApiError::invalid("", format!("{e:#}")))?;
        self.track(workspace, handle, models);
        Ok(())
    }

    /// Feeds the run's events to its live feed until it ends; hands it back at shutdown.
    /// Local models the run holds are released once it ends.
    fn track(
        self: &Arc<Self>,
        workspace: &Workspace,
        mut handle: RunHandle,
        models: super::run_models::RunModels,
    ) {
        let key = (workspace.clone(), handle.run_id().to_owned());
        let feed = self.hub.feed(workspace, handle.run_id());
        let cancel = handle.cancel_token();
        let mut events = handle.events();
        let this = Arc::clone(self);
        let task_key = key.clone();
        let ended = CancelToken::new();
        tokio::spawn(watch_status(
            self.handle.store(),
            key.clone(),
            cancel.clone(),
            ended.clone(),
        ));
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let benchcore::RunEvent::AttemptFinished {
                    outcome,
                    latency_ms,
                    ..
                } = &event
                {
                    this.counters.attempt(*outcome, *latency_ms);
                }
                feed.push(&event);
            }
            let report = handle.wait().await;
            ended.cancel();
            feed.ended();
            models.release().await;
            let (workspace, run_id) = &task_key;
            match report {
                Ok(report) if report.status == RunStatus::Cancelled => {
                    if this.handing_back.load(Ordering::SeqCst) {
                        // Left running: the next start resumes it.
                        let store = this.handle.store();
                        if let Err(e) = store
                            .set_run_status(workspace, run_id, RunStatus::Running)
                            .await
                        {
                            tracing::error!(run = %run_id, error = %e, "cannot hand the run back");
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(run = %run_id, error = %format!("{e:#}"), "the run failed")
                }
            }
        });
        self.active().insert(key, Active { cancel, task });
    }

    /// Cancels a run this server executes; `false` when it executes no such run.
    pub(crate) fn cancel(&self, workspace: &Workspace, run_id: &str) -> bool {
        match self.active().get(&(workspace.clone(), run_id.to_owned())) {
            Some(active) if !active.task.is_finished() => {
                active.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Waits until the run, if executed here, has stopped.
    pub(crate) async fn stopped(&self, workspace: &Workspace, run_id: &str) {
        let task = self
            .active()
            .remove(&(workspace.clone(), run_id.to_owned()));
        if let Some(active) = task {
            let _ = active.task.await;
        }
    }

    /// At start: resumes the runs of every workspace left `running` by a server that stopped
    /// (or died). Each failure is logged; the others go on.
    pub(crate) async fn resume_interrupted(self: &Arc<Self>) {
        let workspaces = match self.accounts.workspaces().await {
            Ok(all) => Ok(all.into_iter().map(|w| w.id).collect::<Vec<_>>()),
            Err(e) => Err(e),
        };
        let workspaces = match workspaces {
            Ok(workspaces) => workspaces,
            Err(e) => {
                tracing::error!(error = %e, "cannot list workspaces to resume their runs");
                return;
            }
        };
        if let Some(queued) = &self.queued {
            queued.wake_where_queued(&workspaces).await;
        }
        let mut filter = benchcore::RunFilter::default();
        filter.status = Some(RunStatus::Running);
        for workspace in workspaces {
            let runs = match self.handle.store().list_runs(&workspace, &filter).await {
                Ok(runs) => runs,
                Err(e) => {
                    tracing::error!(%workspace, error = %e, "cannot list runs to resume");
                    continue;
                }
            };
            for run in runs {
                if let Some(queued) = &self.queued {
                    // Queued attempts are the loops' (this server's, or another's) to run.
                    if queued.pending(&workspace, &run.id).await.unwrap_or(1) > 0 {
                        continue;
                    }
                }
                match self.resume(&workspace, &run.id, false).await {
                    Ok(()) => eprintln!("resumed run {} of workspace {workspace}", run.id),
                    Err(e) => tracing::error!(run = %run.id, error = %e.message, "cannot resume"),
                }
            }
        }
    }

    /// At shutdown: every run stops starting attempts, those in flight finish and are
    /// recorded, and the runs are left `running` for the next start.
    pub(crate) async fn hand_back(&self) {
        self.handing_back.store(true, Ordering::SeqCst);
        let active: Vec<Active> = self.active().drain().map(|(_, a)| a).collect();
        for run in &active {
            run.cancel.cancel();
        }
        for run in active {
            let _ = run.task.await;
        }
        if let Some(queued) = &self.queued {
            queued.wait().await;
        }
    }
}

/// How often a run executed here is checked for a cancel made through another server.
const STATUS_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Cancels the run when the store says another process cancelled (or deleted) it, until
/// `ended`.
async fn watch_status(
    store: Arc<dyn benchcore::RunStore>,
    (workspace, run_id): RunKey,
    cancel: CancelToken,
    ended: CancelToken,
) {
    loop {
        tokio::select! {
            _ = ended.cancelled() => return,
            _ = tokio::time::sleep(STATUS_POLL) => {}
        }
        match store.get_run(&workspace, &run_id).await {
            Ok(Some(run)) if run.status != RunStatus::Cancelled => {}
            Ok(_) => {
                cancel.cancel();
                return;
            }
            Err(e) => tracing::warn!(run = %run_id, error = %e, "cannot read the run's status"),
        }
    }
}
