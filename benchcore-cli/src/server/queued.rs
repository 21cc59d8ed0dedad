//! Runs on the work queue, when the store keeps one (PostgreSQL). A launch stores the run
//! and queues every attempt; whoever claims them runs them: this server's own worker loop
//! for the workspace (`--local-worker`, on by default), other `benchcore serve` processes on
//! the same store, and any number of `benchcore worker --all-workspaces` processes. Claims are
//! exclusive and leased, so no attempt runs twice at once, a process that dies gives its
//! attempts back when its leases run out, and a server restart loses nothing.
//!
//! - Cancel sets the run `cancelled`: its queued attempts are no longer claimed (those in
//!   flight finish and are recorded). Resume sets it `running` again.
//! - Rerunning failed attempts runs them in-process once the run's queue is empty (recorded
//!   attempts are not queued again).
//! - The live channel's `attempt` messages come from the attempts this server's own loops
//!   run; `progress` (from the store) counts everyone's.

use super::error::ApiError;
use super::run_models::RunModels;
use crate::args::{AgentOptions, WorkerArgs};
use crate::commands::worker_pool::{WorkspaceSink, WorkspaceWorkers};
use benchcore::{Engine, Run, RunStatus, WorkQueue, Workspace};
use benchcore_store::StoreHandle;
use std::sync::Arc;
use std::time::Duration;

/// How often a queued run is looked at to release its local models once it stops.
const WATCH: Duration = Duration::from_secs(1);

/// The queue and this server's worker loops.
pub(crate) struct Queued {
    handle: StoreHandle,
    queue: Arc<dyn WorkQueue>,
    /// This server's own loops; `None` when the work is left to other processes.
    workers: Option<Arc<WorkspaceWorkers>>,
}

impl Queued {
    /// Queue mode over `handle`, if its store keeps a work queue; `local` runs a worker loop
    /// per workspace with work in this process, leasing attempts for `lease` seconds.
    ///
    /// # Errors
    /// A bad lease.
    pub(crate) fn new(
        handle: &StoreHandle,
        local: bool,
        lease: f64,
        sink: WorkspaceSink,
    ) -> anyhow::Result<Option<Self>> {
        let Some(queue) = handle.work_queue() else {
            return Ok(None);
        };
        if !(lease.is_finite() && lease >= 1.0) {
            anyhow::bail!("--lease: must be at least 1 second");
        }
        let workers = local
            .then(|| {
                let args = WorkerArgs {
                    id: Some(format!("serve-{}", super::ids::secret(6))),
                    lease,
                    prefetch: None,
                    poll: 0.5,
                    until_idle: true,
                    all_workspaces: false,
                    agent_options: AgentOptions::default(),
                    quiet: true,
                };
                WorkspaceWorkers::new(handle.clone(), args, Some(sink))
            })
            .transpose()?;
        Ok(Some(Self {
            handle: handle.clone(),
            queue,
            workers,
        }))
    }

    /// Stores the run, queues its attempts and wakes this server's loop for the workspace;
    /// `models` are released once the run stops.
    pub(crate) async fn launch(
        &self,
        workspace: &Workspace,
        run: Run,
        models: RunModels,
    ) -> Result<String, ApiError> {
        let engine = Engine::new(self.handle.store()).with_workspace(workspace.clone());
        let run_id = engine
            .enqueue(run, &*self.queue)
            .await
            .map_err(|e| ApiError::invalid("", format!("{e:#}")))?;
        self.wake(workspace).await;
        tokio::spawn(release_when_stopped(
            self.handle.store(),
            workspace.clone(),
            run_id.clone(),
            models,
        ));
        Ok(run_id)
    }

    /// Attempts of the run still queued.
    pub(crate) async fn pending(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<u64, ApiError> {
        Ok(self.queue.pending(workspace, Some(run_id)).await?)
    }

    /// Resumes a run whose attempts are still queued: sets it `running` so they are claimed
    /// again. `false` when nothing of it is queued (the caller resumes it in-process).
    pub(crate) async fn resume(
        &self,
        workspace: &Workspace,
        run_id: &str,
    ) -> Result<bool, ApiError> {
        if self.pending(workspace, run_id).await? == 0 {
            return Ok(false);
        }
        self.handle
            .store()
            .set_run_status(workspace, run_id, RunStatus::Running)
            .await?;
        self.wake(workspace).await;
        Ok(true)
    }

    async fn wake(&self, workspace: &Workspace) {
        if let Some(workers) = &self.workers {
            workers.wake(workspace).await;
        }
    }

    /// At start: a loop for every workspace with queued work (left by a server that stopped
    /// or died, or queued by another).
    pub(crate) async fn wake_where_queued(&self, workspaces: &[Workspace]) {
        if let Some(workers) = &self.workers {
            workers.wake_where_queued(workspaces).await;
        }
    }

    /// This server's loops at work.
    pub(crate) async fn working(&self) -> usize {
        match &self.workers {
            Some(workers) => workers.working().await,
            None => 0,
        }
    }

    /// At shutdown (the loops stop on the same signal): waits for them to give their
    /// attempts back.
    pub(crate) async fn wait(&self) {
        if let Some(workers) = &self.workers {
            workers.wait().await;
        }
    }
}

/// Releases a queued run's local models once it is no longer `running` (or is gone).
async fn release_when_stopped(
    store: Arc<dyn benchcore::RunStore>,
    workspace: Workspace,
    run_id: String,
    models: RunModels,
) {
    loop {
        tokio::time::sleep(WATCH).await;
        match store.get_run(&workspace, &run_id).await {
            Ok(Some(run)) if run.status == RunStatus::Running => {}
            Ok(_) => break,
            Err(e) => tracing::warn!(run = %run_id, error = %e, "cannot read the run's status"),
        }
    }
    models.release().await;
}
