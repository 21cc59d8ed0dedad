//! The MCP agent and `mcp_tools` over the stdio transport: against a server built with the
//! official MCP Python SDK (`tests/python/mcp_stdio_server.py`), and against a misbehaving
//! one (`tests/python/mcp_hostile_server.py`). Without `python3` or its `mcp` module the
//! tests print `SKIPPED` and return, except under CI.

use benchcore::tools::Tool;
use benchcore::{
    Agent, AgentErrorKind, AgentLimits, AgentRequest, Case, Engine, MemoryStore, Message,
    QuestionSet, Run,
};
use benchcore_providers::mcp::mcp_tools;
use benchcore_providers::{build_agent, AgentConfig, McpAgent, McpConfig};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SDK_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/mcp_stdio_server.py");
const HOSTILE_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/mcp_hostile_server.py");
const INSTALL_MCP: &str = "python3 -m pip install \"mcp>=1.9\"";

fn ask(text: &str) -> AgentRequest {
    AgentRequest::new(vec![Message::system("be brief"), Message::user(text)])
}

fn sdk_config() -> McpConfig {
    McpConfig::stdio("python3", [SDK_SERVER])
}

async fn tool(agent: &Arc<McpAgent>, name: &str) -> Arc<dyn Tool> {
    mcp_tools(Arc::clone(agent))
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.spec().name == name)
        .unwrap_or_else(|| panic!("the server lists no tool {name}"))
}

async fn server_pid(agent: &Arc<McpAgent>) -> u32 {
    tool(agent, "pid")
        .await
        .call(&json!({}))
        .await
        .unwrap()
        .parse()
        .unwrap()
}

/// Whether a process runs (a zombie, exited but not yet reaped, does not count).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|s| !s.trim_start().starts_with('Z'))
    })
}

