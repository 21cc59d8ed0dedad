//! `benchcore worker`: claims queued attempts under renewed leases and runs them.
//!
//! One worker serves every queued run of its workspace: each run it meets gets a session (the
//! engine working on that run's items, with the run's stored agents, limits and retries);
//! claimed items are handed to their run's session. A session closes when it has nothing in
//! flight and nothing more was claimed; the run is marked finished once its queue is empty.
//! The worker that finishes a run says how many of its attempts have no verdict, and then
//! exits 3 instead of 0 (as `run` does), so that a script sees the run is incomplete.

use crate::args::WorkerArgs;
use crate::{plan, EXIT_CANCELLED, EXIT_INCOMPLETE, EXIT_OK};
use anyhow::Context;
use benchcore::{
    Engine, QueuedAttempt, Run, RunEvent, RunHandle, RunReport, RunStatus, RunStore, WorkQueue,
    Workspace,
};
use benchcore_store::StoreHandle;
use futures::StreamExt;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

/// One run this worker is working on.
struct Session {
    items: mpsc::UnboundedSender<QueuedAttempt>,
    cancel: benchcore::CancelToken,
    watcher: JoinHandle<anyhow::Result<RunReport>>,
    /// Handed to the session and not finished yet.
    in_flight: Arc<AtomicUsize>,
    /// The run's concurrency (held for the run as a whole; sizes this worker's claims).
    concurrency: usize,
}

/// Hears every event of every run a worker works on (`run id`, event): how a team server
/// shows the attempts its own worker loops run.
pub(crate) type EventSink = Arc<dyn Fn(&str, &RunEvent) + Send + Sync>;

/// What every session of this worker shares.
struct Worker {
    sink: Option<EventSink>,
    store: Arc<dyn RunStore>,
    queue: Arc<dyn WorkQueue>,
    workspace: Workspace,
    factory: benchcore_providers::ProviderFactory,
    /// The store opened once: the run store, the queue, the cache and saved agents come
    /// from it, on one connection pool.
    handle: StoreHandle,
    /// Where the run's limits are held for every worker at once.
    board: Arc<dyn benchcore::LimitBoard>,
    /// How long this worker's leases (of attempts and of shares of the limits) run.
    lease: Duration,
    id: String,
    quiet: bool,
    /// Woken whenever an attempt finishes, so the claim loop refills at once.
    finished: Arc<Notify>,
    /// A run this worker finished has attempts without a verdict.
    incomplete: AtomicBool,
}

pub(crate) async fn worker(
    handle: StoreHandle,
    workspace: Workspace,
    args: WorkerArgs,
) -> anyhow::Result<ExitCode> {
    worker_with(handle, workspace, args, None).await
}

/// [`worker`], telling `sink` every event of the runs it works on.
pub(crate) async fn worker_with(
    handle: StoreHandle,
    workspace: Workspace,
    args: WorkerArgs,
    sink: Option<EventSink>,
) -> anyhow::Result<ExitCode> {
    let lease = seconds("--lease", args.lease)?;
    let poll = seconds("--poll", args.poll)?;
    if args.prefetch == Some(0) {
        anyhow::bail!("--prefetch: must be at least 1");
    }
    let queue = handle.require_work_queue()?;
    let board = handle
        .limit_board()
        .context("the store keeps a work queue but no limit board")?;
    let cache = match args.agent_options.cache {
        true => Some(handle.require_response_cache(&workspace)?),
        false => None,
    };
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("{}-{}", host_name(), std::process::id()));
    benchcore::store::check_holder(&id).context("--id")?;
    let worker = Arc::new(Worker {
        sink,
        store: handle.store(),
        queue,
        workspace,
        factory: plan::factory(&args.agent_options, cache, Default::default())?,
        handle,
        board,
        lease,
        id,
        quiet: args.quiet,
        finished: Arc::new(Notify::new()),
        incomplete: AtomicBool::new(false),
    });

    let renewer = tokio::spawn(renew_leases(Arc::clone(&worker), lease));
    let interrupted = Arc::new(Notify::new());
    let signals = tokio::spawn(watch_signals(Arc::clone(&interrupted)));
    let served = serve(&worker, &args, lease, poll, &interrupted).await;
    renewer.abort();
    signals.abort();
    // Whatever was claimed and not recorded goes back to the queue at once.
    let released = worker.queue.release(&worker.workspace, &worker.id).await;
    let cancelled = served?;
    released.with_context(|| format!("worker {} releasing its leases", worker.id))?;
    Ok(ExitCode::from(if cancelled {
        EXIT_CANCELLED
    } else if worker.incomplete.load(Ordering::Relaxed) {
        EXIT_INCOMPLETE
    } else {
        EXIT_OK
    }))
}

