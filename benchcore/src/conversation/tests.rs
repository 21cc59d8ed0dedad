//! The conversation episode against in-process agents: views, openings, endings, failures.

use super::*;
use crate::{AgentReply, AttemptQuery, Engine, MemoryStore, Outcome, Role, RunStore, Workspace};
use std::sync::Mutex;
use std::time::Duration;

/// Says `lines[k]` at its `k`-th turn (like the `scripted` provider), recording requests;
/// `fail_at` makes its `k`-th turn fail for good, `slow_at` makes it hang.
#[derive(Default)]
struct Lines {
    name: &'static str,
    lines: Vec<&'static str>,
    fail_at: Option<usize>,
    slow_at: Option<usize>,
    seen: Mutex<Vec<AgentRequest>>,
}

impl Lines {
    fn new(name: &'static str, lines: &[&'static str]) -> Self {
        Self {
            name,
            lines: lines.to_vec(),
            ..Self::default()
        }
    }
}

#[async_trait]
impl Agent for Lines {
    fn name(&self) -> &str {
        self.name
    }

    async fn respond(&self, request: &AgentRequest) -> Result<AgentReply, AgentError> {
        self.seen.lock().unwrap().push(request.clone());
        let k = request
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        if self.fail_at == Some(k) {
            return Err(AgentError::new(AgentErrorKind::Auth, "bad key"));
        }
        if self.slow_at == Some(k) {
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
        Ok(AgentReply::text(self.lines.get(k).copied().unwrap_or("")))
    }
}

/// A suite folder with one scenario (TOML text) and its prompts.
fn suite(scenario: &str) -> (tempfile::TempDir, ConversationSuite) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    std::fs::write(
        dir.path().join("prompts/asker.txt"),
        "Ask about mornings.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("prompts/teller.txt"),
        "You love mornings.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chat.toml"),
        format!(
            "{scenario}[interviewer]\nprompt = \"asker\"\n[simulated_user]\nprompt = \"teller\"\n"
        ),
    )
    .unwrap();
    let suite = ConversationSuite::open(dir.path()).unwrap();
    (dir, suite)
}

async fn play(
    suite: ConversationSuite,
    interviewer: Arc<Lines>,
    user: Arc<Lines>,
    configure: impl FnOnce(Run) -> Run,
) -> (crate::AttemptRecord, crate::RunSpec) {
    let store = Arc::new(MemoryStore::new());
    let run = configure(
        Conversation::with_user_for_all(suite, user)
            .into_run()
            .agent_with(interviewer, serde_json::Value::Null, Default::default()),
    );
    let report = Engine::new(store.clone()).run(run).await.unwrap();
    let ws = Workspace::default();
    let spec = store
        .get_run(&ws, &report.run_id)
        .await
        .unwrap()
        .unwrap()
        .spec;
    let mut attempts = store
        .attempts(&ws, &report.run_id, &AttemptQuery::all())
        .await
        .unwrap();
    (attempts.remove(0), spec)
}

fn speakers(record: &crate::AttemptRecord) -> String {
    record
        .transcript
        .turns
        .iter()
        .map(|t| {
            if t.speaker == Speaker::Agent {
                'A'
            } else {
                'P'
            }
        })
        .collect()
}

fn report<'a>(record: &'a crate::AttemptRecord, title: &str) -> &'a TestReport {
    record
        .reports
        .iter()
        .find(|r| r.title == title)
        .unwrap_or_else(|| panic!("no {title} report in {:?}", record.reports))
}

#[tokio::test]
async fn an_end_phrase_ends_it_and_each_side_sees_its_own_view() {
    let (_dir, suite) = suite("max_turns = 10\n");
    let interviewer = Arc::new(Lines::new(
        "asker",
        &["How do mornings start?", "Why coffee?", "Thanks, GOODBYE."],
    ));
    let user = Arc::new(Lines::new(
        "teller",
        &["With coffee.", "It wakes me.", "bye"],
    ));
    let (record, spec) = play(suite, interviewer.clone(), user.clone(), |r| r).await;
    assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
    assert_eq!(speakers(&record), "APAPA");
    assert_eq!(record.transcript.ending, Some(Ending::Natural));
    assert_eq!(record.reply(), "Thanks, GOODBYE.");
    let ending = report(&record, "Conversation ending");
    assert_eq!(ending.variables[1].value, "AGENT");
    assert!(ending.variables[2]
        .value
        .as_str()
        .unwrap()
        .contains("\"goodbye\""));
    for title in [
        "Conversation flow",
        "Question quality",
        "Active listening",
        "Pacing",
    ] {
        report(&record, title);
    }

    let seen = interviewer.seen.lock().unwrap();
    // Its first request: its prompt and the start cue.
    let roles = |r: &AgentRequest| r.messages.iter().map(|m| m.role).collect::<Vec<_>>();
    assert_eq!(roles(&seen[0]), [Role::System, Role::User]);
    assert_eq!(seen[0].messages[0].content, "Ask about mornings.\n");
    assert_eq!(seen[0].messages[1].content, "(The conversation begins.)");
    // Its third: cue, its turns as assistant, the participant's as user.
    assert_eq!(
        roles(&seen[2]),
        [
            Role::System,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant,
            Role::User
        ]
    );
    assert_eq!(seen[2].messages[5].content, "It wakes me.");
    let heard = user.seen.lock().unwrap();
    assert_eq!(heard[0].messages[0].content, "You love mornings.\n");
    assert_eq!(
        roles(&heard[1]),
        [Role::System, Role::User, Role::Assistant, Role::User]
    );
    assert_eq!(heard.len(), 2, "the participant spoke twice");

    let scenario = &spec.tags["conversation"]["scenarios"]["chat"];
    assert_eq!(scenario["interviewer_prompt_name"], "asker");
    assert_eq!(
        scenario["interviewer_prompt_id"],
        super::super::prompt_id("Ask about mornings.\n")
    );
    assert_eq!(scenario["simulated_user_prompt_name"], "teller");
    let id = scenario["simulated_user_prompt_id"].as_str().unwrap();
    assert_eq!(
        spec.tags["conversation"]["prompts"][id]["text"],
        "You love mornings.\n"
    );
    assert_eq!(spec.kind, "conversation");
}

