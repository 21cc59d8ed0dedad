//! Live progress by server-sent events. Each stream polls the store (every
//! [`Viewer::poll`](super::Viewer)) and pushes only what changed:
//!
//! - run streams: `progress` (status, recorded, total) whenever either changes; `rows` (the
//!   attempts recorded or replaced since the last push) and `summary` (the per-agent table
//!   and charts, rendered here) when attempts were recorded; `done` once the run stopped
//!   running, after which the stream ends;
//! - the runs stream: `runs` (the list's rows) whenever a run's status or count changes.

use super::api::RunsQuery;
use super::error::ViewError;
use super::pages::run_row;
use super::{lookup, Viewer};
use crate::report::html::utc;
use crate::report::{self, num, outcome_code, Details, ReportData, Rows};
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, KeepAliveStream, Sse};
use benchcore::{RunInfo, RunStatus, RunSummary};
use futures::Stream;
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Instant;
use tokio::sync::mpsc;

type EventStream =
    Sse<KeepAliveStream<futures::stream::BoxStream<'static, Result<Event, Infallible>>>>;

/// Turns a channel the polling task fills into an event stream; the task stops when the page
/// goes away (its sends fail).
fn stream_of(rx: mpsc::Receiver<Event>) -> EventStream {
    let stream: futures::stream::BoxStream<'static, Result<Event, Infallible>> =
        Box::pin(receiver_stream(rx));
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn receiver_stream(rx: mpsc::Receiver<Event>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (Ok(event), rx))
    })
}

fn event(name: &str, data: &serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// What a run page last received of one attempt.
type Seen = HashMap<(String, String, u32), String>;

/// `GET /api/runs/{id}/live`.
pub(crate) async fn run(
    State(viewer): State<Viewer>,
    Path(id): Path<String>,
) -> Result<EventStream, ViewError> {
    let run = lookup::run(&viewer, &id).await?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(follow_run(viewer, run, tx));
    Ok(stream_of(rx))
}

fn progress(run: &RunInfo) -> serde_json::Value {
    serde_json::json!({
        "status": run.status,
        "recorded": run.recorded,
        "total": run.total(),
        "updated": utc(run.updated_at_ms),
    })
}

async fn follow_run(viewer: Viewer, mut run: RunInfo, tx: mpsc::Sender<Event>) {
    let mut seen = Seen::new();
    let mut last_progress = None;
    let mut next_load = Instant::now();
    let mut loaded_at_recorded = None;
    loop {
        let state = (run.status, run.recorded);
        if last_progress != Some(state) {
            if tx.send(event("progress", &progress(&run))).await.is_err() {
                return;
            }
            last_progress = Some(state);
        }
        let finished = run.status != RunStatus::Running;
        // Reload the attempts when some were recorded, throttled to a few times the cost of a
        // load (a big run is not re-read twice a second); always once more at the end.
        let due = loaded_at_recorded != Some(run.recorded) && Instant::now() >= next_load;
        if due || (finished && loaded_at_recorded != Some(run.recorded)) {
            let started = Instant::now();
            match ReportData::load(
                viewer.store.as_ref(),
                &viewer.workspace,
                run.clone(),
                Details::Lazy,
                Rows::Window(None),
            )
            .await
            {
                Ok(data) => {
                    let rows = changed_rows(&data, &mut seen);
                    if !rows.is_empty() && tx.send(event("rows", &rows.into())).await.is_err() {
                        return;
                    }
                    let html = report::summary_fragment(&data.agent_stats());
                    let summary = serde_json::json!({ "html": html });
                    if tx.send(event("summary", &summary)).await.is_err() {
                        return;
                    }
                    loaded_at_recorded = Some(run.recorded);
                }
                Err(e) => {
                    let _ = tx
                        .send(event(
                            "problem",
                            &serde_json::json!({ "error": format!("{e:#}") }),
                        ))
                        .await;
                }
            }
            next_load = Instant::now() + (started.elapsed() * 4).max(viewer.poll);
        }
        if finished && loaded_at_recorded == Some(run.recorded) {
            let _ = tx.send(event("done", &progress(&run))).await;
            return;
        }
        tokio::time::sleep(viewer.poll).await;
        if tx.is_closed() {
            return;
        }
        match viewer.store.get_run(&viewer.workspace, &run.id).await {
            Ok(Some(now)) => run = now,
            Ok(None) => {
                let _ = tx
                    .send(event(
                        "problem",
                        &serde_json::json!({ "error": "the run is gone" }),
                    ))
                    .await;
                return;
            }
            // A store hiccup: try again at the next poll.
            Err(_) => {}
        }
    }
}

/// The rows that are new or differ from what the page was last sent, by case and agent name.
fn changed_rows(data: &ReportData, seen: &mut Seen) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for row in &data.grid.rows {
        let case = &data.grid.cases[row.case as usize];
        let agent = &data.grid.agents[row.agent as usize];
        let fingerprint = format!(
            "{}|{}|{}|{}",
            outcome_code(row.outcome),
            num(row.score),
            num(row.latency_ms.map(|v| v as f64)),
            num(row.cost_usd)
        );
        let key = (case.clone(), agent.clone(), row.sample);
        if seen.get(&key) == Some(&fingerprint) {
            continue;
        }
        seen.insert(key, fingerprint);
        out.push(serde_json::json!([
            case,
            agent,
            row.sample,
            outcome_code(row.outcome),
            row.score,
            row.latency_ms,
            row.cost_usd
        ]));
    }
    out
}

/// `GET /api/live/runs`.
pub(crate) async fn runs(
    State(viewer): State<Viewer>,
    Query(query): Query<RunsQuery>,
) -> Result<EventStream, ViewError> {
    let filter = query.filter()?;
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut last: Option<Vec<(String, RunStatus, u64)>> = None;
        let mut summaries: HashMap<String, ((RunStatus, u64), Option<RunSummary>)> = HashMap::new();
        loop {
            if let Ok(runs) = viewer.store.list_runs(&viewer.workspace, &filter).await {
                let now: Vec<_> = runs
                    .iter()
                    .map(|r| (r.id.clone(), r.status, r.recorded))
                    .collect();
                if last.as_ref() != Some(&now) {
                    let mut html = String::new();
                    for run in &runs {
                        let state = (run.status, run.recorded);
                        let cached = summaries.get(&run.id).filter(|(s, _)| *s == state);
                        let summary = match cached {
                            Some((_, summary)) => summary.clone(),
                            None => {
                                let summary = viewer
                                    .store
                                    .summarize(&viewer.workspace, &run.id)
                                    .await
                                    .ok();
                                summaries.insert(run.id.clone(), (state, summary.clone()));
                                summary
                            }
                        };
                        html.push_str(&run_row(run, summary.as_ref()));
                    }
                    let data = serde_json::json!({ "html": html });
                    if tx.send(event("runs", &data)).await.is_err() {
                        return;
                    }
                    last = Some(now);
                }
            }
            tokio::time::sleep(viewer.poll).await;
            if tx.is_closed() {
                return;
            }
        }
    });
    Ok(stream_of(rx))
}
