//! Drives a run: streams cases, fans attempts out to per-agent dispatchers within the limits,
//! and funnels finished attempts to the batched writer.

use super::agent_state::AgentState;
use super::batch::{self, Collect, Ledger, Sink};
use super::events::RunEvent;
use super::limits::{Backlog, ConcurrencyLimiter};
use super::play::Player;
use super::produce::{produce, Job, Skip, Source};
use super::run::Prepared;
use super::run_wide::{BoardSettings, RunWide};
use super::shared::RunShared;
use super::tally::Tally;
use super::{writer, CancelToken, RunReport};
use crate::{Error, QueuedAttempt, Result, RunStatus, RunStore, Workspace};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;
use tracing::Instrument;

/// Finished attempts waiting for the writer. Bounded so a slow store slows the run rather than
/// filling memory.
const RECORD_QUEUE: usize = 4096;

pub(crate) struct Drive {
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) workspace: Workspace,
    pub(crate) run_id: String,
    pub(crate) prepared: Prepared,
    pub(crate) jobs: Jobs,
    pub(crate) already_done: u64,
    pub(crate) events: broadcast::Sender<RunEvent>,
    pub(crate) cancel: CancelToken,
    /// Where the run's limits are held for every process working on it, if they are.
    pub(crate) board: Option<BoardSettings>,
}

