//! [`WorkspaceWorkers`]: one worker loop (`benchcore worker --until-idle`'s) per workspace
//! that has queued work, started when work appears and ended when its workspace's queue is
//! empty. `benchcore worker --all-workspaces` runs one over every workspace of a team
//! server's store; `benchcore serve` on PostgreSQL runs one in-process, so that its runs
//! are worked on whether or not other workers are started.

use crate::args::WorkerArgs;
use crate::EXIT_CANCELLED;
use benchcore::{WorkQueue, Workspace};
use benchcore_store::StoreHandle;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// Worker loops per workspace, on one store.
pub(crate) struct WorkspaceWorkers {
    handle: StoreHandle,
    queue: Arc<dyn WorkQueue>,
    args: WorkerArgs,
    loops: Mutex<HashMap<Workspace, JoinHandle<()>>>,
    /// Told every event of every run the loops work on, with its workspace.
    sink: Option<WorkspaceSink>,
}

/// Hears the events of the runs a pool's loops work on: workspace, run id, event.
pub(crate) type WorkspaceSink = Arc<dyn Fn(&Workspace, &str, &benchcore::RunEvent) + Send + Sync>;

impl WorkspaceWorkers {
    /// Loops that work as `args` say (each until its workspace's queue is empty).
    ///
    /// # Errors
    /// The store keeps no work queue.
    pub(crate) fn new(
        handle: StoreHandle,
        mut args: WorkerArgs,
        sink: Option<WorkspaceSink>,
    ) -> anyhow::Result<Arc<Self>> {
        let queue = handle.require_work_queue()?;
        args.until_idle = true;
        args.all_workspaces = false;
        Ok(Arc::new(Self {
            handle,
            queue,
            args,
            loops: Mutex::default(),
            sink,
        }))
    }

    /// Makes sure a loop works on `workspace` (a run was just queued there).
    pub(crate) async fn wake(self: &Arc<Self>, workspace: &Workspace) {
        let mut loops = self.loops.lock().await;
        if loops.get(workspace).is_some_and(|task| !task.is_finished()) {
            return;
        }
        let this = Arc::clone(self);
        let key = workspace.clone();
        loops.insert(
            workspace.clone(),
            tokio::spawn(async move { this.work(key).await }),
        );
    }

    /// Wakes a loop for every workspace of `workspaces` with queued work.
    pub(crate) async fn wake_where_queued(self: &Arc<Self>, workspaces: &[Workspace]) {
        for workspace in workspaces {
            match self.queue.pending(workspace, None).await {
                Ok(0) => {}
                Ok(_) => self.wake(workspace).await,
                Err(e) => tracing::warn!(%workspace, error = %e, "cannot read the queue"),
            }
        }
    }

    async fn work(self: Arc<Self>, workspace: Workspace) {
        loop {
            let mut args = self.args.clone();
            // A worker's name in leases: unique per process and workspace.
            args.id = Some(format!(
                "{}-{}",
                args.id.clone().unwrap_or_else(default_id),
                &workspace.as_str()[..workspace.as_str().len().min(24)]
            ));
            let sink = self.sink.clone().map(|sink| {
                let workspace = workspace.clone();
                Arc::new(move |run: &str, event: &benchcore::RunEvent| sink(&workspace, run, event))
                    as super::worker::EventSink
            });
            let worked =
                super::worker::worker_with(self.handle.clone(), workspace.clone(), args, sink);
            match worked.await {
                // Stopped by a signal: the whole process is stopping.
                Ok(code) if code == ExitCode::from(EXIT_CANCELLED) => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%workspace, error = %format!("{e:#}"), "worker loop failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            // Ends only when nothing is queued, checked under the lock `wake` takes, so a run
            // queued meanwhile either is seen here or starts a new loop.
            let mut loops = self.loops.lock().await;
            if let Ok(0) = self.queue.pending(&workspace, None).await {
                loops.remove(&workspace);
                return;
            }
        }
    }

    /// Waits for every loop to end (after a signal, they do).
    pub(crate) async fn wait(&self) {
        let loops: Vec<JoinHandle<()>> = self.loops.lock().await.drain().map(|(_, t)| t).collect();
        for task in loops {
            let _ = task.await;
        }
    }

    /// How many loops are working.
    pub(crate) async fn working(&self) -> usize {
        self.loops
            .lock()
            .await
            .values()
            .filter(|t| !t.is_finished())
            .count()
    }
}

fn default_id() -> String {
    format!("{}-{}", super::worker::host_name(), std::process::id())
}

/// `benchcore worker --all-workspaces`: a loop per workspace with queued work, looked for
/// every `--poll`, until Ctrl-C or SIGTERM.
pub(crate) async fn all_workspaces(
    handle: StoreHandle,
    args: WorkerArgs,
) -> anyhow::Result<ExitCode> {
    let accounts = handle.accounts().ok_or_else(|| {
        anyhow::anyhow!("--all-workspaces: the store keeps no workspaces (a team server's does)")
    })?;
    if !(args.poll.is_finite() && args.poll > 0.0) {
        anyhow::bail!("--poll: must be a positive number of seconds");
    }
    let poll = Duration::from_secs_f64(args.poll);
    let until_idle = args.until_idle;
    let quiet = args.quiet;
    let workers = WorkspaceWorkers::new(handle, args, None)?;
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    let terminated = terminated();
    tokio::pin!(terminated);
    if !quiet {
        eprintln!("worker: serving every workspace");
    }
    loop {
        let workspaces: Vec<Workspace> = accounts
            .workspaces()
            .await?
            .into_iter()
            .map(|w| w.id)
            .collect();
        workers.wake_where_queued(&workspaces).await;
        if until_idle && workers.working().await == 0 {
            break;
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = &mut terminated => break,
            _ = tokio::time::sleep(poll) => {}
        }
    }
    workers.wait().await;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (never, off Unix).
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        term.recv().await;
        return;
    }
    std::future::pending::<()>().await;
}
