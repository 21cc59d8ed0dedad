//! The replay agent's tests: matching by case, agent and sample; attempt records; errors.

use super::*;
use benchcore::Case;
use benchcore::{Agent, AgentError, AgentErrorKind, AgentRequest, Usage};
use std::path::PathBuf;
use std::sync::Arc;

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "benchcore-replay-test-{}-{}-{name}",
            std::process::id(),
            benchcore::now_ms()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn ask(case_id: &str, sample: u32) -> AgentRequest {
    let case = Arc::new(Case::new(case_id, "question"));
    AgentRequest::new(case.messages.clone()).with_case(case, sample)
}

async fn text(agent: &ReplayAgent, case_id: &str, sample: u32) -> Result<String, AgentError> {
    agent.respond(&ask(case_id, sample)).await.map(|r| r.text)
}

#[tokio::test]
async fn simple_lines_match_by_case_agent_and_sample() {
    let file = TempFile::new(
        "replies.jsonl",
        r#"{"case_id": "q1", "reply": "any sample"}
{"case_id": "q1", "sample": 1, "reply": "sample one"}
{"case_id": "q2", "sample": 2, "reply": "only two", "usage": {"input_tokens": 3, "output_tokens": 4}, "model": "m"}

{"id": "q3", "sample": 0, "reply": "zero"}
"#,
    );
    let agent = ReplayConfig::from_file(&file.0).build().unwrap();
    assert_eq!(text(&agent, "q1", 0).await.unwrap(), "any sample");
    assert_eq!(text(&agent, "q1", 1).await.unwrap(), "sample one");
    assert_eq!(text(&agent, "q2", 0).await.unwrap(), "only two");
    assert_eq!(text(&agent, "q3", 5).await.unwrap(), "zero");
    let reply = agent.respond(&ask("q2", 2)).await.unwrap();
    assert_eq!(reply.cost_usd, Some(0.0));
    assert_eq!(reply.usage, Some(Usage::new(3, 4)));
    assert_eq!(reply.model.as_deref(), Some("m"));
    assert!(agent.capabilities().usage);
    let err = agent.respond(&ask("q9", 0)).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest);
    assert!(err.message.contains("case `q9`"), "{err}");
    assert!(err.message.contains("replies.jsonl"), "{err}");
    let err = agent.respond(&AgentRequest::new(vec![])).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest);
}

#[tokio::test]
async fn several_agents_need_a_choice() {
    let file = TempFile::new(
        "two.jsonl",
        "{\"case_id\": \"q1\", \"agent\": \"a\", \"reply\": \"from a\"}\n\
         {\"case_id\": \"q1\", \"agent\": \"b\", \"reply\": \"from b\"}\n\
         {\"case_id\": \"q2\", \"reply\": \"from anyone\"}\n",
    );
    let err = ReplayConfig::from_file(&file.0).build().unwrap_err();
    assert!(err.message.contains("`a`, `b`"), "{err}");
    assert_eq!(err.field.as_deref(), Some("agent"));
    let b = ReplayConfig::from_file(&file.0)
        .with_agent("b")
        .build()
        .unwrap();
    assert_eq!(text(&b, "q1", 0).await.unwrap(), "from b");
    assert_eq!(text(&b, "q2", 0).await.unwrap(), "from anyone");
    let err = ReplayConfig::from_file(&file.0)
        .with_agent("c")
        .build()
        .unwrap_err();
    assert!(err.message.contains("no replies of agent `c`"), "{err}");
}

