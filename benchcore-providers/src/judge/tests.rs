//! The judge's tests: prompts, score reading, retries, and configs.

use super::evaluator::instructions;
use super::*;
use crate::AgentConfig;
use benchcore::evaluator::EvaluatorConfig;
use benchcore::{
    async_trait, Agent, AgentError, AgentErrorKind, AgentReply, AgentRequest, Case, EvalContext,
    EvalError, Evaluation, Evaluator, Message, Role, Transcript,
};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

/// Answers from a script, recording each request.
struct Scripted {
    steps: Mutex<VecDeque<Result<AgentReply, AgentError>>>,
    seen: Mutex<Vec<AgentRequest>>,
}

impl Scripted {
    fn new(steps: Vec<Result<AgentReply, AgentError>>) -> Arc<Self> {
        Arc::new(Self {
            steps: Mutex::new(steps.into()),
            seen: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl Agent for Scripted {
    fn name(&self) -> &str {
        "scripted-judge"
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        self.seen.lock().unwrap().push(request.clone());
        self.steps
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| Ok(AgentReply::text("no more script")))
    }
}

fn judge(agent: Arc<Scripted>) -> JudgeEvaluator {
    JudgeConfig::new(AgentConfig::Gold)
        .with_retries(2, Duration::from_millis(1))
        .build_with(agent)
        .unwrap()
}

async fn grade(judge: &JudgeEvaluator, case: &Case, reply: &str) -> Result<Evaluation, EvalError> {
    let transcript = Transcript::default();
    judge
        .evaluate(&EvalContext::new(case, reply, &transcript))
        .await
}

fn capital() -> Case {
    Case::new("q1", "Capital of France?").with_target("Paris")
}

#[tokio::test]
async fn the_prompt_holds_the_rubric_task_reference_and_reply() {
    let agent = Scripted::new(vec![Ok(AgentReply::text(
        r#"{"score": 9, "rationale": "Right."}"#,
    ))]);
    let judge = JudgeConfig::new(AgentConfig::Gold)
        .with_rubric("Be strict about spelling.")
        .build_with(agent.clone())
        .unwrap();
    let evaluation = grade(&judge, &capital(), "Paris, of course.")
        .await
        .unwrap();
    assert_eq!(evaluation.score, Some(0.9));
    assert_eq!(evaluation.passed, Some(true));
    assert_eq!(evaluation.rationale.as_deref(), Some("Right."));
    assert_eq!(evaluation.label.as_deref(), Some("9/10"));
    assert_eq!(
        evaluation.details["judge_reply"],
        r#"{"score": 9, "rationale": "Right."}"#
    );
    let seen = agent.seen.lock().unwrap();
    let prompt = &seen[0].messages[1].content;
    for part in [
        "Be strict about spelling.",
        "<task>\nCapital of France?\n</task>",
        "<reference>\nParis\n</reference>",
        "<response>\nParis, of course.\n</response>",
        "from 0 (worst) to 10 (best)",
    ] {
        assert!(prompt.contains(part), "{part:?} missing from {prompt}");
    }
    assert_eq!(seen[0].messages[0].role, Role::System);
    assert!(seen[0].deadline.is_some());
}

#[tokio::test]
async fn no_target_no_reference_and_conversations_keep_roles() {
    let agent = Scripted::new(vec![Ok(AgentReply::text("Score: 3/10"))]);
    let judge = judge(agent.clone());
    let case = Case::from_messages(
        "c",
        vec![Message::system("Be brief."), Message::user("Tell a joke.")],
    );
    let evaluation = grade(&judge, &case, "No.").await.unwrap();
    assert_eq!(evaluation.passed, Some(false));
    let prompt = agent.seen.lock().unwrap()[0].messages[1].content.clone();
    assert!(!prompt.contains("<reference>"), "{prompt}");
    assert!(
        prompt.contains("SYSTEM: Be brief.\nUSER: Tell a joke."),
        "{prompt}"
    );
}

#[tokio::test]
async fn an_unreadable_reply_is_an_eval_error_with_the_reply() {
    let agent = Scripted::new(vec![Ok(AgentReply::text("I'd rather not say."))]);
    let err = grade(&judge(agent), &capital(), "Paris").await.unwrap_err();
    assert!(err.message.contains("no score could be read"), "{err}");
    assert!(err.message.contains("I'd rather not say."), "{err}");
}

#[tokio::test]
async fn an_echoed_prompt_is_not_read_as_a_score() {
    // The judge repeats the instructions (with "0 to 10" and "10 (best)") and then grades.
    let reply = format!("{}\n\nScore: 4", instructions(10.0));
    let agent = Scripted::new(vec![Ok(AgentReply::text(reply))]);
    let evaluation = grade(&judge(agent), &capital(), "Lyon").await.unwrap();
    assert_eq!(evaluation.score, Some(0.4));
}

#[tokio::test]
async fn retryable_failures_are_retried_then_give_up() {
    let agent = Scripted::new(vec![
        Err(AgentError::transient("500")),
        Err(AgentError::rate_limited(
            "slow",
            Some(Duration::from_millis(5)),
        )),
        Ok(AgentReply::text("8/10")),
    ]);
    let evaluation = grade(&judge(agent.clone()), &capital(), "Paris")
        .await
        .unwrap();
    assert_eq!(evaluation.score, Some(0.8));
    assert_eq!(evaluation.details["retries"], 2);
    assert_eq!(agent.seen.lock().unwrap().len(), 3);

    let agent = Scripted::new(vec![
        Err(AgentError::transient("500")),
        Err(AgentError::transient("500")),
        Err(AgentError::transient("still 500")),
        Ok(AgentReply::text("8/10")),
    ]);
    let err = grade(&judge(agent.clone()), &capital(), "Paris")
        .await
        .unwrap_err();
    assert!(err.message.contains("after 2 retries"), "{err}");
    assert!(err.message.contains("still 500"), "{err}");
    assert_eq!(agent.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn auth_failures_are_not_retried() {
    let agent = Scripted::new(vec![Err(AgentError::new(AgentErrorKind::Auth, "bad key"))]);
    let err = grade(&judge(agent.clone()), &capital(), "Paris")
        .await
        .unwrap_err();
    assert!(err.message.contains("bad key"), "{err}");
    assert!(err.message.contains("`scripted-judge`"), "{err}");
    assert_eq!(agent.seen.lock().unwrap().len(), 1);
}

#[test]
fn configs_are_checked_field_by_field() {
    let base = || JudgeConfig::new(AgentConfig::Gold);
    let err = |c: JudgeConfig| c.validate().unwrap_err().to_string();
    assert_eq!(
        err(base().with_pass_threshold(1.5)),
        "evaluators.judge.pass_threshold: 1.5 is outside 0 to 1"
    );
    assert!(err(base().with_scale(0.0)).starts_with("evaluators.judge.scale"));
    assert!(err(base().with_name(" ")).contains(".name"));
    assert!(err(base().with_rubric(" ")).starts_with("evaluators.judge.rubric"));
    assert!(err(base().with_timeout(Duration::ZERO)).contains("timeout_ms"));
    let e = JudgeConfig::from_json(r#"{"agent": {"kind": "gold"}, "treshold": 1}"#).unwrap_err();
    assert!(e.message.contains("unknown field `treshold`"), "{e}");
    let e = JudgeConfig::from_json(r#"{"name": "j"}"#).unwrap_err();
    assert!(e.message.contains("missing field `agent`"), "{e}");
}

#[test]
fn toml_files_and_stored_configs_round_trip() {
    let config = JudgeConfig::from_toml(
        "name = \"strict\"\nscale = 100\npass_threshold = 0.8\n\n[agent]\nkind = \"gold\"\n",
    )
    .unwrap();
    assert_eq!((config.name.as_str(), config.scale), ("strict", 100.0));
    let stored = config.to_evaluator_config();
    let EvaluatorConfig::Judge { config: value } = &stored else {
        panic!("{stored:?}")
    };
    assert_eq!(JudgeConfig::from_value(value).unwrap(), config);
    let err = JudgeConfig::from_toml("[agent]\nkind = \"gold\"\n\nscale = 0\n").unwrap_err();
    assert!(err.line.is_some() || err.field.is_some(), "{err}");
}

#[cfg(feature = "openai-compatible")]
#[test]
fn stored_configs_hold_no_secret() {
    let config = JudgeConfig::new(AgentConfig::OpenAi(
        crate::OpenAiConfig::new("gpt-4o-mini").with_api_key("sk-judge-secret"),
    ));
    let stored = config.to_stored().to_string();
    assert!(!stored.contains("sk-judge-secret"), "{stored}");
    assert!(stored.contains("gpt-4o-mini"), "{stored}");
    assert!(!format!("{config:?}").contains("sk-judge-secret"));
}