async fn gone_within(pid: u32, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    while running(pid) {
        if Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_share_one_process_and_a_run_goes_through_it() {
    if !benchcore_tests::require_python_module("mcp", INSTALL_MCP) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config: AgentConfig = serde_json::from_value(json!({
        "kind": "mcp", "name": "stdio-bot", "command": ["python3", SDK_SERVER],
        "cwd": dir.path(), "env": {"PYTHONUNBUFFERED": "1"},
        "tool": "ask", "arguments": {"question": "$input"}
    }))
    .unwrap();
    let cases = (0..24)
        .map(|i| {
            Case::new(format!("c{i}"), format!("q{i}")).with_target(format!("answer to: q{i}"))
        })
        .collect();
    let agent = build_agent(&config).unwrap();
    let report = Engine::new(Arc::new(MemoryStore::new()))
        .run(
            Run::new(QuestionSet::from_cases("ask", cases).unwrap())
                .agent_with(
                    Arc::clone(&agent),
                    config.to_stored(),
                    AgentLimits::default(),
                )
                .concurrency(8),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.agents[0].passed, 24, "{:?}", report.summary);

    // The same agent through the library: several cases, one process (its pid stays).
    let agent = Arc::new(sdk_config().with_tool("ask").build().unwrap());
    let first = server_pid(&agent).await;
    for i in 0..3 {
        let reply = agent.respond(&ask(&format!("q{i}"))).await.unwrap();
        assert_eq!(reply.text, format!("answer to: q{i}"));
    }
    assert_eq!(
        server_pid(&agent).await,
        first,
        "one process for every case"
    );
    assert!(!agent.capabilities().remote);
}

#[tokio::test]
async fn tools_list_and_call_with_typed_arguments_and_errors_stay_answers() {
    if !benchcore_tests::require_python_module("mcp", INSTALL_MCP) {
        return;
    }
    let agent = Arc::new(sdk_config().build().unwrap());
    let tools = mcp_tools(Arc::clone(&agent)).await.unwrap();
    let names: Vec<String> = tools.iter().map(|t| t.spec().name).collect();
    for name in ["ask", "add", "fail", "crash", "pid", "slow"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
    }
    let add = tool(&agent, "add").await;
    assert_eq!(add.call(&json!({"a": 2, "b": 3.5})).await.unwrap(), "5.5");
    // A tool that raises: the result has `isError`, which the model reads as the tool's error.
    let err = tool(&agent, "fail")
        .await
        .call(&json!({"reason": "no"}))
        .await
        .unwrap_err();
    assert!(err.message.contains("fail"), "{}", err.message);
    // As an agent, the failing tool's result is still the answer, not an exchange error.
    let failing = sdk_config().with_tool("fail").build().unwrap();
    let reply = failing.respond(&ask("no")).await.unwrap();
    assert!(reply.text.contains("fail"), "{}", reply.text);
    assert_eq!(reply.stop_reason, Some(benchcore::agent::StopReason::Other));
    // Concurrent calls over one process are matched to their callers by id.
    let slow = tool(&agent, "slow").await;
    let calls = (0..6).map(|i| {
        let slow = Arc::clone(&slow);
        async move {
            slow.call(&json!({"seconds": 0.3 - 0.05 * f64::from(i), "tag": format!("t{i}")}))
                .await
        }
    });
    let answers = futures::future::join_all(calls).await;
    for (i, answer) in answers.into_iter().enumerate() {
        assert_eq!(answer.unwrap(), format!("t{i}"));
    }
}

#[tokio::test]
async fn a_crashed_server_is_reported_and_the_next_call_restarts_it() {
    if !benchcore_tests::require_python_module("mcp", INSTALL_MCP) {
        return;
    }
    let agent = Arc::new(sdk_config().with_tool("crash").build().unwrap());
    let before = server_pid(&agent).await;
    let err = tool(&agent, "crash")
        .await
        .call(&json!({"code": 7}))
        .await
        .unwrap_err();
    assert!(err.message.contains("exit status: 7"), "{}", err.message);
    assert!(
        err.message.contains("crashing on purpose with code 7"),
        "the last stderr lines are quoted: {}",
        err.message
    );
    let after = server_pid(&agent).await;
    assert_ne!(before, after, "a new process answers");
    assert!(!running(before));
    // Through `respond`, the crash is a transient error, retried by the engine.
    let err = McpConfig::stdio("python3", [SDK_SERVER])
        .with_tool("crash")
        .with_argument("code", "9")
        .build()
        .unwrap()
        .respond(&ask("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient);
    assert!(err.message.contains("exit status: 9"), "{}", err.message);
}

#[tokio::test]
async fn close_and_drop_leave_no_process_behind() {
    if !benchcore_tests::require_python_module("mcp", INSTALL_MCP) {
        return;
    }
    let agent = Arc::new(sdk_config().build().unwrap());
    let first = server_pid(&agent).await;
    assert!(running(first));
    agent.close().await;
    assert!(!running(first), "close ended the process");
    let second = server_pid(&agent).await;
    assert_ne!(first, second, "the next request started a new process");
    drop(agent);
    assert!(
        gone_within(second, Duration::from_secs(10)).await,
        "dropping the agent ended its process"
    );
}

fn hostile(mode: &str) -> McpConfig {
    McpConfig::stdio("python3", [HOSTILE_SERVER, mode]).with_tool("echo")
}

#[tokio::test]
async fn a_line_that_is_not_json_is_a_malformed_reply_naming_it() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = hostile("garbage")
        .with_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply, "{err}");
    assert!(
        err.message.contains("Traceback (most recent"),
        "{}",
        err.message
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not waited out"
    );
}

#[tokio::test]
async fn a_reply_larger_than_the_limit_is_refused_and_the_next_one_read() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = hostile("huge")
        .with_max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = agent.respond(&ask("big")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::MalformedReply, "{err}");
    assert!(
        err.message.contains("more than 65536 bytes"),
        "{}",
        err.message
    );
    assert_eq!(agent.respond(&ask("small")).await.unwrap().text, "small");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = Arc::new(
        hostile("silent")
            .with_timeout(Duration::from_millis(1_500))
            .build()
            .unwrap(),
    );
    let started = Instant::now();
    // Through `mcp_tools`, which has no request deadline: the per-request timeout applies.
    let err = mcp_tools(Arc::clone(&agent)).await.err().unwrap();
    assert_eq!(err.kind, AgentErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_request_that_times_out_is_cancelled() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = hostile("stuck")
        .with_timeout(Duration::from_millis(1_500))
        .build()
        .unwrap();
    let err = agent.respond(&ask("wait")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Timeout, "{err}");
    // The notification is written in the background.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Requests 1 and 2 opened the session; 3 was the call that timed out.
    assert_eq!(
        agent.respond(&ask("report")).await.unwrap().text,
        "cancelled=[3]"
    );
}

#[tokio::test]
async fn close_ends_a_server_that_ignores_stdin_and_sigterm() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = hostile("stubborn").build().unwrap();
    let pid: u32 = agent
        .respond(&ask("hi"))
        .await
        .unwrap()
        .text
        .parse()
        .unwrap();
    assert!(running(pid));
    let started = Instant::now();
    agent.close().await;
    assert!(!running(pid), "SIGKILL ended it");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it was given time to exit after stdin closed and after SIGTERM"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_requests_are_answered_and_notifications_skipped() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = hostile("chatty").build().unwrap();
    let reply = agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(reply.text, "ping={} sampling=-32601");
}

#[tokio::test]
async fn ids_echoed_as_strings_and_errors_without_an_id_reach_the_caller() {
    if !benchcore_tests::require_tool("python3", "python3") {
        return;
    }
    let agent = hostile("odd")
        .with_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    assert_eq!(agent.respond(&ask("fine")).await.unwrap().text, "fine");
    let started = Instant::now();
    let err = agent.respond(&ask("unreadable")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest, "{err}");
    assert!(err.message.contains("Parse error"), "{}", err.message);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not waited out"
    );
}

#[tokio::test]
async fn a_program_that_does_not_exist_is_a_bad_request() {
    let agent = McpConfig::stdio("benchcore-surely-no-such-mcp-server", ["x"])
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest, "{err}");
    assert!(
        err.message.contains("benchcore-surely-no-such-mcp-server"),
        "{}",
        err.message
    );
}