/// The claim loop. Returns whether it stopped on a signal.
async fn serve(
    worker: &Arc<Worker>,
    args: &WorkerArgs,
    lease: Duration,
    poll: Duration,
    interrupted: &Notify,
) -> anyhow::Result<bool> {
    let mut sessions: HashMap<String, Session> = HashMap::new();
    worker.say(format_args!("worker {} started", worker.id));
    let cancelled = loop {
        let in_flight: usize = sessions
            .values()
            .map(|s| s.in_flight.load(Ordering::Relaxed))
            .sum();
        let prefetch = args.prefetch.unwrap_or_else(|| default_prefetch(&sessions));
        let room = prefetch.saturating_sub(in_flight);
        // Claim in batches of at least a fifth of the room, so claims stay few under load.
        let claimed = if room > 0 && (in_flight == 0 || room >= prefetch / 5) {
            worker
                .queue
                .claim(&worker.workspace, &worker.id, room, lease)
                .await
                .with_context(|| format!("worker {} claiming attempts", worker.id))?
        } else {
            Vec::new()
        };
        let got_work = !claimed.is_empty();
        let mut fed = std::collections::HashSet::new();
        for item in claimed {
            fed.insert(item.run_id.clone());
            if !sessions.contains_key(&item.run_id) {
                let session = worker.open_session(&item.run_id).await?;
                sessions.insert(item.run_id.clone(), session);
            }
            let session = &sessions[&item.run_id];
            session.in_flight.fetch_add(1, Ordering::Relaxed);
            // The session ended early (its run failed): the lease runs out and another
            // worker, or a later session, takes the item.
            let _ = session.items.send(item);
        }
        // A run that got nothing this time and has nothing in flight is done here for now
        // (another worker may hold its last attempts); a later claim reopens it.
        close_idle_sessions(worker, &mut sessions, &fed).await?;
        if !got_work
            && args.until_idle
            && sessions.is_empty()
            && worker.queue.pending(&worker.workspace, None).await? == 0
        {
            break false;
        }
        let wait = if got_work { Duration::ZERO } else { poll };
        tokio::select! {
            biased;
            () = interrupted.notified() => break true,
            () = worker.finished.notified(), if got_work || in_flight > 0 => {}
            () = tokio::time::sleep(wait) => {}
        }
    };
    if cancelled {
        eprintln!(
            "worker {}: stopping; unfinished attempts go back to the queue",
            worker.id
        );
    }
    for (_, session) in sessions {
        if cancelled {
            session.cancel.cancel();
        }
        drop(session.items);
        let _ = session.watcher.await;
    }
    Ok(cancelled)
}

/// A quarter more than the largest concurrency among the open sessions' runs (64 before
/// any): the slots never wait for a claim, and a run's last attempts are not hoarded by one
/// worker while others idle.
fn default_prefetch(sessions: &HashMap<String, Session>) -> usize {
    sessions
        .values()
        .map(|s| s.concurrency)
        .max()
        .map_or(64, |c| (c + c.div_ceil(4)).max(8))
}

