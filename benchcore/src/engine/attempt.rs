//! One attempt: play its episode, evaluate, test, and build its record.

use super::agent_state::{AgentState, HeldSlots};
use super::episode::{Episode, EpisodeContext, Spent};
use super::events::RunEvent;
use super::shared::RunShared;
use crate::evaluator::Extractor;
use crate::{
    now_ms, AttemptFailure, AttemptKey, AttemptRecord, Case, Ending, EvalContext, EvalError,
    Evaluation, Outcome, Transcript,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Runs one attempt to its record. `queued_at` is when it was scheduled, for wall time.
/// `None` leaves the attempt pending (unrecorded, so `resume` runs it): its agent was stopped
/// as unreachable before the attempt could finish.
pub(crate) async fn run_attempt(
    run: &RunShared,
    episode: &dyn Episode,
    agent: &AgentState,
    slots: &HeldSlots,
    case: Arc<Case>,
    sample: u32,
    queued_at: Instant,
) -> Option<AttemptRecord> {
    let key = AttemptKey::new(case.id.clone(), agent.name.clone(), sample);
    let started_at_ms = now_ms();
    let mut record = AttemptRecord::new(run.run_id.clone(), key.clone(), Outcome::Error);
    record.started_at_ms = started_at_ms;
    record.artifacts_dir = run.artifacts_dir(&key);

    let finish = |mut record: AttemptRecord| {
        record.wall_ms = queued_at.elapsed().as_millis() as u64;
        record.finished_at_ms = now_ms();
        run.emit(RunEvent::AttemptFinished {
            key: record.key.clone(),
            outcome: record.outcome,
            score: record.score,
            latency_ms: record.latency_ms,
        });
        record
    };

    if let Some(reason) = run.budget_spent() {
        record.outcome = Outcome::Skipped;
        record.failure = Some(AttemptFailure {
            kind: "budget".into(),
            message: reason,
        });
        return Some(finish(record));
    }
    if agent.leaves_pending() {
        return None;
    }
    if let Some(error) = agent.not_sent() {
        record.failure = Some(AttemptFailure {
            kind: error.kind.as_str().into(),
            message: error.message,
        });
        return Some(finish(record));
    }

    run.emit(RunEvent::AttemptStarted { key: key.clone() });
    let artifacts = record.artifacts_dir.as_ref().map(PathBuf::from);
    let mut cx = EpisodeContext {
        run,
        agent,
        slots: Some(slots),
        case: Arc::clone(&case),
        key,
        artifacts: artifacts.as_deref(),
        transcript: Transcript::default(),
        turn_timeout: None,
        spent: Spent::default(),
        reports: Vec::new(),
    };
    let played = episode.play(&mut cx).await;
    let EpisodeContext {
        transcript,
        spent,
        reports,
        case,
        ..
    } = cx;
    record.transcript = transcript;
    record.retries = spent.retries;
    record.usage = spent.usage;
    record.cost_usd = spent.cost_usd;
    record.model = spent.model;
    record.cached = spent.cached;
    record.latency_ms = spent.latency.map(|d| d.as_millis() as u64);
    record.ttft_ms = spent.ttft.map(|d| d.as_millis() as u64);
    if let Err(error) = played {
        if agent.leaves_pending() {
            return None;
        }
        record.work_ms = spent.work.as_millis() as u64;
        record.transcript.ending.get_or_insert(Ending::Error);
        record.failure = Some(AttemptFailure {
            kind: error.kind.as_str().into(),
            message: error.to_string(),
        });
        return Some(finish(record));
    }
    record.transcript.ending.get_or_insert(Ending::Natural);

    let judged_at = Instant::now();
    let reply = record.reply().to_owned();
    let judged = evaluate(run, &case, &reply, &record).await;
    record.outcome = judged.outcome;
    record.score = judged.score;
    record.evaluations = judged.evaluations;
    // Judging is part of what the attempt cost (an LLM judge), and of the run's budget.
    let judging: f64 = record.evaluations.iter().filter_map(|e| e.cost_usd).sum();
    if judging > 0.0 {
        record.cost_usd = Some(record.cost_usd.unwrap_or(0.0) + judging);
        run.add_spent(judging);
    }
    record.failure = judged.failure;
    record.reports = reports;
    record
        .reports
        .extend(run.tests.iter().map(|t| t.run(&record.transcript)));
    record.work_ms = (spent.work + judged_at.elapsed()).as_millis() as u64;
    Some(finish(record))
}

/// What the evaluators made of an attempt.
struct Judged {
    outcome: Outcome,
    score: Option<f64>,
    evaluations: Vec<Evaluation>,
    failure: Option<AttemptFailure>,
}

/// Runs every evaluator. Passed when all pass; failed when any fails; invalid when none
/// failed but one could not judge; an `error` when an evaluator's own infrastructure broke (a
/// sandbox that could not start), which keeps the attempt out of accuracy. The score is the
/// mean of the scores given.
///
/// With an extractor, the evaluators see the extracted answer, not the whole reply (which
/// stays in the transcript), and every evaluation notes what was extracted; when nothing
/// can be, no evaluator can judge, so the attempt is `invalid` rather than a silent fail.
async fn evaluate(run: &RunShared, case: &Case, reply: &str, record: &AttemptRecord) -> Judged {
    let extracted = run.extract.as_ref().map(|x| (x, x.apply(reply, case)));
    let answer = match &extracted {
        Some((_, Some(text))) => text.as_str(),
        _ => reply,
    };
    let mut cx = EvalContext::new(case, answer, &record.transcript);
    let artifacts = record.artifacts_dir.as_ref().map(PathBuf::from);
    cx.artifacts = artifacts.as_deref();
    let mut evaluations = Vec::with_capacity(run.evaluators.len());
    let mut failure = None;
    for evaluator in &run.evaluators {
        let judged = match &extracted {
            Some((extractor, None)) => Err(EvalError::new(format!(
                "extractor `{extractor}` found no answer in the reply"
            ))),
            _ => {
                let span = tracing::debug_span!("evaluation", evaluator = evaluator.name());
                evaluator.evaluate(&cx).instrument(span).await
            }
        };
        let mut evaluation = match judged {
            Ok(mut evaluation) => {
                evaluation.score = evaluation.score.map(|s| s.clamp(0.0, 1.0));
                evaluation
            }
            Err(error) => {
                if error.is_infrastructure() && failure.is_none() {
                    failure = Some(AttemptFailure {
                        kind: "infrastructure".into(),
                        message: format!("{}: {}", evaluator.name(), error.message),
                    });
                }
                Evaluation::could_not_judge(evaluator.name(), &error)
            }
        };
        if let Some((extractor, text)) = &extracted {
            note_extraction(&mut evaluation, extractor, text.as_deref());
        }
        evaluations.push(evaluation);
    }
    let scores: Vec<f64> = evaluations.iter().filter_map(|e| e.score).collect();
    let score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let outcome = if failure.is_some() {
        Outcome::Error
    } else if evaluations.iter().any(|e| e.passed == Some(false)) {
        Outcome::Failed
    } else if evaluations.iter().any(|e| e.passed.is_none()) {
        Outcome::Invalid
    } else {
        Outcome::Passed
    };
    Judged {
        outcome,
        score,
        evaluations,
        failure,
    }
}

/// Adds `extracted` and `extractor` to an evaluation's details, so a reader sees what was
/// compared; details that are not an object are kept under `value`.
fn note_extraction(evaluation: &mut Evaluation, extractor: &Extractor, text: Option<&str>) {
    let mut details = match std::mem::take(&mut evaluation.details) {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Null => serde_json::Map::new(),
        other => serde_json::Map::from_iter([("value".to_owned(), other)]),
    };
    details.insert("extracted".into(), text.into());
    details.insert("extractor".into(), extractor.to_string().into());
    evaluation.details = serde_json::Value::Object(details);
}
