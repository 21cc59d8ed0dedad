//! [`Sink`]: where one agent's batch results go: recorded through the ordinary attempt path,
//! or handed to the agent's ordinary dispatcher (fallback).

use super::super::agent_state::AgentState;
use super::super::events::RunEvent;
use super::super::play::Player;
use super::super::produce::Job;
use super::super::AgentLimits;
use super::answers::Answers;
use super::ledger::Ledger;
use super::options::BatchOptions;
use crate::{AgentError, AgentReply};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What one agent's batches share.
pub(crate) struct Sink {
    /// The agent's name.
    pub(crate) name: String,
    pub(crate) options: BatchOptions,
    pub(crate) ledger: Arc<Ledger>,
    /// Plays the results as attempts, with the run's shared settings and limiter.
    pub(crate) player: Arc<Player>,
    /// Attempts in flight for this agent (its own limit, else the run's).
    pub(crate) concurrency: usize,
    /// The agent's ordinary dispatcher, for fallback requests.
    pub(crate) fallback: mpsc::Sender<Job>,
}

impl Sink {
    /// Tells watchers (and the log) what happened to `batch`.
    pub(crate) fn note(&self, batch: &str, note: String) {
        tracing::info!(agent = %self.name, batch, "{note}");
        self.player.shared.emit(RunEvent::Batch {
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
            let Some(held) = self.player.slots(&agent).await else {
                break;
            };
            let batch = batch.map(str::to_owned);
            self.player.spawn(&mut running, &agent, held, job, batch);
        }
        while running.join_next().await.is_some() {}
    }
}
