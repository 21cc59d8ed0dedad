//! Streams a suite's attempts to the agents' queues, leaving out those a resume finds
//! recorded. A resume reads what is recorded a batch of cases at a time
//! ([`RunStore::case_outcomes`]), so its memory stays that of a first run whatever the size
//! of the run, instead of holding every recorded key.

use super::CancelToken;
use crate::{AttemptKey, Case, CaseSource, Outcome, Result, RunStore, Workspace};
use futures::StreamExt;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// One attempt to play, on its agent's queue.
pub(super) struct Job {
    pub(super) case: Arc<Case>,
    pub(super) sample: u32,
    pub(super) queued_at: Instant,
}

/// Cases read ahead per store lookup on a resume: one query per this many cases.
const LOOKUP_CASES: usize = 256;

/// Which attempts of the suite a drive leaves out.
pub(crate) enum Skip {
    /// None: a new run.
    Nothing,
    /// Those recorded with a final outcome; `skipped` ones run again, and `error` ones when
    /// `retry_errors`.
    Recorded {
        /// Run attempts recorded as `error` again.
        retry_errors: bool,
    },
}

impl Skip {
    /// Whether an attempt recorded with `outcome` is left out.
    pub(crate) fn keeps(&self, outcome: Outcome) -> bool {
        match self {
            Self::Nothing => false,
            Self::Recorded { retry_errors } => {
                !(outcome == Outcome::Skipped || (*retry_errors && outcome == Outcome::Error))
            }
        }
    }
}

/// The suite a drive streams and where to look up what is recorded.
pub(crate) struct Source<'a> {
    pub(crate) suite: &'a dyn CaseSource,
    pub(crate) samples: u32,
    pub(crate) skip: Skip,
    pub(crate) store: &'a dyn RunStore,
    pub(crate) workspace: &'a Workspace,
    pub(crate) run_id: &'a str,
}

/// Streams the suite and hands each (case, sample, agent) to its agent's queue, leaving out
/// recorded attempts. Agents are interleaved case by case.
pub(crate) async fn produce(
    source: Source<'_>,
    queues: &[(String, mpsc::Sender<Job>)],
    cancel: &CancelToken,
) -> Result<()> {
    let mut cases = source.suite.cases();
    let lookup = matches!(source.skip, Skip::Recorded { .. });
    let batch_size = if lookup { LOOKUP_CASES } else { 1 };
    let mut batch: Vec<Arc<Case>> = Vec::with_capacity(batch_size);
    let mut done = HashSet::new();
    let mut key = AttemptKey::new(String::new(), String::new(), 0);
    // A stream must not be polled once it has ended.
    let mut ended = false;
    loop {
        // Read up to a batch of cases (one when nothing is looked up).
        batch.clear();
        while !ended && batch.len() < batch_size {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Ok(()),
                next = cases.next() => next,
            };
            match next {
                Some(case) => batch.push(Arc::new(case?)),
                None => ended = true,
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        done.clear();
        if lookup {
            let ids: Vec<String> = batch.iter().map(|c| c.id.clone()).collect();
            let recorded = source
                .store
                .case_outcomes(source.workspace, source.run_id, &ids)
                .await?;
            done.extend(
                recorded
                    .into_iter()
                    .filter(|(_, outcome)| source.skip.keeps(*outcome))
                    .map(|(key, _)| key),
            );
        }
        for case in &batch {
            for sample in 0..source.samples {
                for (agent, queue) in queues {
                    if !done.is_empty() {
                        key.case_id.clone_from(&case.id);
                        key.agent.clone_from(agent);
                        key.sample = sample;
                        if done.contains(&key) {
                            continue;
                        }
                    }
                    let job = Job {
                        case: Arc::clone(case),
                        sample,
                        queued_at: Instant::now(),
                    };
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Ok(()),
                        sent = queue.send(job) => if sent.is_err() { return Ok(()) },
                    }
                }
            }
        }
    }
}
