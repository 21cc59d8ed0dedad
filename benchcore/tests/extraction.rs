//! Answer extraction and multiple choice through the engine: what the evaluators compare,
//! what is recorded, and the outcomes.

use benchcore::evaluator::EvaluatorConfig;
use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, AttemptQuery, AttemptRecord, Case,
    Engine, MemoryStore, Outcome, QuestionSet, Run, RunStore, Workspace,
};
use std::sync::Arc;

/// Replies with the case's `metadata.reply`, as a model would write it.
struct Scripted;

#[async_trait]
impl Agent for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let case = request.case.as_ref().expect("the engine sends the case");
        let reply = case.metadata["reply"].as_str().unwrap_or_default();
        Ok(AgentReply::text(reply))
    }
}

fn case(id: &str, target: serde_json::Value, reply: &str) -> Case {
    Case::new(id, "question")
        .with_target(target)
        .with_metadata(serde_json::json!({ "reply": reply }))
}

async fn records(run: Run) -> Vec<AttemptRecord> {
    let store = Arc::new(MemoryStore::new());
    let engine = Engine::new(store.clone());
    let report = engine.run(run).await.unwrap();
    let mut records = store
        .attempts(
            &Workspace::default(),
            &report.run_id,
            &AttemptQuery::default(),
        )
        .await
        .unwrap();
    records.sort_by(|a, b| a.key.case_id.cmp(&b.key.case_id));
    records
}

#[tokio::test]
async fn gsm8k_answers_are_extracted_compared_and_recorded() {
    let cot =
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nShe sold 48+24 = 42 in all.\n#### 42";
    let suite = QuestionSet::from_cases(
        "gsm8k",
        vec![
            case("a_right", serde_json::json!("42"), cot),
            case("b_wrong", serde_json::json!("72"), cot),
            case("c_no_marker", serde_json::json!("42"), "The answer is 42."),
        ],
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(Scripted)
        .evaluator_config("exact".parse().unwrap())
        .unwrap()
        .extract("after:####".parse().unwrap());
    assert_eq!(
        serde_json::to_value(run.spec()).unwrap()["extract"],
        "after:####"
    );
    let records = records(run).await;
    let outcomes: Vec<Outcome> = records.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Passed, Outcome::Failed, Outcome::Invalid]
    );
    // The whole reply stays in the transcript; the evaluation says what was compared.
    assert_eq!(records[0].reply(), cot);
    let details = &records[0].evaluations[0].details;
    assert_eq!(details["extracted"], "42");
    assert_eq!(details["extractor"], "after:####");
    let invalid = &records[2].evaluations[0];
    assert_eq!(invalid.passed, None);
    assert_eq!(
        invalid.error.as_deref(),
        Some("extractor `after:####` found no answer in the reply")
    );
    assert_eq!(invalid.details["extracted"], serde_json::Value::Null);
}

#[tokio::test]
async fn an_old_spec_without_extract_still_reads() {
    let mut spec = serde_json::to_value(benchcore::RunSpec::default()).unwrap();
    assert!(spec.get("extract").is_none());
    spec.as_object_mut().unwrap().remove("extract");
    let read: benchcore::RunSpec = serde_json::from_value(spec).unwrap();
    assert_eq!(read.extract, None);
}

#[tokio::test]
async fn the_choice_evaluator_gives_passed_failed_and_invalid() {
    let choices = serde_json::json!(["Berlin", "Madrid", "Paris", "Rome"]);
    let mc = |id: &str, target: serde_json::Value, reply: &str| {
        Case::new(id, "Capital of France?")
            .with_target(target)
            .with_metadata(serde_json::json!({ "reply": reply, "choices": choices }))
    };
    let suite = QuestionSet::from_cases(
        "mc",
        vec![
            mc("a", serde_json::json!("C"), "Therefore, the answer is (C)."),
            mc("b", serde_json::json!(2), "**C**"),
            mc("c", serde_json::json!("Paris"), "{\"answer\": \"C\"}"),
            mc(
                "d",
                serde_json::json!("C"),
                "A good question. The answer is B",
            ),
            mc("e", serde_json::json!("C"), "I'd rather not say."),
            mc("f", serde_json::json!("C"), "B or C"),
        ],
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(Scripted)
        .evaluator_config(EvaluatorConfig::Choice)
        .unwrap();
    let records = records(run).await;
    let outcomes: Vec<Outcome> = records.iter().map(|r| r.outcome).collect();
    use Outcome::{Failed, Invalid, Passed};
    assert_eq!(outcomes, [Passed, Passed, Passed, Failed, Invalid, Invalid]);
    assert_eq!(
        records[3].evaluations[0].details,
        serde_json::json!({"read": "B", "target": "C"})
    );
    let why = records[4].evaluations[0].error.as_deref().unwrap();
    assert!(
        why.contains("no choice could be read from the reply"),
        "{why}"
    );
}

#[tokio::test]
async fn the_choice_extractor_feeds_exact_match() {
    let suite = QuestionSet::from_cases(
        "mc",
        vec![Case::new("q", "Capital of France?")
            .with_target("C")
            .with_metadata(serde_json::json!({
                "reply": "Paris is the capital. Final answer: (c)",
                "choices": ["Berlin", "Madrid", "Paris"],
            }))],
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(Scripted)
        .extract("choice".parse().unwrap());
    let records = records(run).await;
    assert_eq!(records[0].outcome, Outcome::Passed);
    assert_eq!(records[0].evaluations[0].details["extracted"], "C");
}