#[tokio::test]
async fn attempt_records_replay_their_last_agent_turn() {
    let record = |case: &str, sample: u32, outcome: &str, turns: &str| {
        format!(
            r#"{{"run_id": "r1", "case_id": "{case}", "agent": "gpt", "sample": {sample}, "outcome": "{outcome}", "score": 1.0, "transcript": {{"turns": [{turns}], "ending": "natural"}}, "evaluations": [], "reports": [], "failure": null, "usage": {{"input_tokens": 0, "output_tokens": 0}}, "cost_usd": null, "model": "gpt-x", "latency_ms": 5, "ttft_ms": null, "wall_ms": 5, "work_ms": 5, "retries": 0, "cached": false, "started_at_ms": 1, "finished_at_ms": 2, "artifacts_dir": null}}"#
        )
    };
    let few_shot = r#"{"speaker": "participant", "text": "1+1?"}, {"speaker": "agent", "text": "2"}, {"speaker": "participant", "text": "2+2?"}"#;
    let lines = [
        record(
            "q1",
            0,
            "passed",
            r#"{"speaker": "participant", "text": "hi"}, {"speaker": "agent", "text": "first"}, {"speaker": "agent", "text": "last"}"#,
        ),
        record("q2", 0, "error", few_shot),
    ];
    let file = TempFile::new("records.jsonl", &lines.join("\n"));
    let agent = ReplayConfig::from_file(&file.0).build().unwrap();
    let reply = agent.respond(&ask("q1", 0)).await.unwrap();
    assert_eq!(reply.text, "last");
    assert_eq!(reply.usage, None, "zero usage is no usage");
    assert_eq!(reply.model.as_deref(), Some("gpt-x"));
    // The error record has no reply (its only agent turn is a few-shot example).
    assert!(text(&agent, "q2", 0).await.is_err());

    // The whole `show --json` document reads too.
    let show = format!(
        "{{\n  \"run\": {{}},\n  \"summary\": {{}},\n  \"attempts\": [\n{}\n  ]\n}}",
        lines.join(",\n")
    );
    let file = TempFile::new("show.json", &show);
    let agent = ReplayConfig::from_file(&file.0).build().unwrap();
    assert_eq!(text(&agent, "q1", 0).await.unwrap(), "last");
}

#[test]
fn malformed_lines_name_the_file_and_line() {
    for (content, line, needle) in [
        ("{\"case_id\": \"q1\", \"reply\": \"a\"}\n{not json}\n", 2, "not a JSON line"),
        ("\n{\"case_id\": \"q1\"}\n", 2, "neither a `reply` nor a `transcript`"),
        ("{\"reply\": \"a\"}\n{\"case_id\": \"q\", \"reply\": \"b\"}\n", 1, "missing field `case_id`"),
        ("{\"case_id\": \"q\", \"reply\": \"b\"}\n[1, 2]\n", 2, "expected an object"),
        ("{\"case_id\": \"q\", \"reply\": \"b\", \"sample\": -1}\n{\"case_id\": \"q\", \"reply\": \"b\"}\n", 1, "-1"),
    ] {
        let file = TempFile::new("bad.jsonl", content);
        let err = ReplayConfig::from_file(&file.0).build().unwrap_err();
        assert_eq!(err.line, Some(line), "{content:?}: {err}");
        assert_eq!(err.path.as_deref(), Some(file.0.as_path()));
        assert!(err.to_string().contains(needle), "{content:?}: {err}");
    }
    let empty = TempFile::new("empty.jsonl", "\n\n");
    let err = ReplayConfig::from_file(&empty.0).build().unwrap_err();
    assert!(err.message.contains("no replies"), "{err}");
    let err = ReplayConfig::from_file("/surely/not/here.jsonl")
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot read the replay file"),
        "{err}"
    );
}

#[test]
fn configs_are_checked() {
    let err = ReplayConfig::default().validate().unwrap_err();
    assert_eq!(err.field.as_deref(), Some("agents.replay.file"));
    ReplayConfig::from_text("a")
        .with_name("r")
        .validate()
        .unwrap();
    let err = ReplayConfig::from_text("a")
        .with_name(" ")
        .validate()
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("agents. .name"));
    let both = ReplayConfig {
        file: Some("f.jsonl".into()),
        ..ReplayConfig::from_text("a")
    };
    assert_eq!(
        both.validate().unwrap_err().to_string(),
        "agents.replay.text: set `file` or `text`, not both"
    );
    let parsed: ReplayConfig =
        serde_json::from_str(r#"{"file": "runs.jsonl", "agent": "gpt"}"#).unwrap();
    assert_eq!(parsed.agent_name(), "replay");
    assert!(serde_json::from_str::<ReplayConfig>(r#"{"fil": "x"}"#).is_err());
}
