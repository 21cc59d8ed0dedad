//! Gathers one agent's attempts into batches: attempts a stored batch already holds wait for
//! it; the rest are split within the provider's limits, sent, and stored before the first
//! poll. Once the suite is read, every batch is waited for at once.

use super::super::produce::Job;
use super::ids::custom_id;
use super::ledger::StoredBatch;
use super::settle::{settle, unanswered, Sent};
use super::sink::Sink;
use crate::agent::{BatchApi, BatchItem, BatchLimits};
use crate::{Agent, AgentError, AgentRequest};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc;

/// One agent's collector and what it needs.
pub(crate) struct Collect {
    /// The agent's attempts, as the suite is read.
    pub(crate) jobs: mpsc::Receiver<Job>,
    pub(crate) agent: Arc<dyn Agent>,
    pub(crate) sink: Sink,
}

/// Sends one agent's attempts in batches and records their results. Attempts not yet in a
/// batch stay pending on cancel; batches already sent are in the store for `resume`.
pub(crate) async fn collect(c: Collect) {
    let Collect {
        mut jobs,
        agent,
        sink,
    } = c;
    let Some(api) = agent.batch() else {
        // `Run::prepare` refuses such a run; should one get here, it runs as usual.
        while let Some(job) = jobs.recv().await {
            if sink.fallback.send(job).await.is_err() {
                return;
            }
        }
        return;
    };
    let stored = match sink.ledger.pending(&sink.name).await {
        Ok(stored) => stored,
        Err(error) => {
            sink.note("-", format!("the stored batches cannot be read: {error}"));
            return;
        }
    };
    let mut held = HashMap::new();
    let mut waiting: Vec<Sent> = Vec::with_capacity(stored.len());
    for (i, batch) in stored.into_iter().enumerate() {
        for key in batch.attempts {
            held.insert(key, i);
        }
        waiting.push(Sent {
            id: batch.id,
            jobs: HashMap::new(),
        });
    }
    let limits = effective_limits(api.limits(), sink.options.max_requests);
    let mut chunk = Chunk::default();
    let mut sent = Vec::new();
    loop {
        let job = tokio::select! {
            biased;
            _ = sink.player.cancel.cancelled() => return,
            job = jobs.recv() => match job { Some(job) => job, None => break },
        };
        sink.player.tally.taken.fetch_add(1, Ordering::Relaxed);
        let id = custom_id(&sink.name, &job.case.id, job.sample);
        if let Some(&i) = held.get(&(job.case.id.clone(), job.sample)) {
            waiting[i].jobs.insert(id, job);
            continue;
        }
        let item = BatchItem::new(id, request_for(&sink, &job));
        let Ok(len) = api.encoded_len(&item) else {
            // The ordinary path reports why it cannot be sent.
            if sink.fallback.send(job).await.is_err() {
                return;
            }
            continue;
        };
        if chunk.is_full(&limits, &item.custom_id, len) {
            sent.extend(submit(&sink, api, std::mem::take(&mut chunk)).await);
        }
        chunk.push(item, job, len);
    }
    if !chunk.jobs.is_empty() {
        sent.extend(submit(&sink, api, chunk).await);
    }
    for batch in waiting {
        if batch.jobs.is_empty() {
            // Every attempt it held is recorded.
            let _ = sink.ledger.mark_done(&batch.id).await;
        } else {
            sink.note(
                &batch.id,
                format!("resumed: {} attempts wait for it", batch.jobs.len()),
            );
            sent.push(batch);
        }
    }
    futures::future::join_all(sent.into_iter().map(|batch| settle(&sink, api, batch))).await;
}

/// The provider's limits, with the run's lower request limit when set.
fn effective_limits(provider: BatchLimits, max_requests: Option<usize>) -> BatchLimits {
    let requests = max_requests.map_or(provider.max_requests, |m| m.min(provider.max_requests));
    BatchLimits::new(requests.max(1), provider.max_bytes)
}

/// The request the run's single-exchange episode sends for `job`: the case's messages with
/// the run's sampling, carrying the case.
fn request_for(sink: &Sink, job: &Job) -> AgentRequest {
    let mut request = AgentRequest::new(job.case.messages.clone());
    request.sampling = sink.player.shared.sampling.clone();
    request.with_case(Arc::clone(&job.case), job.sample)
}

/// Items gathered for the next batch.
#[derive(Default)]
struct Chunk {
    items: Vec<BatchItem>,
    jobs: HashMap<String, Job>,
    bytes: u64,
}

