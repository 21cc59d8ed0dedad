//! [`compute_metrics`]: judge a stored run's conversations once, keep the scores with the run.

use super::judge::QualityJudge;
use benchcore::store::{for_each_page, MetricRecord};
use benchcore::{
    AttemptKey, AttemptRecord, Case, Error, EvalContext, Message, Outcome, RunStore, Speaker,
    StoreError, Workspace,
};
use futures::StreamExt;
use std::collections::HashSet;

/// Attempts read from the store at a time.
const PAGE: usize = 200;

/// How [`compute_metrics`] treats metrics already stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsOptions {
    /// Judge every conversation again and replace its stored metrics; otherwise only
    /// metrics not stored yet are computed.
    pub recompute: bool,
}

impl MetricsOptions {
    /// Judge again, replacing what is stored.
    pub fn recompute() -> Self {
        Self { recompute: true }
    }
}

/// A metric the judge could not give.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricFailure {
    /// The attempt.
    pub key: AttemptKey,
    /// The metric.
    pub metric: String,
    /// Why (the judge's error, or a reply with no readable score).
    pub message: String,
}

/// What [`compute_metrics`] did, and every metric the run has now.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MetricsReport {
    /// The run.
    pub run_id: String,
    /// Every stored metric of the run, ordered by attempt key and metric name.
    pub metrics: Vec<MetricRecord>,
    /// Metrics computed (judge requests that gave a score) by this call.
    pub computed: usize,
    /// Metrics this call found stored and did not compute again.
    pub reused: usize,
    /// The judge's cost of this call, in US dollars, when the judge reports one.
    pub cost_usd: f64,
    /// Attempts left out, and why (errors, skipped attempts, no interviewer turn).
    pub skipped: Vec<(AttemptKey, String)>,
    /// Metrics the judge could not give; they are not stored, so the next call tries them
    /// again.
    pub failures: Vec<MetricFailure>,
}

/// The metrics stored with a run, as they are: no judge is called.
///
/// # Errors
/// The run is not in the workspace, or the store fails.
pub async fn stored_metrics(
    store: &dyn RunStore,
    workspace: &Workspace,
    run_id: &str,
) -> Result<Vec<MetricRecord>, Error> {
    store
        .get_run(workspace, run_id)
        .await?
        .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
    Ok(store.metrics(workspace, run_id).await?)
}

/// Judges the conversations of a stored run against the judge's rubric (one metric per
/// criterion and conversation) and stores the scores with the run.
///
/// - Only on request: nothing computes metrics but this call.
/// - Without [`MetricsOptions::recompute`], metrics already stored are returned as they
///   are and only missing ones are computed: a second call on a judged run calls no judge.
///   With it, every metric of the rubric is computed again and replaces the stored one.
/// - Attempts recorded as `error` or `skipped`, and transcripts without an interviewer turn,
///   are left out (listed in [`MetricsReport::skipped`]).
/// - The judge sees the interviewer's instructions (the prompt recorded with the run) as
///   the task and the whole `AGENT:`/`PARTICIPANT:` transcript as the response.
/// - Each metric is stored as soon as it is computed, so an interrupted call keeps what it
///   did. A metric the judge could not give is reported, not stored.
///
/// # Errors
/// The run is not in the workspace, is not a conversation run, or the store fails.
pub async fn compute_metrics(
    store: &dyn RunStore,
    workspace: &Workspace,
    run_id: &str,
    judge: &QualityJudge,
    options: MetricsOptions,
) -> Result<MetricsReport, Error> {
    let run = store
        .get_run(workspace, run_id)
        .await?
        .ok_or_else(|| StoreError::run_not_found(workspace, run_id))?;
    if run.spec.kind != "conversation" {
        return Err(Error::Run(format!(
            "run {run_id} is a {} run: quality metrics judge conversations",
            run.spec.kind
        )));
    }
    let stored: HashSet<(AttemptKey, String)> = store
        .metrics(workspace, run_id)
        .await?
        .into_iter()
        .map(|m| (m.key, m.metric))
        .collect();

    let mut report = MetricsReport {
        run_id: run_id.to_owned(),
        metrics: Vec::new(),
        computed: 0,
        reused: 0,
        cost_usd: 0.0,
        skipped: Vec::new(),
        failures: Vec::new(),
    };
    let mut jobs = Vec::new();
    for_each_page(store, workspace, run_id, PAGE, |page| {
        for attempt in page {
            if let Some(why) = not_judged(&attempt) {
                report.skipped.push((attempt.key.clone(), why));
                continue;
            }
            let instructions = instructions(&run.spec.tags, &attempt.key.case_id);
            for (i, (criterion, _)) in judge.criteria.iter().enumerate() {
                let have = stored.contains(&(attempt.key.clone(), criterion.name.clone()));
                if have && !options.recompute {
                    report.reused += 1;
                } else {
                    jobs.push((i, attempt.clone(), instructions.clone()));
                }
            }
        }
    })
    .await?;

    let mut results = futures::stream::iter(jobs)
        .map(|(i, attempt, instructions)| judge_one(judge, i, attempt, instructions))
        .buffer_unordered(judge.concurrency);
    while let Some(result) = results.next().await {
        match result {
            Ok((metric, cost)) => {
                store
                    .record_metrics(workspace, run_id, std::slice::from_ref(&metric))
                    .await?;
                report.computed += 1;
                report.cost_usd += cost;
            }
            Err(failure) => report.failures.push(failure),
        }
    }
    report
        .failures
        .sort_by(|a, b| (&a.key, &a.metric).cmp(&(&b.key, &b.metric)));
    report.metrics = store.metrics(workspace, run_id).await?;
    Ok(report)
}

