//! Following one run for one client: what it missed, then every change until the run stops,
//! the client goes away or the server shuts down.

use super::feed::{Feed, Missed};
use super::messages::{LiveMessage, Progress};
use crate::server::state::ServerState;
use benchcore::{RunInfo, RunStatus, Workspace};
use std::sync::Arc;
use tokio::sync::mpsc;

/// One message for the client.
pub(crate) type Message = LiveMessage;

/// Sends `run`'s messages after `after` to `tx`, until the run stops or `tx` closes.
pub(crate) async fn follow(
    state: ServerState,
    workspace: Workspace,
    mut run: RunInfo,
    after: Option<u64>,
    tx: mpsc::Sender<Message>,
) {
    let hub = &state.executor.hub;
    let mut feed = hub.existing(&workspace, &run.id);
    let mut last_seq = after.unwrap_or(0);
    if let Some(after) = after.filter(|a| *a > 0) {
        let missed = feed.as_ref().map_or(Missed::Gap, |f| f.since(after));
        if let Missed::Gap = missed {
            if tx.send(LiveMessage::Reset).await.is_err() {
                return;
            }
            last_seq = feed.as_ref().map_or(0, latest);
        }
    }
    let mut last_progress = None;
    let mut summary_at = None;
    let mut summary = None;
    loop {
        if feed.is_none() {
            feed = hub.existing(&workspace, &run.id);
        }
        if let Some(feed) = &feed {
            if let Missed::Messages(messages) = feed.since(last_seq) {
                for message in messages {
                    last_seq = message.seq().unwrap_or(last_seq);
                    if tx.send(message).await.is_err() {
                        return;
                    }
                }
            }
        }
        if summary_at != Some(run.recorded) {
            match state.handle.store().summarize(&workspace, &run.id).await {
                Ok(s) => {
                    summary = Some(s);
                    summary_at = Some(run.recorded);
                }
                Err(e) => tracing::warn!(run = %run.id, error = %e, "live: cannot summarize"),
            }
        }
        let running = feed.as_ref().map(|f| f.running()).unwrap_or_default();
        let progress = progress(&run, summary.as_ref(), &running);
        if last_progress.as_ref() != Some(&progress) {
            if tx
                .send(LiveMessage::Progress(progress.clone()))
                .await
                .is_err()
            {
                return;
            }
            last_progress = Some(progress);
        }
        let active = state.executor.is_active(&workspace, &run.id);
        if run.status != RunStatus::Running && !active {
            let status = run.status.as_str().to_owned();
            let _ = tx.send(LiveMessage::Done { status }).await;
            return;
        }
        let mut woken = feed.as_ref().map(|f| f.watch());
        tokio::select! {
            _ = tx.closed() => return,
            _ = state.stopping.cancelled() => return,
            _ = tokio::time::sleep(state.options.poll) => {}
            _ = async {
                match woken.as_mut() {
                    Some(w) => { let _ = w.changed().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
        match state.handle.store().get_run(&workspace, &run.id).await {
            Ok(Some(now)) => run = now,
            // Deleted while followed.
            Ok(None) => {
                let status = "deleted".to_owned();
                let _ = tx.send(LiveMessage::Done { status }).await;
                return;
            }
            Err(e) => tracing::warn!(run = %run.id, error = %e, "live: cannot read the run"),
        }
    }
}

fn latest(feed: &Arc<Feed>) -> u64 {
    match feed.since(0) {
        Missed::Messages(all) => all.iter().rev().find_map(LiveMessage::seq).unwrap_or(0),
        Missed::Gap => 0,
    }
}

/// The `progress` message.
fn progress(
    run: &RunInfo,
    summary: Option<&benchcore::RunSummary>,
    running: &[benchcore::AttemptKey],
) -> Progress {
    let (passed, errors, cost) = summary.map_or((0, 0, 0.0), |s| {
        s.agents.iter().fold((0, 0, 0.0), |(p, e, c), a| {
            (p + a.passed, e + a.errors, c + a.cost_usd)
        })
    });
    Progress {
        status: run.status,
        recorded: run.recorded,
        total: run.total(),
        passed,
        pass_rate: summary.and_then(benchcore::RunSummary::pass_rate),
        cost_usd: cost,
        errors,
        running: running.to_vec(),
    }
}