impl Chunk {
    /// Whether `id` of `len` bytes must go to a new batch: this one is at a limit, or holds
    /// the id already (two keys with one digest).
    fn is_full(&self, limits: &BatchLimits, id: &str, len: u64) -> bool {
        !self.items.is_empty()
            && (self.items.len() >= limits.max_requests
                || self.bytes + len > limits.max_bytes
                || self.jobs.contains_key(id))
    }

    fn push(&mut self, item: BatchItem, job: Job, len: u64) {
        self.jobs.insert(item.custom_id.clone(), job);
        self.items.push(item);
        self.bytes += len;
    }
}

/// Creates a batch of `chunk`, retrying as the run's policy says, and stores its id before
/// anything else; `None` when it could not be created (its attempts are then handed on as
/// failed) or on cancel.
async fn submit(sink: &Sink, api: &dyn BatchApi, chunk: Chunk) -> Option<Sent> {
    let retry = &sink.player.shared.retry;
    let mut tries = 0;
    let created = loop {
        let result = tokio::select! {
            biased;
            _ = sink.player.cancel.cancelled() => return None,
            result = api.submit(&chunk.items) => result,
        };
        match result {
            Err(error) if error.is_retryable() && tries < retry.max_retries => {
                tries += 1;
                tokio::select! {
                    biased;
                    _ = sink.player.cancel.cancelled() => return None,
                    _ = tokio::time::sleep(retry.delay(tries, error.retry_after)) => {}
                }
            }
            result => break result,
        }
    };
    let id = match created {
        Ok(id) => id,
        Err(error) => return failed(sink, chunk, error).await,
    };
    let attempts = chunk
        .items
        .iter()
        .filter_map(|item| chunk.jobs.get(&item.custom_id))
        .map(|job| (job.case.id.clone(), job.sample))
        .collect();
    let stored = StoredBatch {
        agent: sink.name.clone(),
        id: id.clone(),
        attempts,
        done: false,
    };
    if let Err(error) = sink.ledger.add(stored).await {
        sink.note(
            &id,
            format!(
                "could not store the batch's id ({error}); a resume would send its attempts again"
            ),
        );
    }
    sink.note(&id, format!("sent {} requests", chunk.items.len()));
    Some(Sent {
        id,
        jobs: chunk.jobs,
    })
}

/// A batch that could not be created: its attempts fail with the provider's error.
async fn failed(sink: &Sink, chunk: Chunk, error: AgentError) -> Option<Sent> {
    sink.note(
        "-",
        format!(
            "a batch of {} requests could not be created: {error}",
            chunk.items.len()
        ),
    );
    let message = format!("the batch could not be created: {}", error.message);
    let answered = chunk
        .jobs
        .into_values()
        .map(|job| {
            let error = if error.is_retryable() {
                unanswered(&sink.name, message.clone())
            } else {
                AgentError {
                    message: message.clone(),
                    ..error.clone()
                }
            };
            (job, Err(error))
        })
        .collect();
    sink.finish(None, answered).await;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Case;
    use std::time::Instant;

    fn job(id: &str) -> Job {
        Job {
            case: Arc::new(Case::new(id, "q")),
            sample: 0,
            queued_at: Instant::now(),
        }
    }

    fn item(id: &str) -> BatchItem {
        BatchItem::new(id, AgentRequest::default())
    }

    #[test]
    fn a_batch_is_full_at_its_request_or_byte_limit_or_on_a_repeated_id() {
        let limits = BatchLimits::new(2, 100);
        let mut chunk = Chunk::default();
        assert!(
            !chunk.is_full(&limits, "a", 1_000),
            "an empty batch takes any item"
        );
        chunk.push(item("a"), job("a"), 60);
        assert!(!chunk.is_full(&limits, "b", 40));
        assert!(chunk.is_full(&limits, "b", 41), "over the byte limit");
        assert!(chunk.is_full(&limits, "a", 1), "the id is taken");
        chunk.push(item("b"), job("b"), 40);
        assert!(chunk.is_full(&limits, "c", 0), "at the request limit");
    }

    #[test]
    fn the_run_may_lower_the_request_limit_but_not_raise_it() {
        let provider = BatchLimits::new(50_000, 200);
        assert_eq!(effective_limits(provider, Some(3)).max_requests, 3);
        assert_eq!(
            effective_limits(provider, Some(90_000)).max_requests,
            50_000
        );
        assert_eq!(effective_limits(provider, None), provider);
    }
}
