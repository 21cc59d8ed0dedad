//! One attempt as the drill-down shows it: the transcript, evaluations with rationales,
//! transcript-test reports, the failure, usage and timings, and its artifact files.

use super::artifacts::{read_artifacts, Artifact};
use benchcore::{AttemptFailure, AttemptKey, AttemptRecord, Evaluation, TestReport, Turn};
use serde::Serialize;
use std::path::Path;

/// What the drill-down of one attempt needs, serialized as JSON into the report or served by
/// the viewer.
#[derive(Debug, Serialize)]
pub(crate) struct AttemptDetail<'a> {
    key: &'a AttemptKey,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a AttemptFailure>,
    input_tokens: u64,
    output_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttft_ms: Option<u64>,
    wall_ms: u64,
    work_ms: u64,
    retries: u32,
    cached: bool,
    started_at_ms: u64,
    finished_at_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ending: Option<benchcore::Ending>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_reason: Option<benchcore::agent::StopReason>,
    turns: &'a [Turn],
    evaluations: &'a [Evaluation],
    reports: &'a [TestReport],
    #[serde(skip_serializing_if = "Option::is_none")]
    artifacts_dir: Option<&'a str>,
    artifacts: Vec<Artifact>,
}

impl<'a> AttemptDetail<'a> {
    /// The detail of a record, with its artifact files read up to `artifact_cap` bytes each
    /// (none with a cap of 0).
    pub(crate) fn of(record: &'a AttemptRecord, artifact_cap: usize) -> Self {
        let artifacts = match (&record.artifacts_dir, artifact_cap) {
            (Some(dir), cap) if cap > 0 => read_artifacts(Path::new(dir), cap),
            _ => Vec::new(),
        };
        Self {
            key: &record.key,
            outcome: record.outcome.as_str(),
            score: record.score,
            model: record.model.as_deref(),
            failure: record.failure.as_ref(),
            input_tokens: record.usage.input_tokens,
            output_tokens: record.usage.output_tokens,
            cost_usd: record.cost_usd,
            latency_ms: record.latency_ms,
            ttft_ms: record.ttft_ms,
            wall_ms: record.wall_ms,
            work_ms: record.work_ms,
            retries: record.retries,
            cached: record.cached,
            started_at_ms: record.started_at_ms,
            finished_at_ms: record.finished_at_ms,
            ending: record.transcript.ending,
            stop_reason: record.stop_reason(),
            turns: &record.transcript.turns,
            evaluations: &record.evaluations,
            reports: &record.reports,
            artifacts_dir: record.artifacts_dir.as_deref(),
            artifacts,
        }
    }
}
