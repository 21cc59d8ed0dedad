//! Builders and assertions the cases share.

use crate::store::{
    AgentSpec, AttemptQuery, RunFilter, RunInfo, RunSpec, RunStore, StoreError, StoreErrorKind,
    SuiteRef, Workspace,
};
use crate::{
    AttemptFailure, AttemptKey, AttemptRecord, Ending, Evaluation, Outcome, Speaker, Status,
    TestReport, Transcript, Turn, Usage, Variable,
};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub(super) fn workspace(name: &str) -> Workspace {
    Workspace::new(name).expect("a valid workspace name")
}

pub(super) fn spec(suite: &str, agents: &[&str], cases: u64) -> RunSpec {
    RunSpec {
        suite: SuiteRef {
            name: suite.to_owned(),
            cases,
            ..SuiteRef::default()
        },
        agents: agents.iter().map(|a| AgentSpec::named(*a)).collect(),
        ..RunSpec::default()
    }
}

pub(super) fn record(
    run_id: &str,
    case_id: &str,
    agent: &str,
    sample: u32,
    outcome: Outcome,
) -> AttemptRecord {
    AttemptRecord::new(run_id, AttemptKey::new(case_id, agent, sample), outcome)
}

pub(super) fn failure(kind: &str, message: &str) -> Option<AttemptFailure> {
    Some(AttemptFailure {
        kind: kind.to_owned(),
        message: message.to_owned(),
    })
}

/// A record with every field set to something other than its default.
pub(super) fn full_record(run_id: &str, case_id: &str, agent: &str, sample: u32) -> AttemptRecord {
    let mut r = record(run_id, case_id, agent, sample, Outcome::Failed);
    r.score = Some(0.375);
    let mut transcript = Transcript::default();
    transcript.push(Turn::new(Speaker::System, "Answer briefly.").at(1_700_000_000_000));
    transcript
        .push(Turn::new(Speaker::Participant, "What is 6 × 7? \"quoted\"\n").at(1_700_000_000_001));
    transcript.push(
        Turn::new(Speaker::Agent, "42 — ünïcødé ✓")
            .at(1_700_000_000_250)
            .with_timing(Some(249), Some(Usage::new(12, 3))),
    );
    transcript.ending = Some(Ending::TurnLimit);
    r.transcript = transcript;
    let mut graded = Evaluation::scored("numeric", 0.75, 0.5)
        .with_label("close")
        .with_rationale("within tolerance");
    graded.details = serde_json::json!({"target": 42, "got": [41.5, "x"], "nested": {"ok": true}});
    let mut unjudged = Evaluation::binary("regex", false);
    unjudged.score = None;
    unjudged.passed = None;
    unjudged.error = Some("pattern needs a target".to_owned());
    r.evaluations = vec![Evaluation::binary("exact", false), graded, unjudged];
    r.reports = vec![TestReport {
        title: "Turn count".to_owned(),
        variables: vec![
            Variable {
                metric: "turns".to_owned(),
                value: serde_json::json!(3),
                status: Status::Warning,
            },
            Variable {
                metric: "ended".to_owned(),
                value: serde_json::json!("turn_limit"),
                status: Status::Poor,
            },
        ],
    }];
    r.failure = failure("rate_limited", "429 after 3 retries: 'slow down'");
    r.usage = Usage::new(1 << 40, 123_456_789);
    r.cost_usd = Some(0.015625);
    r.model = Some("model-x-2026-01".to_owned());
    r.latency_ms = Some(1_234);
    r.ttft_ms = Some(87);
    r.wall_ms = 9_876;
    r.work_ms = 4_321;
    r.retries = 3;
    r.cached = true;
    r.started_at_ms = 1_700_000_000_000;
    r.finished_at_ms = 1_700_000_009_876;
    r.artifacts_dir = Some("/tmp/artifacts/run-1/q__a__sample00".to_owned());
    r
}

/// Fails unless `result` is an error of `kind`.
#[track_caller]
pub(super) fn expect_kind<T: fmt::Debug>(
    result: Result<T, StoreError>,
    kind: StoreErrorKind,
    what: &str,
) {
    match result {
        Err(e) if e.kind() == kind => {}
        Err(e) => panic!(
            "{what}: expected a {kind} error, got a {} error: {e}",
            e.kind()
        ),
        Ok(v) => panic!("{what}: expected a {kind} error, got Ok({v:?})"),
    }
}

#[track_caller]
pub(super) fn ok<T>(result: Result<T, StoreError>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}

pub(super) async fn create(
    store: &Arc<dyn RunStore>,
    ws: &Workspace,
    run_id: &str,
    spec: &RunSpec,
) {
    ok(
        store.create_run(ws, run_id, spec).await,
        &format!("create_run {run_id:?} in {ws}"),
    );
}

pub(super) async fn recorded(store: &Arc<dyn RunStore>, ws: &Workspace, records: &[AttemptRecord]) {
    ok(
        store.record_attempts(ws, records).await,
        &format!("record_attempts of {} in {ws}", records.len()),
    );
}

pub(super) async fn outcomes(
    store: &Arc<dyn RunStore>,
    ws: &Workspace,
    run_id: &str,
) -> BTreeMap<AttemptKey, Outcome> {
    ok(
        store.attempt_outcomes(ws, run_id).await,
        &format!("attempt_outcomes of {run_id:?} in {ws}"),
    )
    .into_iter()
    .collect()
}

pub(super) async fn all_attempts(
    store: &Arc<dyn RunStore>,
    ws: &Workspace,
    run_id: &str,
) -> Vec<AttemptRecord> {
    ok(
        store.attempts(ws, run_id, &AttemptQuery::default()).await,
        &format!("attempts of {run_id:?} in {ws}"),
    )
}

pub(super) async fn run_info(store: &Arc<dyn RunStore>, ws: &Workspace, run_id: &str) -> RunInfo {
    ok(
        store.get_run(ws, run_id).await,
        &format!("get_run {run_id:?} in {ws}"),
    )
    .unwrap_or_else(|| panic!("get_run {run_id:?} in {ws}: the run is missing"))
}

pub(super) async fn listed(
    store: &Arc<dyn RunStore>,
    ws: &Workspace,
    filter: &RunFilter,
) -> Vec<String> {
    ok(
        store.list_runs(ws, filter).await,
        &format!("list_runs {filter:?}"),
    )
    .into_iter()
    .map(|r| r.id)
    .collect()
}

pub(super) fn query(
    agent: Option<&str>,
    outcome: Option<Outcome>,
    offset: usize,
    limit: Option<usize>,
) -> AttemptQuery {
    AttemptQuery {
        agent: agent.map(str::to_owned),
        outcome,
        offset,
        limit,
        after: None,
    }
}

pub(super) fn close_to(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}
