//! Plays attempts, each in a task of its own: the slots it waits for, its `attempt` span, and
//! its record handed to the writer while it still holds its slots. Ordinary dispatch and
//! batch results go through here alike.

use super::agent_state::{AgentState, HeldSlots};
use super::attempt::run_attempt;
use super::episode::Episode;
use super::limits::ConcurrencyLimiter;
use super::produce::Job;
use super::shared::RunShared;
use super::tally::Tally;
use super::CancelToken;
use crate::AttemptRecord;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::Instrument;

/// What every attempt of a run is played with.
pub(crate) struct Player {
    pub(crate) shared: Arc<RunShared>,
    /// How each attempt plays out.
    pub(crate) episode: Arc<dyn Episode>,
    pub(crate) global: Arc<ConcurrencyLimiter>,
    pub(crate) records: mpsc::Sender<AttemptRecord>,
    pub(crate) cancel: CancelToken,
    pub(crate) tally: Arc<Tally>,
}

impl Player {
    /// Waits for an agent slot, then a run slot; `None` once the run is cancelled.
    pub(crate) async fn slots(&self, agent: &AgentState) -> Option<HeldSlots> {
        let slots = async {
            let slot = agent.limiter.acquire().await;
            let permit = self.global.acquire().await;
            (slot, permit)
        };
        let (slot, permit) = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return None,
            slots = slots => slots,
        };
        Some(HeldSlots::new(
            Arc::clone(&agent.limiter),
            Arc::clone(&self.global),
            slot,
            permit,
        ))
    }

    /// Starts `job` on `agent` in `running`, holding `held` until the writer has its record;
    /// `batch` names the batch that answered it, if one did. Cancel drops the attempt.
    pub(crate) fn spawn(
        &self,
        running: &mut JoinSet<()>,
        agent: &Arc<AgentState>,
        held: HeldSlots,
        job: Job,
        batch: Option<String>,
    ) {
        let (agent, shared, episode, records, cancel, tally) = (
            Arc::clone(agent),
            Arc::clone(&self.shared),
            Arc::clone(&self.episode),
            self.records.clone(),
            self.cancel.clone(),
            Arc::clone(&self.tally),
        );
        let span = tracing::info_span!(
            "attempt",
            case = %job.case.id,
            agent = %agent.name,
            sample = job.sample,
            outcome = tracing::field::Empty,
            retries = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let attempt_span = span.clone();
        running.spawn(
            async move {
                let attempt = run_attempt(
                    &shared,
                    &*episode,
                    &agent,
                    &held,
                    job.case,
                    job.sample,
                    job.queued_at,
                );
                let record = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return,
                    record = attempt => record,
                };
                if let Some(record) = &record {
                    attempt_span.record("outcome", record.outcome.as_str());
                    attempt_span.record("retries", record.retries);
                    if let Some(latency) = record.latency_ms {
                        attempt_span.record("latency_ms", latency);
                    }
                    tracing::debug!(outcome = record.outcome.as_str(), "attempt recorded");
                }
                // Keep the slots until the writer has the record: when the store is the slower
                // side, this is what stops finished attempts from piling up in memory.
                if let Some(mut record) = record {
                    record.transcript.batch = batch;
                    if records.send(record).await.is_ok() {
                        tally.recorded.fetch_add(1, Ordering::Relaxed);
                    }
                }
                drop(held);
            }
            .instrument(span),
        );
        // Reap finished tasks as we go so a long run does not accumulate them.
        while running.try_join_next().is_some() {}
    }
}
