//! Your own agent, evaluator and transcript test, with `benchcore` alone.
//!
//! `cargo run -p benchcore-tests --example custom_agent`

use benchcore::{
    async_trait, Agent, AgentError, AgentReply, AgentRequest, Case, Engine, EvalContext, EvalError,
    Evaluation, Evaluator, MemoryStore, QuestionSet, Run, Status, TestReport, Transcript,
    TranscriptTest, Usage, Variable,
};
use std::sync::Arc;

/// Answers arithmetic by evaluating `a + b`, and anything else with a shrug.
struct Calculator;

#[async_trait]
impl Agent for Calculator {
    fn name(&self) -> &str {
        "calculator"
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        let question = request.last_user_text().unwrap_or_default();
        let numbers: Vec<i64> = question
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        let answer = match numbers.as_slice() {
            [a, b, ..] => (a + b).to_string(),
            _ => "I don't know".to_owned(),
        };
        Ok(AgentReply::text(answer).with_usage(Usage::new(question.len() as u64 / 4, 1)))
    }
}

/// Passes short replies; a graded score for longer ones.
struct Brevity;

#[async_trait]
impl Evaluator for Brevity {
    fn name(&self) -> &str {
        "brevity"
    }

    async fn evaluate(&self, cx: &EvalContext<'_>) -> Result<Evaluation, EvalError> {
        let words = cx.reply.split_whitespace().count().max(1);
        Ok(Evaluation::scored("brevity", 1.0 / words as f64, 0.5)
            .with_rationale(format!("{words} words")))
    }
}

/// Reports the reply's length in words.
struct ReplyLength;

impl TranscriptTest for ReplyLength {
    fn name(&self) -> &str {
        "reply_length"
    }

    fn run(&self, transcript: &Transcript) -> TestReport {
        let words = transcript
            .last_agent_text()
            .unwrap_or("")
            .split_whitespace()
            .count();
        TestReport {
            title: "Reply length".into(),
            variables: vec![Variable {
                metric: "words".into(),
                value: words.into(),
                status: if words <= 3 {
                    Status::Good
                } else {
                    Status::Warning
                },
            }],
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let suite = QuestionSet::from_cases(
        "sums",
        vec![
            Case::new("s1", "What is 2 + 3?").with_target("5"),
            Case::new("s2", "What is 40 + 2?").with_target("42"),
            Case::new("s3", "Name a colour.").with_target("blue"),
        ],
    )?;
    let run = Run::new(suite)
        .agent(Calculator)
        .evaluator_config("exact".parse()?)?
        .evaluator(Brevity)
        .transcript_test(ReplyLength);
    let store = Arc::new(MemoryStore::new());
    let report = Engine::new(store).run(run).await?;
    let summary = &report.summary.agents[0];
    println!(
        "{}: {} passed, {} failed, mean score {:.2}",
        summary.agent,
        summary.passed,
        summary.failed,
        summary.mean_score.unwrap_or(0.0)
    );
    Ok(())
}
