//! The agent loop and tool-use scoring end to end: an OpenAI-compatible or Anthropic agent
//! over loopback HTTP calls tools, results go back by call id, every step lands in the
//! stored trajectory (SQLite); limits end a loop that never stops; BFCL-format data is
//! loaded, asked and matched.

use benchcore::evaluator::Includes;
use benchcore::tools::{
    load_bfcl, FnTool, FunctionCalling, LoopLimits, Tool, ToolCallMatch, ToolError, ToolLoop,
    Toolbox,
};
use benchcore::{
    async_trait, AttemptQuery, AttemptRecord, Case, Ending, Engine, Outcome, QuestionSet, Run,
    RunStore, Speaker, Workspace,
};
use benchcore_providers::{AnthropicConfig, OpenAiCompatConfig};
use benchcore_tests::servers::{
    AnthropicServer, OpenAiServer, Scripted, ScriptedCall, ServerConfig,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn add() -> FnTool {
    FnTool::new(
        "add",
        "Adds two numbers.",
        json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}),
        |args| match (args["a"].as_f64(), args["b"].as_f64()) {
            (Some(a), Some(b)) => Ok((a + b).to_string()),
            _ => Err(ToolError::new("a and b must be numbers")),
        },
    )
}

/// A tool that takes longer than any test's tool timeout.
struct Sleepy;

#[async_trait]
impl Tool for Sleepy {
    fn spec(&self) -> benchcore::agent::ToolSpec {
        benchcore::agent::ToolSpec::new("sleepy", "Sleeps.", json!({"type": "object"}))
    }

    async fn call(&self, _: &Value) -> Result<String, ToolError> {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok("awake".into())
    }
}

