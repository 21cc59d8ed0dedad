//! The local web viewer (`benchcore view`): pages and JSON over a [`RunStore`], read-only, on
//! 127.0.0.1.
//!
//! | path | what |
//! | --- | --- |
//! | `/` | runs list (filters `suite`, `agent`, `status`, `limit`), live status and progress |
//! | `/runs/{id}` | run detail: the report page, with live progress while the run is running |
//! | `/leaderboard` | best-accuracy run per model |
//! | `/compare?a=RUN&b=RUN` | two runs side by side |
//! | `/api/runs`, `/api/runs/{id}`, `/api/runs/{id}/attempt?case=&agent=&sample=` | JSON |
//! | `/api/runs/{id}/rows?after_case=&after_agent=&after_sample=` | the grid's next window (JSON) |
//! | `/api/compare?a=&b=`, `/api/leaderboard` | JSON |
//! | `/api/runs/{id}/live`, `/api/live/runs` | server-sent events |
//!
//! Everything is read from the store on each request; live streams poll it (every
//! [`ViewOptions::poll`]) and push what changed.

pub(crate) mod api;
pub(crate) mod audio;
mod error;
pub(crate) use error::ViewError;
mod live;
mod lookup;
mod pages;
pub(crate) mod rows;
pub(crate) mod summaries;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use benchcore::{RunStore, Workspace};
use std::sync::Arc;
use std::time::Duration;

/// How the viewer serves.
#[derive(Debug, Clone)]
pub(crate) struct ViewOptions {
    /// The port on 127.0.0.1 (0: any free one).
    pub(crate) port: u16,
    /// How often live streams read the store.
    pub(crate) poll: Duration,
}

/// What every handler reads from.
#[derive(Clone)]
pub(crate) struct Viewer {
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) workspace: Workspace,
    pub(crate) poll: Duration,
    /// Summaries of runs that are not running, kept between requests.
    pub(crate) summaries: Arc<summaries::SummaryCache>,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("workspace", &self.workspace)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// Every route.
fn router(viewer: Viewer) -> Router {
    Router::new()
        .route("/", get(pages::runs))
        .route("/runs/{id}", get(pages::run))
        .route("/leaderboard", get(pages::leaderboard))
        .route("/compare", get(pages::compare))
        .route("/api/runs", get(api::runs))
        .route("/api/runs/{id}", get(api::run))
        .route("/api/runs/{id}/attempt", get(api::attempt))
        .route("/api/runs/{id}/audio", get(audio::audio))
        .route("/api/runs/{id}/rows", get(rows::rows))
        .route("/api/runs/{id}/live", get(live::run))
        .route("/api/live/runs", get(live::runs))
        .route("/api/compare", get(api::compare))
        .route("/api/leaderboard", get(api::leaderboard))
        .fallback(error::not_found)
        .with_state(viewer)
}

/// Serves until Ctrl-C. Prints `benchcore view: http://127.0.0.1:PORT/` on stdout once it
/// listens.
pub(crate) async fn serve(
    store: Arc<dyn RunStore>,
    workspace: Workspace,
    options: ViewOptions,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", options.port))?;
    let address = listener.local_addr()?;
    crate::output::print(&format!(
        "benchcore view: http://{address}/ (workspace {workspace}; Ctrl-C stops)\n"
    ))?;
    let app = router(Viewer {
        store,
        workspace,
        poll: options.poll,
        summaries: Arc::default(),
    });
    // Live streams never end on their own, so Ctrl-C drops the server rather than waiting for
    // connections to close: nothing is written, so nothing can be cut short.
    tokio::select! {
        served = axum::serve(listener, app) => served.context("serving the viewer"),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
