//! Results people can look at: a run as one self-contained HTML page (inline CSS, script and
//! SVG charts; no network), and the pieces the local viewer serves.
//!
//! Everything is read back from the [`RunStore`](benchcore::RunStore): the run and its spec,
//! the per-agent summary and latency counts, and the attempts page by page. A page holds one
//! compact row per attempt of the grid's window (the first ten thousand; the viewer fetches
//! the next on request); the drill-down of an attempt (transcript, evaluations,
//! transcript-test reports, artifacts) is either embedded as JSON (a report file) or fetched
//! when opened (the viewer), and rendered by the page's script only when opened, so a page
//! with ten thousand attempts stays fast.

mod artifacts;
mod attempt;
mod charts;
pub(crate) mod compare;
mod data;
mod document;
mod grid;
pub(crate) mod html;
mod stats;

pub(crate) use attempt::AttemptDetail;
pub(crate) use data::{agent_stats, outcome_code, ReportData};
pub(crate) use document::{
    display_name, is_live, num, run_page, summary_fragment, window_json, RunPage,
};
pub(crate) use grid::{Details, Grid, Rows};
pub(crate) use stats::wilson;

/// Bytes of each artifact file the viewer serves.
pub(crate) const VIEWER_ARTIFACT_CAP: usize = 1024 * 1024;
