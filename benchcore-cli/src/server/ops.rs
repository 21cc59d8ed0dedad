//! Operations: `/health` (the process answers), `/ready` (the store answers, so traffic may
//! come), and `/metrics` in the Prometheus text format.

use super::counters::LATENCY_BUCKETS;
use super::state::ServerState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use benchcore::{Outcome, RunFilter, Workspace};
use serde_json::json;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// `GET /health`.
pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /ready`: 200 when the store answers (its migrations were applied when it was
/// opened), else 503.
pub(crate) async fn ready(State(state): State<ServerState>) -> impl IntoResponse {
    let mut filter = RunFilter::default();
    filter.limit = Some(1);
    let store = state
        .handle
        .store()
        .list_runs(&Workspace::default(), &filter)
        .await;
    let accounts = state.accounts.user_count().await;
    let ok = store.is_ok() && accounts.is_ok() && !state.stopping.is_cancelled();
    let queue = match &state.executor.queued {
        Some(queued) => json!({ "worker_loops": queued.working().await }),
        None => serde_json::Value::Null,
    };
    let body = json!({
        "status": if ok { "ready" } else { "not ready" },
        "store": if store.is_ok() && accounts.is_ok() { "reachable" } else { "unreachable" },
        "migrations": "applied",
        "stopping": state.stopping.is_cancelled(),
        "workers": { "in_process": true, "runs_executing": state.executor.running() },
        "queue": queue,
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<ServerState>) -> impl IntoResponse {
    let c = &state.counters;
    let mut out = String::new();
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "# HELP benchcore_http_requests_total Requests answered, by status class."
    );
    let _ = writeln!(out, "# TYPE benchcore_http_requests_total counter");
    for (i, n) in c.requests.iter().enumerate() {
        let _ = writeln!(
            out,
            "benchcore_http_requests_total{{class=\"{}xx\"}} {}",
            i + 1,
            load(n)
        );
    }
    let _ = writeln!(out, "# HELP benchcore_logins_failed_total Failed sign-ins.");
    let _ = writeln!(out, "# TYPE benchcore_logins_failed_total counter");
    let _ = writeln!(
        out,
        "benchcore_logins_failed_total {}",
        load(&c.logins_failed)
    );
    let _ = writeln!(
        out,
        "# HELP benchcore_runs_launched_total Runs launched through the API."
    );
    let _ = writeln!(out, "# TYPE benchcore_runs_launched_total counter");
    let _ = writeln!(
        out,
        "benchcore_runs_launched_total {}",
        load(&c.runs_launched)
    );
    let _ = writeln!(
        out,
        "# HELP benchcore_runs_executing Runs this server is executing."
    );
    let _ = writeln!(out, "# TYPE benchcore_runs_executing gauge");
    let _ = writeln!(out, "benchcore_runs_executing {}", state.executor.running());
    let _ = writeln!(
        out,
        "# HELP benchcore_attempts_total Attempts finished here, by outcome."
    );
    let _ = writeln!(out, "# TYPE benchcore_attempts_total counter");
    for (outcome, n) in Outcome::ALL.iter().zip(&c.attempts) {
        let _ = writeln!(
            out,
            "benchcore_attempts_total{{outcome=\"{}\"}} {}",
            outcome.as_str(),
            load(n)
        );
    }
    let errors = Outcome::ALL
        .iter()
        .zip(&c.attempts)
        .filter(|(o, _)| **o == Outcome::Error)
        .map(|(_, n)| load(n))
        .sum::<u64>();
    let _ = writeln!(
        out,
        "# HELP benchcore_attempt_errors_total Attempts that ended in an error."
    );
    let _ = writeln!(out, "# TYPE benchcore_attempt_errors_total counter");
    let _ = writeln!(out, "benchcore_attempt_errors_total {errors}");
    if let Some(queue) = state.handle.work_queue() {
        let mut depth = 0;
        let workspaces = state.accounts.workspaces().await.unwrap_or_default();
        for workspace in workspaces.into_iter().map(|w| w.id) {
            depth += queue.pending(&workspace, None).await.unwrap_or(0);
        }
        let _ = writeln!(
            out,
            "# HELP benchcore_queue_depth Queued attempts not recorded yet."
        );
        let _ = writeln!(out, "# TYPE benchcore_queue_depth gauge");
        let _ = writeln!(out, "benchcore_queue_depth {depth}");
    }
    let _ = writeln!(
        out,
        "# HELP benchcore_provider_latency_ms Provider latency of answered attempts."
    );
    let _ = writeln!(out, "# TYPE benchcore_provider_latency_ms histogram");
    for (bound, n) in LATENCY_BUCKETS.iter().zip(&c.latency_buckets) {
        let _ = writeln!(
            out,
            "benchcore_provider_latency_ms_bucket{{le=\"{bound}\"}} {}",
            load(n)
        );
    }
    let count = load(&c.latency_count);
    let _ = writeln!(
        out,
        "benchcore_provider_latency_ms_bucket{{le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(
        out,
        "benchcore_provider_latency_ms_sum {}",
        load(&c.latency_sum_ms)
    );
    let _ = writeln!(out, "benchcore_provider_latency_ms_count {count}");
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