/// Ends the sessions with nothing in flight (their last records are written when `wait`
/// returns), and marks their runs finished once nothing of them is left on the queue.
async fn close_idle_sessions(
    worker: &Worker,
    sessions: &mut HashMap<String, Session>,
    fed: &std::collections::HashSet<String>,
) -> anyhow::Result<()> {
    let idle: Vec<String> = sessions
        .iter()
        .filter(|(id, s)| {
            // A session whose engine stopped on its own (its store failed) ends too, with
            // its error.
            s.watcher.is_finished()
                || (!fed.contains(*id) && s.in_flight.load(Ordering::Relaxed) == 0)
        })
        .map(|(id, _)| id.clone())
        .collect();
    for run_id in idle {
        let Some(session) = sessions.remove(&run_id) else {
            continue;
        };
        drop(session.items);
        let report = session
            .watcher
            .await
            .map_err(|e| anyhow::anyhow!("run {run_id}: the session task failed: {e}"))??;
        let pending = worker
            .queue
            .pending(&worker.workspace, Some(&run_id))
            .await?;
        if pending == 0 {
            worker
                .store
                .set_run_status(&worker.workspace, &run_id, RunStatus::Finished)
                .await?;
            worker.say(format_args!("run {run_id} finished"));
            if !worker.quiet {
                eprint!("{}", crate::output::summary_table(&report.summary));
            }
            // Read again: other workers may have recorded attempts since this session's
            // report was taken.
            let summary = worker.store.summarize(&worker.workspace, &run_id).await?;
            if super::incomplete::check(&summary, &run_id) != EXIT_OK {
                worker.incomplete.store(true, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

impl Worker {
    /// Starts working on a run: rebuilds its agents and evaluators from the stored spec and
    /// hands the engine a stream of this run's claimed items.
    async fn open_session(self: &Arc<Self>, run_id: &str) -> anyhow::Result<Session> {
        let stored = self
            .store
            .get_run(&self.workspace, run_id)
            .await?
            .ok_or_else(|| benchcore::StoreError::run_not_found(&self.workspace, run_id))?;
        let saved = super::agents::load_saved(
            &self.handle,
            &self.workspace,
            &plan::saved_names_in_spec(&stored.spec),
        )
        .await
        .with_context(|| format!("rebuilding run {run_id}"))?;
        let concurrency = stored.spec.concurrency;
        let factory = self.factory.clone().with_saved(saved);
        let run = Run::for_worker(stored.spec, &factory, &crate::kinds::kinds())
            .with_context(|| format!("rebuilding run {run_id}"))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let items = futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .boxed();
        // The run's concurrency, each agent's, RPM and TPM hold for all its workers together.
        let engine = Engine::new(Arc::clone(&self.store))
            .with_workspace(self.workspace.clone())
            .with_limit_board(Arc::clone(&self.board), self.id.clone(), self.lease);
        let handle = engine.work(run_id, run, items).await?;
        let in_flight = Arc::new(AtomicUsize::new(0));
        let cancel = handle.cancel_token();
        let sink = self.sink.clone().map(|sink| (sink, run_id.to_owned()));
        let watcher = tokio::spawn(watch_session(
            handle,
            Arc::clone(&in_flight),
            Arc::clone(&self.finished),
            sink,
        ));
        self.say(format_args!("working on run {run_id}"));
        Ok(Session {
            items: tx,
            cancel,
            watcher,
            in_flight,
            concurrency,
        })
    }

    fn say(&self, line: std::fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// Counts a session's attempts down as they finish, and returns its report.
async fn watch_session(
    mut handle: RunHandle,
    in_flight: Arc<AtomicUsize>,
    finished: Arc<Notify>,
    sink: Option<(EventSink, String)>,
) -> anyhow::Result<RunReport> {
    let mut events = handle.events();
    while let Some(event) = events.next().await {
        if let Some((sink, run_id)) = &sink {
            sink(run_id, &event);
        }
        if let RunEvent::AttemptFinished { .. } = event {
            in_flight.fetch_sub(1, Ordering::Relaxed);
            finished.notify_one();
        }
    }
    Ok(handle.wait().await?)
}

/// Renews this worker's leases every third of their length, so none runs out while the
/// worker lives.
async fn renew_leases(worker: Arc<Worker>, lease: Duration) {
    let mut every = tokio::time::interval(lease / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = worker
            .queue
            .renew(&worker.workspace, &worker.id, lease)
            .await
        {
            // The next tick tries again; a lease lost meanwhile only means another worker
            // may redo an attempt, which records once all the same.
            eprintln!("worker {}: cannot renew leases: {e}", worker.id);
        }
    }
}

/// Wakes `interrupted` on Ctrl-C or SIGTERM.
async fn watch_signals(interrupted: Arc<Notify>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            interrupted.notify_one();
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        interrupted.notify_one();
    }
}

fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0) {
        anyhow::bail!("{flag}: must be a positive number of seconds, got {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "worker".to_owned())
}
