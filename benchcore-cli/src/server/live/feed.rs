//! [`LiveHub`]: the per-run log of `attempt` messages of the runs this server executes, kept
//! for clients that reconnect, and the attempts in flight.

use super::messages::LiveMessage;
use benchcore::{AttemptKey, RunEvent, Workspace};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Messages kept per run for clients that reconnect.
pub(crate) const KEPT: usize = 10_000;

/// One run's log.
#[derive(Debug)]
pub(crate) struct Feed {
    log: Mutex<Log>,
    /// The newest `seq`, for waking followers.
    newest: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Log {
    messages: VecDeque<LiveMessage>,
    next_seq: u64,
    running: BTreeSet<AttemptKey>,
}

/// What a follower gets after `after`.
#[derive(Debug)]
pub(crate) enum Missed {
    /// Every message after it, in order.
    Messages(Vec<LiveMessage>),
    /// Some are no longer kept.
    Gap,
}

impl Feed {
    fn new() -> Self {
        Self {
            log: Mutex::default(),
            newest: watch::channel(0).0,
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes in one of the run's events.
    pub(crate) fn push(&self, event: &RunEvent) {
        let mut log = self.log();
        match event {
            RunEvent::AttemptStarted { key } => {
                log.running.insert(key.clone());
            }
            RunEvent::AttemptFinished {
                key,
                outcome,
                score,
                latency_ms,
            } => {
                log.running.remove(key);
                log.next_seq += 1;
                let seq = log.next_seq;
                log.messages.push_back(LiveMessage::Attempt {
                    seq,
                    key: key.clone(),
                    outcome: *outcome,
                    score: *score,
                    latency_ms: *latency_ms,
                });
                if log.messages.len() > KEPT {
                    log.messages.pop_front();
                }
                drop(log);
                self.newest.send_replace(seq);
            }
            _ => {}
        }
    }

    /// The messages after `after`.
    pub(crate) fn since(&self, after: u64) -> Missed {
        let log = self.log();
        let oldest_kept = log
            .messages
            .front()
            .and_then(LiveMessage::seq)
            .unwrap_or(log.next_seq + 1);
        if after > log.next_seq || (after + 1 < oldest_kept && after < log.next_seq) {
            return Missed::Gap;
        }
        Missed::Messages(
            log.messages
                .iter()
                .filter(|m| m.seq().is_some_and(|seq| seq > after))
                .cloned()
                .collect(),
        )
    }

    /// The attempts in flight.
    pub(crate) fn running(&self) -> Vec<AttemptKey> {
        self.log().running.iter().cloned().collect()
    }

    /// A receiver woken at every new message.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.newest.subscribe()
    }

    /// Nothing is in flight any more (the run ended).
    pub(crate) fn ended(&self) {
        self.log().running.clear();
        self.newest.send_modify(|_| {});
    }
}

/// The feeds of every run this server executes (and executed since it started).
#[derive(Debug, Default)]
pub(crate) struct LiveHub {
    feeds: Mutex<HashMap<(Workspace, String), Arc<Feed>>>,
}

impl LiveHub {
    /// The feed of a run, made on first use.
    pub(crate) fn feed(&self, workspace: &Workspace, run_id: &str) -> Arc<Feed> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            feeds
                .entry((workspace.clone(), run_id.to_owned()))
                .or_insert_with(|| Arc::new(Feed::new())),
        )
    }

    /// The feed of a run, if this server has one.
    pub(crate) fn existing(&self, workspace: &Workspace, run_id: &str) -> Option<Arc<Feed>> {
        let feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds.get(&(workspace.clone(), run_id.to_owned())).cloned()
    }

    /// Forgets a deleted run.
    pub(crate) fn forget(&self, workspace: &Workspace, run_id: &str) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds.remove(&(workspace.clone(), run_id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchcore::Outcome;

    fn finished(case: &str) -> RunEvent {
        RunEvent::AttemptFinished {
            key: AttemptKey::new(case, "a", 0),
            outcome: Outcome::Passed,
            score: Some(1.0),
            latency_ms: Some(3),
        }
    }

    #[test]
    fn a_follower_gets_what_it_missed_in_order() {
        let feed = Feed::new();
        feed.push(&RunEvent::AttemptStarted {
            key: AttemptKey::new("c1", "a", 0),
        });
        assert_eq!(feed.running().len(), 1);
        for case in ["c1", "c2", "c3"] {
            feed.push(&finished(case));
        }
        assert!(feed.running().is_empty());
        let Missed::Messages(missed) = feed.since(1) else {
            panic!("nothing was dropped")
        };
        let seqs: Vec<_> = missed.iter().filter_map(LiveMessage::seq).collect();
        assert_eq!(seqs, [2, 3]);
        assert!(matches!(&missed[0], LiveMessage::Attempt { key, .. } if key.case_id == "c2"));
        assert!(matches!(feed.since(3), Missed::Messages(m) if m.is_empty()));
        // A seq this feed never gave (a restarted server) is a gap.
        assert!(matches!(feed.since(99), Missed::Gap));
    }

    #[test]
    fn a_follower_away_too_long_gets_a_gap() {
        let feed = Feed::new();
        for i in 0..KEPT + 5 {
            feed.push(&finished(&format!("c{i}")));
        }
        assert!(matches!(feed.since(2), Missed::Gap));
        assert!(matches!(feed.since(10), Missed::Messages(m) if m.len() == KEPT - 5));
    }
}