/// Where a drive's attempts come from.
pub(crate) enum Jobs {
    /// Every (case × agent × sample) of the suite but those [`Skip`] leaves out; the drive
    /// owns the run's status.
    Suite(Skip),
    /// The attempts a work queue hands this process; the run's status is the queue's
    /// business, not this drive's.
    Queued(BoxStream<'static, QueuedAttempt>),
}

pub(crate) async fn drive(d: Drive) -> Result<RunReport> {
    let Prepared {
        spec,
        suite,
        agents,
        episode,
        evaluators,
        tests,
    } = d.prepared;
    // Every attempt's span is a child of the run's, so a trace shows the run as one tree.
    let run_span = tracing::info_span!(
        "run",
        run_id = %d.run_id,
        kind = %spec.kind,
        suite = %spec.suite.name
    );
    let whole_run = matches!(d.jobs, Jobs::Suite(_));
    // A worker sees only what it is handed, so it cannot know the run's total.
    let total = if whole_run {
        suite.len() * agents.len() as u64 * u64::from(spec.samples)
    } else {
        0
    };
    let _ = d.events.send(RunEvent::Started {
        run_id: d.run_id.clone(),
        total,
        already_done: d.already_done,
    });

    let shared = Arc::new(RunShared {
        run_id: d.run_id.clone(),
        evaluators,
        extract: spec.extract.clone(),
        tests,
        retry: spec.retry.clone(),
        timeout: Duration::from_millis(spec.timeout_ms),
        sampling: spec.sampling.clone(),
        artifacts_root: spec.artifacts_dir.as_ref().map(PathBuf::from),
        events: d.events.clone(),
        run_deadline: spec
            .max_run_ms
            .map(|ms| Instant::now() + Duration::from_millis(ms)),
        max_cost_micro_usd: spec.max_cost_usd.map(|usd| (usd * 1e6).round() as u64),
        spent_micro_usd: AtomicU64::new(0),
        run_retries: AtomicU64::new(0),
    });
    let run_wide = d
        .board
        .as_ref()
        .map(|board| Arc::new(RunWide::new(board, d.workspace.clone(), d.run_id.clone())));
    // Stops the keepers of run-wide shares once every attempt is done.
    let keepers_stop = CancelToken::new();
    let mut keepers = Vec::new();
    let global: Arc<ConcurrencyLimiter> = match &run_wide {
        Some(run_wide) => {
            let limiter = Arc::new(ConcurrencyLimiter::closed());
            keepers.push(run_wide.keep_share(
                "run".to_owned(),
                Some(spec.concurrency),
                Arc::clone(&limiter),
                None,
                keepers_stop.clone(),
            ));
            limiter
        }
        None => Arc::new(ConcurrencyLimiter::new(spec.concurrency)),
    };
    let (record_tx, record_rx) = mpsc::channel(RECORD_QUEUE);
    let writer = {
        let (store, workspace, cancel) =
            (Arc::clone(&d.store), d.workspace.clone(), d.cancel.clone());
        tokio::spawn(async move {
            let written = writer::write_attempts(store, workspace, record_rx).await;
            if written.is_err() {
                // Nothing more can be recorded: stop sending requests whose replies would be
                // lost. What was recorded stays, and the run can be resumed once the store is
                // back.
                cancel.cancel();
            }
            written
        })
    };

    // Batch mode sends a whole run's attempts in batches; a worker's share goes one by one.
    let batch_mode = spec.batch.clone().filter(|_| whole_run);
    let ledger = match &batch_mode {
        Some(_) => Some(Arc::new(
            Ledger::load(Arc::clone(&d.store), d.workspace.clone(), d.run_id.clone()).await?,
        )),
        None => None,
    };

    // One dispatcher per agent, so an agent at its own limit never holds up the others.
    let tally = Arc::new(Tally::default());
    let player = Arc::new(Player {
        shared: Arc::clone(&shared),
        episode: Arc::clone(&episode),
        global: Arc::clone(&global),
        records: record_tx.clone(),
        cancel: d.cancel.clone(),
        tally: Arc::clone(&tally),
    });
    drop(record_tx);
    let mut states = Vec::with_capacity(agents.len());
    let mut queues = Vec::with_capacity(agents.len());
    let mut dispatchers = JoinSet::new();
    for (agent, agent_spec) in agents {
        let state = Arc::new(AgentState::new(
            agent,
            agent_spec.name.clone(),
            &agent_spec.limits,
            spec.concurrency,
            run_wide.as_ref(),
        ));
        keepers.extend(state.keep_run_wide_share(&keepers_stop));
        let (tx, rx) = mpsc::channel::<Job>(spec.concurrency.clamp(16, 1024));
        let tx = match (&batch_mode, &ledger) {
            // The suite's attempts go to the agent's collector; its dispatcher sends only
            // what the batches hand back to be sent as ordinary requests.
            (Some(options), Some(ledger)) => {
                let (batch_tx, batch_rx) = mpsc::channel::<Job>(1024);
                let sink = Sink {
                    name: agent_spec.name.clone(),
                    options: options.clone(),
                    ledger: Arc::clone(ledger),
                    player: Arc::clone(&player),
                    concurrency: agent_spec.limits.concurrency.unwrap_or(spec.concurrency),
                    fallback: tx,
                };
                dispatchers.spawn(
                    batch::collect(Collect {
                        jobs: batch_rx,
                        agent: Arc::clone(&state.agent),
                        sink,
                    })
                    .instrument(run_span.clone()),
                );
                batch_tx
            }
            _ => tx,
        };
        queues.push((agent_spec.name, tx));
        states.push(Arc::clone(&state));
        dispatchers.spawn(
            dispatch(Dispatch {
                jobs: rx,
                agent: state,
                player: Arc::clone(&player),
            })
            .instrument(run_span.clone()),
        );
    }
    // The writer ends once every dispatcher and collector has let its player go.
    drop(player);

    let produced = match d.jobs {
        Jobs::Suite(skip) => {
            let source = Source {
                suite: &*suite,
                samples: spec.samples,
                skip,
                store: &*d.store,
                workspace: &d.workspace,
                run_id: &d.run_id,
            };
            produce(source, &queues, &d.cancel).await
        }
        Jobs::Queued(items) => produce_queued(items, &queues, &d.cancel).await,
    };
    drop(queues);
    while dispatchers.join_next().await.is_some() {}
    keepers_stop.cancel();
    for keeper in keepers {
        let _ = keeper.await;
    }
    if let Some(run_wide) = &run_wide {
        run_wide.let_go().await;
    }
    let written = writer
        .await
        .map_err(|e| Error::Run(format!("the writer task failed: {e}")))?;

    let store_result = written.map_err(Error::from);
    let recorded = tally.recorded.load(Ordering::Relaxed);
    let pending = if whole_run {
        total.saturating_sub(d.already_done + recorded)
    } else {
        tally.taken.load(Ordering::Relaxed).saturating_sub(recorded)
    };
    let stopped_agents: Vec<_> = states.iter().filter_map(|s| s.stopped_agent()).collect();
    let status = if produced.is_err() || store_result.is_err() {
        RunStatus::Failed
    } else if d.cancel.is_cancelled() {
        RunStatus::Cancelled
    } else if pending > 0 {
        // Not `finished`: attempts of a stopped agent wait for `resume`.
        RunStatus::Failed
    } else {
        RunStatus::Finished
    };
    // Best effort on failure: the original error matters more than this one. A worker's
    // part of a run leaves the status alone: other workers may still be at it.
    let status_set = if whole_run {
        d.store
            .set_run_status(&d.workspace, &d.run_id, status)
            .await
    } else {
        Ok(())
    };
    produced?;
    store_result?;
    status_set?;
    let summary = d.store.summarize(&d.workspace, &d.run_id).await?;
    let _ = d.events.send(RunEvent::Finished {
        status,
        summary: summary.clone(),
    });
    Ok(RunReport {
        run_id: d.run_id,
        status,
        summary,
        stopped_agents,
        pending,
    })
}

/// Hands each queued attempt to its agent's queue, in the order the queue gave them.
async fn produce_queued(
    mut items: BoxStream<'static, QueuedAttempt>,
    queues: &[(String, mpsc::Sender<Job>)],
    cancel: &CancelToken,
) -> Result<()> {
    loop {
        let next = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Ok(()),
            next = items.next() => next,
        };
        let Some(item) = next else { return Ok(()) };
        let Some((_, queue)) = queues.iter().find(|(name, _)| *name == item.agent) else {
            return Err(Error::Run(format!(
                "a queued attempt of run {} names agent `{}`, which the run does not have",
                item.run_id, item.agent
            )));
        };
        let job = Job {
            case: Arc::new(item.case),
            sample: item.sample,
            queued_at: Instant::now(),
        };
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Ok(()),
            sent = queue.send(job) => if sent.is_err() { return Ok(()) },
        }
    }
}