#[tokio::test]
async fn an_empty_reply_is_the_user_leaving_and_is_not_a_turn() {
    let (_dir, suite) = suite("");
    let interviewer = Arc::new(Lines::new("asker", &["Hi?", "And then?", "More?"]));
    let user = Arc::new(Lines::new("teller", &["Hello."]));
    let (record, _) = play(suite, interviewer, user, |r| r).await;
    assert_eq!(speakers(&record), "APA");
    assert_eq!(record.transcript.ending, Some(Ending::Natural));
    let ending = report(&record, "Conversation ending");
    assert_eq!(ending.variables[1].value, "PARTICIPANT");
    assert!(ending.variables[2]
        .value
        .as_str()
        .unwrap()
        .contains("an empty reply"));
}

#[tokio::test]
async fn the_turn_limit_counts_the_opening_line_of_the_participant() {
    let (_dir, suite) =
        suite("first_speaker = \"participant\"\nopening_line = \"Hi, I'm here.\"\nmax_turns = 4\n");
    let interviewer = Arc::new(Lines::new("asker", &["Welcome!", "Tell me more?", "x"]));
    let user = Arc::new(Lines::new("teller", &["unused", "Sure.", "And more.", "y"]));
    let (record, _) = play(suite, interviewer.clone(), user, |r| r).await;
    assert_eq!(speakers(&record), "PAPA");
    assert_eq!(record.transcript.turns[0].text, "Hi, I'm here.");
    assert_eq!(
        record.transcript.turns[0].latency_ms, None,
        "the opening line asks no model"
    );
    assert_eq!(record.transcript.turns[2].text, "Sure.");
    assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
    assert_eq!(
        record.outcome,
        Outcome::Failed,
        "ended_naturally fails a turn limit"
    );
    assert_eq!(record.evaluations[0].label.as_deref(), Some("turn_limit"));
    let seen = interviewer.seen.lock().unwrap();
    // The interviewer speaks second: its view starts with the participant's opening.
    assert_eq!(seen[0].messages[1].content, "Hi, I'm here.");
    assert_eq!(seen[0].messages.len(), 2);
}

#[tokio::test]
async fn a_failing_side_keeps_the_partial_transcript_as_an_error() {
    let (_dir, suite) = suite("");
    let interviewer = Arc::new(Lines::new("asker", &["Hi?", "And then?", "Bye"]));
    let user = Arc::new(Lines {
        fail_at: Some(1),
        ..Lines::new("teller", &["Hello.", "never"])
    });
    let (record, _) = play(suite, interviewer, user, |r| r).await;
    assert_eq!(record.outcome, Outcome::Error);
    assert_eq!(speakers(&record), "APA");
    assert_eq!(record.transcript.ending, Some(Ending::Error));
    assert_eq!(record.failure.as_ref().unwrap().kind, "auth");
    assert!(
        record.reports.is_empty(),
        "no tests on a conversation that failed"
    );
}

#[tokio::test]
async fn the_turn_timeout_limits_each_turn() {
    let (_dir, suite) = suite("turn_timeout_secs = 0.2\n");
    let interviewer = Arc::new(Lines {
        slow_at: Some(1),
        ..Lines::new("asker", &["Hi?", "slow"])
    });
    let user = Arc::new(Lines::new("teller", &["Hello.", "x"]));
    let (record, _) = play(suite, interviewer, user, |r| {
        r.retry(crate::RetryPolicy::default().with_max_retries(0))
    })
    .await;
    assert_eq!(record.outcome, Outcome::Error);
    assert_eq!(record.failure.as_ref().unwrap().kind, "timeout");
    assert_eq!(speakers(&record), "AP");
}
