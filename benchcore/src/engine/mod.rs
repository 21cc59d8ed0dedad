//! The run engine: every (case × agent × sample), within limits, retried, recorded, resumable.

mod agent_state;
mod attempt;
mod backoff;
mod batch;
mod cancel;
mod episode;
mod events;
mod exchange;
mod from_spec;
mod in_flight;
mod limits;
mod pace;
mod play;
mod produce;
mod run;
mod run_wide;
mod schedule;
mod shared;
mod tally;
mod writer;

pub use agent_state::StoppedAgent;
pub use backoff::RetryPolicy;
pub use batch::BatchOptions;
pub use cancel::CancelToken;
pub use episode::{Episode, EpisodeContext, SingleTurn};
pub use events::RunEvent;
pub use limits::AgentLimits;
pub use run::Run;

use crate::{Error, QueuedAttempt, Result, RunStatus, RunStore, RunSummary, WorkQueue, Workspace};
use futures::stream::BoxStream;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// How a resumed run treats attempts already recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResumeOptions {
    /// Also rerun attempts recorded as `error` (judged attempts are never rerun).
    pub retry_errors: bool,
}

impl ResumeOptions {
    /// Rerun errors too.
    pub fn retry_errors() -> Self {
        Self { retry_errors: true }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RunReport {
    /// The run.
    pub run_id: String,
    /// `finished` when every attempt is recorded, `cancelled` when stopped on request,
    /// `failed` when attempts were left pending because an agent was stopped (resume it once
    /// the cause is fixed).
    pub status: RunStatus,
    /// Per-agent results, read back from the store.
    pub summary: RunSummary,
    /// Agents stopped during the run, and why.
    pub stopped_agents: Vec<StoppedAgent>,
    /// Attempts of this session left unrecorded (not run): those of an agent stopped as
    /// unreachable, or not reached before a cancel. `resume` runs them.
    pub pending: u64,
}

/// Runs benchmarks against a store.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use benchcore::{agent::reference::Gold, Case, Engine, MemoryStore, QuestionSet, Run};
/// use std::sync::Arc;
///
/// let suite = QuestionSet::from_cases("arith", vec![Case::new("q1", "2+3?").with_target("5")])?;
/// let engine = Engine::new(Arc::new(MemoryStore::new()));
/// let report = engine.run(Run::new(suite).agent(Gold)).await?;
/// assert_eq!(report.summary.agents[0].accuracy, Some(1.0));
/// # Ok::<(), benchcore::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    board: Option<run_wide::BoardSettings>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine recording into `store`, in the default workspace.
    pub fn new(store: Arc<dyn RunStore>) -> Self {
        Self {
            store,
            workspace: Workspace::default(),
            board: None,
        }
    }

    /// Works in another workspace.
    pub fn with_workspace(mut self, workspace: Workspace) -> Self {
        self.workspace = workspace;
        self
    }

    /// Holds every run's limits for the run as a whole, however many processes work on it:
    /// the run's concurrency, each agent's concurrency, requests and tokens per minute, and
    /// the pauses a provider's rate limit calls for are shared through `board` (PostgreSQL's
    /// is the one workers share). This process appears on the board as `holder` (unique among
    /// the run's workers); its shares of the concurrency ceilings are leased for `lease` and
    /// renewed while it works, so a process that dies gives its share back once the lease
    /// runs out.
    ///
    /// ```
    /// use benchcore::{Engine, MemoryLimitBoard, MemoryStore};
    /// use std::{sync::Arc, time::Duration};
    ///
    /// let board = Arc::new(MemoryLimitBoard::new());
    /// let a = Engine::new(Arc::new(MemoryStore::new()))
    ///     .with_limit_board(board.clone(), "worker-a", Duration::from_secs(10));
    /// ```
    pub fn with_limit_board(
        mut self,
        board: Arc<dyn crate::LimitBoard>,
        holder: impl Into<String>,
        lease: Duration,
    ) -> Self {
        self.board = Some(run_wide::BoardSettings {
            board,
            holder: holder.into(),
            lease: lease.max(Duration::from_millis(300)),
        });
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn RunStore> {
        &self.store
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Starts a new run and returns at once with a handle for its events, cancel and result.
    ///
    /// # Errors
    /// The run is misconfigured (no agents, two agents with one name …) or the store refuses
    /// to create it.
    pub async fn start(&self, run: Run) -> Result<RunHandle> {
        let run_id = crate::new_run_id();
        let prepared = run.prepare()?;
        self.store
            .create_run(&self.workspace, &run_id, &prepared.spec)
            .await?;
        Ok(self.spawn(
            run_id,
            prepared,
            schedule::Jobs::Suite(produce::Skip::Nothing),
            0,
        ))
    }

    /// Resumes a stored run: attempts already recorded are skipped (and errors too, unless
    /// `options.retry_errors`); the rest run as the stored spec says. `run` supplies the same
    /// suite, agents and evaluators the run was started with; its settings are ignored in
    /// favour of the stored spec.
    ///
    /// # Errors
    /// The run is not in this workspace, or `run` does not match it (other agent names, a
    /// suite with another number of cases).
    pub async fn resume(
        &self,
        run_id: &str,
        run: Run,
        options: ResumeOptions,
    ) -> Result<RunHandle> {
        let stored = self
            .store
            .get_run(&self.workspace, run_id)
            .await?
            .ok_or_else(|| crate::StoreError::run_not_found(&self.workspace, run_id))?;
        let prepared = run.with_stored_spec(stored.spec)?.prepare()?;
        let skip = produce::Skip::Recorded {
            retry_errors: options.retry_errors,
        };
        // Counted in the store, never loaded: the keys themselves are read a batch of cases
        // at a time as the suite streams.
        let summary = self.store.summarize(&self.workspace, run_id).await?;
        let already_done = summary
            .agents
            .iter()
            .map(|agent| {
                let rerun = agent.skipped
                    + if options.retry_errors {
                        agent.errors
                    } else {
                        0
                    };
                agent.n.saturating_sub(rerun)
            })
            .sum();
        self.store
            .set_run_status(&self.workspace, run_id, RunStatus::Running)
            .await?;
        Ok(self.spawn(
            run_id.to_owned(),
            prepared,
            schedule::Jobs::Suite(skip),
            already_done,
        ))
    }

    /// Creates a run for workers to share: stores its spec, then puts every (case × agent ×
    /// sample) on the work queue, cases included, and returns the run's id at once. Any
    /// number of processes then [`work`](Engine::work) on it; recording an attempt takes it
    /// off the queue.
    ///
    /// # Errors
    /// As [`Engine::start`]; the suite cannot be read; the queue refuses the items.
    pub async fn enqueue(&self, run: Run, queue: &dyn WorkQueue) -> Result<String> {
        /// Items per enqueue call: bounded memory for any suite size.
        const BATCH: usize = 2048;
        let run_id = crate::new_run_id();
        let prepared = run.prepare()?;
        self.store
            .create_run(&self.workspace, &run_id, &prepared.spec)
            .await?;
        let agents: Vec<&str> = prepared
            .agents
            .iter()
            .map(|(_, spec)| spec.name.as_str())
            .collect();
        let mut cases = prepared.suite.cases();
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(case) = cases.next().await {
            let case = case?;
            for sample in 0..prepared.spec.samples {
                for agent in &agents {
                    batch.push(QueuedAttempt::new(&run_id, case.clone(), *agent, sample));
                }
            }
            if batch.len() >= BATCH {
                queue.enqueue(&self.workspace, &batch).await?;
                batch.clear();
            }
        }
        queue.enqueue(&self.workspace, &batch).await?;
        Ok(run_id)
    }

    /// Works on a stored run's attempts as a queue hands them out: each item is played and
    /// recorded like an attempt of [`Engine::start`], with the run's stored limits, retries
    /// and budgets (retries and budgets per process; the limits for the run as a whole when
    /// the engine has a [limit board](Engine::with_limit_board)). `run` supplies the agents
    /// and evaluators of the stored spec (its suite is not read: cases come with the items).
    /// The run's status is left alone, since other processes may be working on it too. The
    /// handle's report comes once `items` ends and every attempt taken is recorded.
    ///
    /// # Errors
    /// The run is not in this workspace, or `run` has other agents than it.
    pub async fn work(
        &self,
        run_id: &str,
        run: Run,
        items: BoxStream<'static, QueuedAttempt>,
    ) -> Result<RunHandle> {
        let stored = self
            .store
            .get_run(&self.workspace, run_id)
            .await?
            .ok_or_else(|| crate::StoreError::run_not_found(&self.workspace, run_id))?;
        let prepared = run.with_stored_settings(stored.spec)?.prepare()?;
        Ok(self.spawn(
            run_id.to_owned(),
            prepared,
            schedule::Jobs::Queued(items),
            0,
        ))
    }

    /// Starts a run and waits for it to end.
    ///
    /// # Errors
    /// As [`Engine::start`], or the store failed during the run.
    pub async fn run(&self, run: Run) -> Result<RunReport> {
        self.start(run).await?.wait().await
    }

    fn spawn(
        &self,
        run_id: String,
        prepared: run::Prepared,
        jobs: schedule::Jobs,
        already_done: u64,
    ) -> RunHandle {
        let (events, first) = broadcast::channel(events::EVENT_BUFFER);
        let cancel = CancelToken::new();
        let task = tokio::spawn(schedule::drive(schedule::Drive {
            store: Arc::clone(&self.store),
            workspace: self.workspace.clone(),
            run_id: run_id.clone(),
            prepared,
            jobs,
            already_done,
            events: events.clone(),
            cancel: cancel.clone(),
            board: self.board.clone(),
        }));
        RunHandle {
            run_id,
            // Weak, so the event stream ends when the run's task drops its senders.
            events: events.downgrade(),
            first: Some(first),
            cancel,
            task,
        }
    }
}

/// A run in progress: watch its events, cancel it, or wait for its report. Dropping the handle
/// does not stop the run; cancel it first.
#[derive(Debug)]
pub struct RunHandle {
    run_id: String,
    events: broadcast::WeakSender<RunEvent>,
    first: Option<broadcast::Receiver<RunEvent>>,
    cancel: CancelToken,
    task: JoinHandle<Result<RunReport>>,
}

impl RunHandle {
    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The run's events; the stream ends when the run does. The first call sees every event
    /// from the start; later calls see events from the moment they subscribe (nothing, once the
    /// run has ended).
    pub fn events(&mut self) -> BoxStream<'static, RunEvent> {
        match self.first.take() {
            Some(rx) => events::into_stream(rx),
            None => match self.events.upgrade() {
                Some(tx) => events::into_stream(tx.subscribe()),
                None => futures::stream::empty().boxed(),
            },
        }
    }

    /// A token that cancels the run from anywhere.
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Asks the run to stop; `wait` then returns with status `cancelled`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Waits for the run to end.
    ///
    /// # Errors
    /// The store failed during the run, or the suite could not be read again.
    pub async fn wait(mut self) -> Result<RunReport> {
        drop(self.first.take());
        match self.task.await {
            Ok(report) => report,
            Err(join) => Err(Error::Run(format!("the run task failed: {join}"))),
        }
    }
}