/// Why an attempt gets no metrics, if it gets none.
fn not_judged(attempt: &AttemptRecord) -> Option<String> {
    match attempt.outcome {
        Outcome::Error | Outcome::Skipped => {
            return Some(format!("recorded as {}", attempt.outcome));
        }
        _ => {}
    }
    if !attempt
        .transcript
        .turns
        .iter()
        .any(|t| t.speaker == Speaker::Agent)
    {
        return Some("the interviewer never spoke".into());
    }
    None
}

/// The interviewer's prompt the run recorded for a scenario (see
/// `ConversationSuite::spec_tags`).
fn instructions(tags: &serde_json::Value, case_id: &str) -> String {
    let conversation = &tags["conversation"];
    let id = &conversation["scenarios"][case_id]["interviewer_prompt_id"];
    id.as_str()
        .and_then(|id| conversation["prompts"][id]["text"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            "(The interviewer's instructions were not recorded with the run.)".into()
        })
}

/// Asks the judge for one criterion of one conversation.
async fn judge_one(
    judge: &QualityJudge,
    criterion: usize,
    attempt: AttemptRecord,
    instructions: String,
) -> Result<(MetricRecord, f64), MetricFailure> {
    let (criterion, evaluator) = &judge.criteria[criterion];
    let case = Case::from_messages(
        attempt.key.case_id.clone(),
        vec![Message::user(instructions)],
    );
    let transcript = attempt.transcript.render();
    let cx = EvalContext::new(&case, &transcript, &attempt.transcript);
    let failure = |message: String| MetricFailure {
        key: attempt.key.clone(),
        metric: criterion.name.clone(),
        message,
    };
    let evaluation = benchcore::Evaluator::evaluate(evaluator, &cx)
        .await
        .map_err(|e| failure(e.message))?;
    let score = evaluation
        .score
        .ok_or_else(|| failure("the judge gave no score".into()))?;
    let cost = evaluation.details["judge_cost_usd"].as_f64().unwrap_or(0.0);
    let mut details = evaluation.details;
    if let Some(map) = details.as_object_mut() {
        map.insert("rubric".into(), criterion.rubric.clone().into());
    }
    let mut metric =
        MetricRecord::new(attempt.key.clone(), criterion.name.clone(), score).with_details(details);
    metric.label = evaluation.label;
    metric.rationale = evaluation.rationale;
    Ok((metric, cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::{Criterion, QualityConfig};
    use crate::AgentConfig;
    use benchcore::{
        async_trait, Agent, AgentError, AgentReply, AgentRequest, MemoryStore, RunSpec, Transcript,
    };
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// Grades 7/10, except that it cannot grade `empathy` until `fixed` is set.
    #[derive(Default)]
    struct Judge {
        calls: AtomicUsize,
        fixed: std::sync::atomic::AtomicBool,
        prompts: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Agent for Judge {
        fn name(&self) -> &str {
            "test-judge"
        }
        async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let prompt = request.messages[1].content.clone();
            self.prompts.lock().unwrap().push(prompt.clone());
            if prompt.contains("Empathy") && !self.fixed.load(Ordering::SeqCst) {
                return Ok(AgentReply::text("I would rather not say."));
            }
            Ok(AgentReply::text(r#"{"score": 7, "rationale": "Decent."}"#).with_cost(0.001))
        }
    }

    fn judge(agent: Arc<Judge>) -> QualityJudge {
        QualityConfig::new(AgentConfig::Gold)
            .with_criteria(vec![
                Criterion::new("rapport", "Rapport: warm?"),
                Criterion::new("empathy", "Empathy: kind?"),
            ])
            .with_retries(0, std::time::Duration::from_millis(1))
            .build_with(agent)
            .unwrap()
    }

    async fn conversation_run(store: &MemoryStore, ws: &Workspace) {
        let mut spec = RunSpec::default();
        spec.kind = "conversation".into();
        spec.tags = serde_json::json!({"conversation": {
            "scenarios": {"coffee": {"interviewer_prompt_id": "p1"}},
            "prompts": {"p1": {"name": "asker", "text": "Ask about coffee habits."}},
        }});
        store.create_run(ws, "r", &spec).await.unwrap();
        let talk = Transcript::parse("AGENT: How do you take it?\nPARTICIPANT: Black.");
        let mut records = Vec::new();
        for (case, outcome) in [
            ("coffee", Outcome::Passed),
            ("tea", Outcome::Failed),
            ("broken", Outcome::Error),
        ] {
            let mut r = AttemptRecord::new("r", AttemptKey::new(case, "bot", 0), outcome);
            r.transcript = talk.clone();
            records.push(r);
        }
        let mut silent =
            AttemptRecord::new("r", AttemptKey::new("silent", "bot", 0), Outcome::Passed);
        silent.transcript = Transcript::parse("PARTICIPANT: Hello?");
        records.push(silent);
        store.record_attempts(ws, &records).await.unwrap();
    }

    #[tokio::test]
    async fn metrics_are_computed_once_stored_and_recomputed_on_request() {
        let store = MemoryStore::new();
        let ws = Workspace::default();
        conversation_run(&store, &ws).await;
        let agent = Arc::new(Judge::default());
        let judge = judge(agent.clone());

        let first = compute_metrics(&store, &ws, "r", &judge, MetricsOptions::default())
            .await
            .unwrap();
        assert_eq!(
            agent.calls.load(Ordering::SeqCst),
            4,
            "2 conversations × 2 criteria"
        );
        assert_eq!((first.computed, first.reused), (2, 0));
        assert_eq!(first.failures.len(), 2, "{:?}", first.failures);
        assert!(first.failures[0].message.contains("no score could be read"));
        assert_eq!(first.metrics.len(), 2, "failures are not stored");
        assert!((first.cost_usd - 0.002).abs() < 1e-9);
        let skipped: Vec<&str> = first
            .skipped
            .iter()
            .map(|(k, _)| k.case_id.as_str())
            .collect();
        assert_eq!(skipped, ["broken", "silent"]);
        let m = &first.metrics[0];
        assert_eq!(
            (m.key.case_id.as_str(), m.metric.as_str()),
            ("coffee", "rapport")
        );
        assert_eq!((m.score, m.label.as_deref()), (0.7, Some("7/10")));
        assert_eq!(m.rationale.as_deref(), Some("Decent."));
        assert_eq!(m.details["rubric"], "Rapport: warm?");
        let prompt = agent.prompts.lock().unwrap()[0].clone();
        assert!(
            prompt.contains("<task>\nAsk about coffee habits.\n</task>"),
            "{prompt}"
        );
        assert!(
            prompt.contains(
                "<response>\nAGENT: How do you take it?\nPARTICIPANT: Black.\n</response>"
            ),
            "{prompt}"
        );

        // Only the missing metrics are computed again.
        agent.fixed.store(true, Ordering::SeqCst);
        let second = compute_metrics(&store, &ws, "r", &judge, MetricsOptions::default())
            .await
            .unwrap();
        assert_eq!(agent.calls.load(Ordering::SeqCst), 6);
        assert_eq!((second.computed, second.reused), (2, 2));
        assert_eq!(second.metrics.len(), 4);

        // Nothing missing: no judge call at all.
        let third = compute_metrics(&store, &ws, "r", &judge, MetricsOptions::default())
            .await
            .unwrap();
        assert_eq!(agent.calls.load(Ordering::SeqCst), 6);
        assert_eq!((third.computed, third.reused), (0, 4));
        assert_eq!(third.metrics, second.metrics);
        assert_eq!(
            stored_metrics(&store, &ws, "r").await.unwrap(),
            second.metrics
        );

        let again = compute_metrics(&store, &ws, "r", &judge, MetricsOptions::recompute())
            .await
            .unwrap();
        assert_eq!(agent.calls.load(Ordering::SeqCst), 10);
        assert_eq!((again.computed, again.reused), (4, 0));
        assert_eq!(again.metrics.len(), 4);
    }

    #[tokio::test]
    async fn only_conversation_runs_of_the_workspace_are_judged() {
        let store = MemoryStore::new();
        let ws = Workspace::default();
        store
            .create_run(&ws, "q", &RunSpec::default())
            .await
            .unwrap();
        let judge = judge(Arc::new(Judge::default()));
        let err = compute_metrics(&store, &ws, "q", &judge, MetricsOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is a question_set run"), "{err}");
        let err = compute_metrics(&store, &ws, "nope", &judge, MetricsOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no run \"nope\""), "{err}");
        assert!(stored_metrics(&store, &ws, "nope").await.is_err());
    }
}
