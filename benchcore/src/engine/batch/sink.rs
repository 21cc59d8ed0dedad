//! [`Sink`]: where one agent's batch results go: recorded through the ordinary attempt path,
//! or handed to the agent's ordinary dispatcher (fallback).

use super::super::agent_state::{AgentState, HeldSlots};
use super::super::limits::ConcurrencyLimiter;
use super::super::attempt::run_attempt;
use super::super::episode::Episode;
use super::super::events::RunEvent;
use super::super::produce::Job;
use super::super::shared::RunShared;
use super::super::tally::Tally;
use super::super::{AgentLimits, CancelToken};
use super::answers::Answers;
use super::ledger::Ledger;
use super::options::BatchOptions;
use crate::{AgentError, AgentReply, AttemptRecord};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What one agent's batches share.
pub(crate) struct Sink {
    /// The agent's name.
    pub(crate) name: String,
    pub(crate) options: BatchOptions,
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) shared: Arc<RunShared>,
    pub(crate) episode: Arc<dyn Episode>,
    pub(crate) global: Arc<ConcurrencyLimiter>,
    /// Attempts in flight for this agent (its own limit, else the run's).
    pub(crate) concurrency: usize,
    pub(crate) records: mpsc::Sender<AttemptRecord>,
    /// The agent's ordinary dispatcher, for fallback requests.
    pub(crate) fallback: mpsc::Sender<Job>,
    pub(crate) cancel: CancelToken,
    pub(crate) tally: Arc<Tally>,
}

impl Sink {
    /// Tells watchers (and the log) what happened to `batch`.
    pub(crate) fn note(&self, batch: &str, note: String) {
        tracing::info!(agent = %self.name, batch, "{note}");
        self.shared.emit(RunEvent::Batch {
            agent: self.name.clone(),
            batch: batch.to_owned(),
            note,
        });
    }

    /// Hands each job's result on: a failure to the ordinary dispatcher when the run falls
    /// back, anything else to the writer through the ordinary attempt path (evaluators,
    /// transcript tests, usage and cost), marked with `batch`, the id of the batch that
    /// answered (none when the batch could not be created).
    pub(crate) async fn finish(
        &self,
        batch: Option<&str>,
        answered: Vec<(Job, Result<AgentReply, AgentError>)>,
    ) {
        let mut results = HashMap::with_capacity(answered.len());
        let mut jobs = Vec::with_capacity(answered.len());
        for (job, result) in answered {
            if self.options.fallback && result.is_err() {
                if self.fallback.send(job).await.is_err() {
                    return;
                }
                continue;
            }
            results.insert((job.case.id.clone(), job.sample), result);
            jobs.push(job);
        }
        if jobs.is_empty() {
            return;
        }
        let answers = Arc::new(Answers::new(self.name.clone(), results));
        let limits = AgentLimits {
            concurrency: Some(self.concurrency),
            // Nothing is sent: there is no pace to learn.
            fixed_concurrency: true,
            ..AgentLimits::default()
        };
        let agent = Arc::new(AgentState::new(
            answers,
            self.name.clone(),
            &limits,
            self.concurrency,
            // Batch runs are played by one process: no limit is shared.
            None,
        ));
        let mut running = JoinSet::new();
        for job in jobs {
            let slots = async {
                let slot = agent.limiter.acquire().await;
                let permit = self.global.acquire().await;
                (slot, permit)
            };
            let (slot, permit) = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => break,
                slots = slots => slots,
            };
            let held = HeldSlots::new(
                Arc::clone(&agent.limiter),
                Arc::clone(&self.global),
                slot,
                permit,
            );
            let (agent, shared, episode, records, cancel, tally) = (
                Arc::clone(&agent),
                Arc::clone(&self.shared),
                Arc::clone(&self.episode),
                self.records.clone(),
                self.cancel.clone(),
                Arc::clone(&self.tally),
            );
            let batch = batch.map(str::to_owned);
            running.spawn(async move {
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
                if let Some(mut record) = record {
                    record.transcript.batch = batch;
                    if records.send(record).await.is_ok() {
                        tally.recorded.fetch_add(1, Ordering::Relaxed);
                    }
                }
                drop(held);
            });
            while running.try_join_next().is_some() {}
        }
        while running.join_next().await.is_some() {}
    }
}