/// One agent's dispatcher and what it needs.
struct Dispatch {
    jobs: mpsc::Receiver<Job>,
    agent: Arc<AgentState>,
    player: Arc<Player>,
}

/// Takes an agent's jobs one by one: waits for an agent slot, then a run slot, then starts
/// the attempt. Cancel drops attempts in flight; finished ones still reach the writer. Once
/// the agent is stopped as unreachable, its jobs are taken and dropped: they stay pending.
async fn dispatch(d: Dispatch) {
    let Dispatch {
        mut jobs,
        agent,
        player,
    } = d;
    let mut running = JoinSet::new();
    // What waits behind the job in hand counts in the demand for run-wide shares.
    let mut agent_backlog = Backlog::new(Arc::clone(&agent.limiter));
    let mut run_backlog = Backlog::new(Arc::clone(&player.global));
    loop {
        let job = tokio::select! {
            biased;
            _ = player.cancel.cancelled() => break,
            job = jobs.recv() => match job { Some(job) => job, None => break },
        };
        agent_backlog.set(jobs.len());
        // Of those, the run's share is wanted only for as many as the agent can start.
        run_backlog.set(jobs.len().min(agent.limiter.room().saturating_sub(1)));
        player.tally.taken.fetch_add(1, Ordering::Relaxed);
        if agent.leaves_pending() {
            continue;
        }
        let Some(held) = player.slots(&agent).await else {
            break;
        };
        player.spawn(&mut running, &agent, held, job, None);
    }
    while running.join_next().await.is_some() {}
}