async fn records(store: &Arc<dyn RunStore>, run_id: &str) -> Vec<AttemptRecord> {
    store
        .attempts(&Workspace::default(), run_id, &AttemptQuery::all())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_results_and_the_final_answer_are_one_stored_trajectory() {
    let server = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    server.push_script(vec![
        Scripted::ToolCalls {
            text: "Let me compute.".into(),
            calls: vec![
                ScriptedCall::new("call_1", "add", r#"{"a": 2, "b": 3}"#),
                ScriptedCall::new("call_2", "multiply", r#"{"a": 2}"#),
                ScriptedCall::new("call_3", "sleepy", "{}"),
            ],
        },
        Scripted::reply("The sum is 5."),
    ]);
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let handle = benchcore_store::connect(&format!(
        "sqlite://{}",
        dir.path().join("runs.db").display()
    ))
    .await
    .unwrap();
    let store = handle.store();
    let toolbox = Toolbox::new()
        .with(add())
        .with(Sleepy)
        .with_timeout(Duration::from_millis(200));
    let suite = QuestionSet::from_cases(
        "sums",
        vec![Case::new("q1", "What is 2+3?").with_target("5")],
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(agent)
        .episode(ToolLoop::new(toolbox))
        .evaluator(Includes::default());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let record = &records(&store, &report.run_id).await[0];
    assert_eq!(record.outcome, Outcome::Passed, "{record:?}");
    let turns = &record.transcript.turns;
    let speakers: Vec<Speaker> = turns.iter().map(|t| t.speaker).collect();
    assert_eq!(
        speakers,
        [
            Speaker::Participant,
            Speaker::Agent,
            Speaker::Tool,
            Speaker::Tool,
            Speaker::Tool,
            Speaker::Agent
        ]
    );
    assert_eq!(turns[1].tool_calls.len(), 3);
    assert_eq!((turns[2].text.as_str(), turns[2].is_error), ("5", false));
    assert_eq!(turns[2].tool_call_id.as_deref(), Some("call_1"));
    assert!(
        turns[3].is_error && turns[3].text.contains("no tool named `multiply`"),
        "{:?}",
        turns[3]
    );
    assert!(
        turns[4].is_error && turns[4].text.contains("did not answer within 200 ms"),
        "{:?}",
        turns[4]
    );
    assert_eq!(record.transcript.ending, Some(Ending::Natural));
    assert_eq!(record.reply(), "The sum is 5.");
    assert!(record.usage.input_tokens > 0);
    // The second request carried the calls and their results, as the server checked.
    let second = &server.requests()[1];
    let roles: Vec<&str> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "tool", "tool", "tool"]);
    assert_eq!(second["tools"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_that_never_stops_ends_at_its_step_limit() {
    let server = AnthropicServer::start(ServerConfig::default())
        .await
        .unwrap();
    let again = Scripted::ToolCalls {
        text: String::new(),
        calls: vec![ScriptedCall::new("toolu_1", "add", r#"{"a": 1, "b": 1}"#)],
    };
    server.push_script(vec![again.clone(), again.clone(), again]);
    let agent = AnthropicConfig::new("claude-mock")
        .with_base_url(server.base_url())
        .with_api_key("sk-ant-loop")
        .build()
        .unwrap();
    let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
    let suite = QuestionSet::from_cases(
        "loop",
        vec![Case::new("q1", "Add forever.").with_target("2")],
    )
    .unwrap();
    let run = Run::new(suite)
        .agent(agent)
        .episode(
            ToolLoop::new(Toolbox::new().with(add()))
                .with_limits(LoopLimits::default().with_max_steps(2)),
        )
        .evaluator(Includes::default());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let record = &records(&store, &report.run_id).await[0];
    assert_eq!(record.transcript.ending, Some(Ending::TurnLimit));
    let last = record.transcript.turns.last().unwrap();
    assert_eq!(last.speaker, Speaker::System);
    assert!(
        last.text.contains("step limit reached (2 model replies)"),
        "{}",
        last.text
    );
    assert_eq!(server.stats().replies, 2, "no third request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bfcl_data_is_loaded_asked_and_matched() {
    let dir = tempfile::tempdir().unwrap();
    let questions = dir.path().join("BFCL_v3_simple.json");
    let function = json!({"name": "triangle_area", "description": "Area of a triangle.",
        "parameters": {"type": "dict", "properties": {"base": {"type": "integer"}, "height": {"type": "float"},
        "unit": {"type": "string"}}, "required": ["base", "height"]}});
    let lines = [
        json!({"id": "simple_0", "question": [[{"role": "user", "content": "Area of base 10, height 5?"}]], "function": [function]}),
        json!({"id": "simple_1", "question": [[{"role": "user", "content": "Area of base 3, height 4?"}]], "function": [function]}),
        json!({"id": "irrelevance_0", "question": [[{"role": "user", "content": "Who wrote Hamlet?"}]], "function": [function]}),
    ];
    std::fs::write(
        &questions,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let answers = dir.path().join("answers.json");
    let truth = [
        json!({"id": "simple_0", "ground_truth": [{"triangle_area": {"base": [10], "height": [5.0], "unit": ["units", ""]}}]}),
        json!({"id": "simple_1", "ground_truth": [{"triangle_area": {"base": [3], "height": [4.0], "unit": ["units", ""]}}]}),
    ];
    std::fs::write(
        &answers,
        truth.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let suite = load_bfcl(&questions, Some(&answers)).unwrap();

    let server = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    // Right (an integer height where a float is expected still matches), wrong, and no call.
    server.push_script(vec![
        Scripted::ToolCalls {
            text: String::new(),
            calls: vec![ScriptedCall::new(
                "c1",
                "triangle_area",
                r#"{"base": 10, "height": 5}"#,
            )],
        },
        Scripted::ToolCalls {
            text: String::new(),
            calls: vec![ScriptedCall::new(
                "c2",
                "triangle_area",
                r#"{"base": 4, "height": 3}"#,
            )],
        },
        Scripted::reply("Shakespeare."),
    ]);
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .build()
        .unwrap();
    let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
    let run = Run::new(suite)
        .agent(agent)
        .episode(FunctionCalling)
        .evaluator(ToolCallMatch)
        .concurrency(1);
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let mut outcomes: Vec<(String, Outcome, String)> = records(&store, &report.run_id)
        .await
        .into_iter()
        .map(|r| {
            (
                r.key.case_id.clone(),
                r.outcome,
                r.evaluations[0].rationale.clone().unwrap_or_default(),
            )
        })
        .collect();
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(outcomes[0].1, Outcome::Passed, "{outcomes:?}");
    assert_eq!(outcomes[1].1, Outcome::Passed, "{outcomes:?}");
    assert_eq!(outcomes[2].1, Outcome::Failed, "{outcomes:?}");
    assert!(outcomes[2].2.contains("`base` is 4"), "{outcomes:?}");
    let sent = &server.requests()[0];
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["type"], "object",
        "BFCL's dict is sent as object"
    );
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["properties"]["height"]["type"],
        "number"
    );
}

#[test]
fn bad_bfcl_lines_are_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let questions = dir.path().join("q.json");
    std::fs::write(&questions, "{\"id\": \"a\", \"question\": [[{\"role\": \"user\", \"content\": \"x\"}]], \"function\": []}\n{\"id\": \"b\"}\n").unwrap();
    let err = load_bfcl(&questions, None).unwrap_err().to_string();
    assert!(
        err.contains("q.json:2") && err.contains("question"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_servers_tools_are_offered_and_called_with_typed_arguments() {
    use benchcore_providers::mcp::mcp_tools;
    use benchcore_providers::McpConfig;
    use benchcore_tests::servers::{McpServer, McpServerConfig};

    let mcp = McpServer::start(McpServerConfig::default()).await.unwrap();
    let server_agent = Arc::new(McpConfig::new(mcp.endpoint()).build().unwrap());
    let tools = mcp_tools(Arc::clone(&server_agent)).await.unwrap();
    let names: Vec<String> = tools.iter().map(|t| t.spec().name).collect();
    assert_eq!(names, ["echo", "ask", "add", "chat"]);
    let toolbox = tools.into_iter().fold(Toolbox::new(), Toolbox::with_arc);

    let model = OpenAiServer::start(ServerConfig::default().recording())
        .await
        .unwrap();
    model.push_script(vec![
        Scripted::ToolCalls {
            text: String::new(),
            calls: vec![
                ScriptedCall::new("call_1", "add", r#"{"a": 2, "b": 3}"#),
                ScriptedCall::new("call_2", "echo", r#"{"text": "hello"}"#),
            ],
        },
        Scripted::reply("2+3 is 5."),
    ]);
    let agent = OpenAiCompatConfig::new("mock-model", model.base_url())
        .build()
        .unwrap();
    let store: Arc<dyn RunStore> = Arc::new(benchcore::MemoryStore::new());
    let suite =
        QuestionSet::from_cases("mcp", vec![Case::new("q1", "2+3?").with_target("5")]).unwrap();
    let run = Run::new(suite)
        .agent(agent)
        .episode(ToolLoop::new(toolbox))
        .evaluator(Includes::default());
    let report = Engine::new(Arc::clone(&store)).run(run).await.unwrap();
    let record = &records(&store, &report.run_id).await[0];
    assert_eq!(record.outcome, Outcome::Passed);
    let results: Vec<&str> = record
        .transcript
        .turns
        .iter()
        .filter(|t| t.speaker == Speaker::Tool)
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(results, [r#"{"sum":5.0}"#, "hello"]);
    assert_eq!(mcp.stats().tool_calls, 2);
    assert_eq!(
        mcp.calls()[0]["arguments"],
        json!({"a": 2, "b": 3}),
        "typed JSON reaches the server"
    );
    assert_eq!(model.requests()[0]["tools"].as_array().unwrap().len(), 4);
}
