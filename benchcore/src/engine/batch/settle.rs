//! Waits for one batch to end, reads its results, and matches them to its attempts. Results
//! are untrusted: a line for an id the batch never held, two lines for one id, or a line
//! that cannot be read are each reported, and the attempts they leave without one result
//! become errors; the run goes on.

use super::super::produce::Job;
use super::sink::Sink;
use crate::agent::{BatchApi, BatchResults, BatchStatus};
use crate::{AgentError, AgentErrorKind, AgentReply};
use std::collections::HashMap;
use std::future::Future;

/// Tries of a status or results read that fail for good before the batch is given up.
const READ_TRIES: u32 = 5;

/// A batch at the provider and the attempts it holds, by custom id.
pub(crate) struct Sent {
    pub(crate) id: String,
    pub(crate) jobs: HashMap<String, Job>,
}

/// Polls batch `sent` until it ends, then hands every attempt's result to the sink and
/// marks the batch done. Returns early, leaving the batch to a resume, on cancel.
pub(crate) async fn settle(sink: &Sink, api: &dyn BatchApi, sent: Sent) {
    let Some(outcome) = wait(sink, api, &sent.id).await else {
        return;
    };
    let answered = match outcome {
        Ok(results) => matched(sink, &sent.id, sent.jobs, results),
        Err(reason) => {
            sink.note(&sent.id, format!("no results: {reason}"));
            sent.jobs
                .into_values()
                .map(|job| (job, Err(unanswered(&sink.name, reason.clone()))))
                .collect()
        }
    };
    let count = answered.len();
    sink.finish(Some(&sent.id), answered).await;
    if sink.player.cancel.is_cancelled() {
        return;
    }
    if let Err(error) = sink.ledger.mark_done(&sent.id).await {
        sink.note(
            &sent.id,
            format!(
                "could not mark the batch done in the store ({error}); a resume reads it again"
            ),
        );
    }
    sink.note(&sent.id, format!("{count} results handed on"));
}

/// Waits for the batch to end: its results, or why there are none; `None` on cancel.
async fn wait(sink: &Sink, api: &dyn BatchApi, id: &str) -> Option<Result<BatchResults, String>> {
    let mut last_state = String::new();
    loop {
        let status = match read(sink, || api.status(id)).await? {
            Ok(status) => status,
            Err(error) => return Some(Err(format!("its status could not be read: {error}"))),
        };
        match status {
            BatchStatus::Pending { state } => {
                if state != last_state {
                    sink.note(id, state.clone());
                    last_state = state;
                }
                tokio::select! {
                    biased;
                    _ = sink.player.cancel.cancelled() => return None,
                    _ = tokio::time::sleep(sink.options.poll_interval()) => {}
                }
            }
            BatchStatus::Ended { state } => {
                sink.note(id, format!("ended: {state}"));
                return Some(
                    read(sink, || api.results(id))
                        .await?
                        .map_err(|e| format!("its results could not be read: {e}")),
                );
            }
            BatchStatus::Failed { reason } => {
                return Some(Err(format!("the batch failed: {reason}")));
            }
        }
    }
}

/// Calls `call` until it succeeds or fails for good: a failure worth retrying is tried again
/// after the poll interval, up to [`READ_TRIES`] times. `None` on cancel.
async fn read<T, F, Fut>(sink: &Sink, call: F) -> Option<Result<T, AgentError>>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AgentError>>,
{
    let mut tries = 0;
    loop {
        let result = tokio::select! {
            biased;
            _ = sink.player.cancel.cancelled() => return None,
            result = call() => result,
        };
        match result {
            Err(error) if error.is_retryable() && tries + 1 < READ_TRIES => {
                tries += 1;
                tokio::select! {
                    biased;
                    _ = sink.player.cancel.cancelled() => return None,
                    _ = tokio::time::sleep(sink.options.poll_interval()) => {}
                }
            }
            result => return Some(result),
        }
    }
}

/// Each attempt with its one result; what does not fit is reported.
fn matched(
    sink: &Sink,
    id: &str,
    jobs: HashMap<String, Job>,
    results: BatchResults,
) -> Vec<(Job, Result<AgentReply, AgentError>)> {
    let mut by_id: HashMap<String, Vec<Result<AgentReply, AgentError>>> = HashMap::new();
    for problem in &results.problems {
        sink.note(id, format!("unreadable result: {problem}"));
    }
    for (custom_id, result) in results.items {
        if jobs.contains_key(&custom_id) {
            by_id.entry(custom_id).or_default().push(result);
        } else {
            sink.note(
                id,
                format!("a result for custom_id {custom_id:?}, which the batch does not hold, is ignored"),
            );
        }
    }
    let unreadable = match results.problems.len() {
        0 => String::new(),
        n => format!(" ({n} lines of its results could not be read)"),
    };
    jobs.into_iter()
        .map(|(custom_id, job)| {
            let result = match by_id.remove(&custom_id) {
                None => Err(unanswered(
                    &sink.name,
                    format!("batch {id} returned no result for this request{unreadable}"),
                )),
                Some(mut results) if results.len() == 1 => results.remove(0),
                Some(results) => {
                    sink.note(
                        id,
                        format!(
                            "{} results for custom_id {custom_id:?}; none is used",
                            results.len()
                        ),
                    );
                    Err(unanswered(
                        &sink.name,
                        format!(
                            "batch {id} returned {} results for this request (custom_id \
                             {custom_id:?}); none is used",
                            results.len()
                        ),
                    ))
                }
            };
            (job, result)
        })
        .collect()
}

/// An item the batch did not answer.
pub(crate) fn unanswered(agent: &str, message: String) -> AgentError {
    AgentError::new(AgentErrorKind::Unanswered, message).with_provider(agent.to_owned())
}
