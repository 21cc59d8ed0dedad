//! The MCP agent over Streamable HTTP: against the loopback server, through the engine, and
//! against a server built with the official MCP Python SDK.

use benchcore::{
    Agent, AgentErrorKind, AgentLimits, AgentRequest, Case, Engine, MemoryStore, Message,
    QuestionSet, Run,
};
use benchcore_providers::{build_agent, AgentConfig, McpConfig};
use benchcore_tests::servers::{McpScripted, McpServer, McpServerConfig};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ask(text: &str) -> AgentRequest {
    AgentRequest::new(vec![Message::system("be brief"), Message::user(text)])
}

#[tokio::test]
async fn a_session_is_opened_once_and_each_case_is_one_tool_call() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .build()
        .unwrap();
    for i in 0..3 {
        let reply = agent.respond(&ask(&format!("hello {i}"))).await.unwrap();
        assert_eq!(reply.text, format!("hello {i}"));
    }
    let stats = server.stats();
    assert_eq!(
        (
            stats.initializes,
            stats.initialized_notifications,
            stats.tool_lists
        ),
        (1, 1, 1)
    );
    assert_eq!(stats.tool_calls, 3);
    // With no mapping, the tool's required string argument takes the input.
    assert_eq!(
        server.calls()[0]["arguments"],
        serde_json::json!({"text": "hello 0"})
    );
}

#[tokio::test]
async fn sse_replies_paged_tool_lists_and_argument_mapping() {
    let server = McpServer::start(McpServerConfig {
        sse: true,
        page_size: 1,
        ..McpServerConfig::default()
    })
    .await
    .unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("ask")
        .with_argument("question", "$input")
        .with_argument("mode", "strict")
        .build()
        .unwrap();
    let reply = agent.respond(&ask("why?")).await.unwrap();
    assert_eq!(reply.text, "answer to: why? (strict)");
    // One tool a page: echo, ask, add, chat.
    assert_eq!(server.stats().tool_lists, 4, "all pages read");
}

#[tokio::test]
async fn a_bearer_token_is_sent_and_a_wrong_one_is_auth() {
    let server = McpServer::start(McpServerConfig {
        require_token: Some("tok-right".into()),
        ..McpServerConfig::default()
    })
    .await
    .unwrap();
    let good = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .with_token("tok-right")
        .build()
        .unwrap();
    assert_eq!(good.respond(&ask("hi")).await.unwrap().text, "hi");
    let bad = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .with_token("tok-wrong")
        .build()
        .unwrap();
    let err = bad.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(!err.to_string().contains("tok-wrong"));
}

#[tokio::test]
async fn a_forgotten_session_is_reopened_once() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .build()
        .unwrap();
    agent.respond(&ask("one")).await.unwrap();
    server.push_script(vec![McpScripted::ForgetSession]);
    assert_eq!(agent.respond(&ask("two")).await.unwrap().text, "two");
    assert_eq!(server.stats().initializes, 2);
}

#[tokio::test]
async fn a_session_refused_with_400_is_reopened_too() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .build()
        .unwrap();
    agent.respond(&ask("one")).await.unwrap();
    server.push_script(vec![McpScripted::ForgetSessionWith400]);
    assert_eq!(agent.respond(&ask("two")).await.unwrap().text, "two");
    assert_eq!(server.stats().initializes, 2);
}

#[tokio::test]
async fn arguments_keep_the_types_the_schema_declares() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("add")
        .with_argument("a", "2")
        .with_argument("b", "$input")
        .build()
        .unwrap();
    agent.respond(&ask("3.5")).await.unwrap();
    let sent = server.last_arguments().unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"a": 2, "b": 3.5}),
        "numbers stay numbers"
    );
}

#[tokio::test]
async fn sessions_end_with_delete_when_closed_or_dropped() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .build()
        .unwrap();
    agent.respond(&ask("one")).await.unwrap();
    agent.close().await;
    assert_eq!(server.stats().sessions_deleted, 1);
    agent.respond(&ask("two")).await.unwrap();
    drop(agent);
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.stats().sessions_deleted < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        server.stats().sessions_deleted,
        2,
        "the dropped agent ended its session"
    );
}

#[tokio::test]
async fn failures_map_to_kinds() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .build()
        .unwrap();
    server.push_script(vec![
        McpScripted::ToolError("backend down".into()),
        McpScripted::RpcError {
            code: -32602,
            message: "bad arguments".into(),
        },
        McpScripted::RpcError {
            code: -32603,
            message: "internal".into(),
        },
        McpScripted::CutStream,
        McpScripted::Unavailable,
    ]);
    // A tool that ran and reported an error gives its answer; it is not retried.
    let told = agent.respond(&ask("a")).await.unwrap();
    assert_eq!(told.text, "backend down");
    assert_eq!(told.stop_reason, Some(benchcore::agent::StopReason::Other));
    let kinds: Vec<AgentErrorKind> = [
        agent.respond(&ask("b")).await,
        agent.respond(&ask("c")).await,
        agent.respond(&ask("d")).await,
        agent.respond(&ask("e")).await,
    ]
    .into_iter()
    .map(|r| r.unwrap_err().kind)
    .collect();
    assert_eq!(
        kinds,
        vec![
            AgentErrorKind::BadRequest,
            AgentErrorKind::Transient,
            AgentErrorKind::MalformedReply,
            AgentErrorKind::Transient,
        ]
    );
    assert_eq!(agent.respond(&ask("f")).await.unwrap().text, "f");
}

#[tokio::test]
async fn unknown_tools_and_ambiguous_servers_are_bad_requests() {
    let server = McpServer::start(McpServerConfig::default()).await.unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("nope")
        .build()
        .unwrap();
    let err = agent.respond(&ask("x")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::BadRequest);
    assert!(err.message.contains("echo, ask, add"), "{}", err.message);
    let agent = McpConfig::new(server.endpoint()).build().unwrap();
    let err = agent.respond(&ask("x")).await.unwrap_err();
    assert!(err.message.contains("several tools"), "{}", err.message);
}

#[tokio::test]
async fn the_deadline_bounds_the_exchange() {
    let server = McpServer::start(McpServerConfig {
        latency: Duration::from_secs(5),
        ..McpServerConfig::default()
    })
    .await
    .unwrap();
    let agent = McpConfig::new(server.endpoint())
        .with_tool("echo")
        .build()
        .unwrap();
    let request = ask("slow").with_deadline(Instant::now() + Duration::from_millis(100));
    assert_eq!(
        agent.respond(&request).await.unwrap_err().kind,
        AgentErrorKind::Timeout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_through_an_mcp_agent_from_a_config() {
    let server = McpServer::start(McpServerConfig {
        sse: true,
        ..McpServerConfig::default()
    })
    .await
    .unwrap();
    let config: AgentConfig = serde_json::from_value(serde_json::json!({
        "kind": "mcp", "name": "bot", "endpoint": server.endpoint(),
        "tool": "echo", "arguments": {"text": "$input"}
    }))
    .unwrap();
    let cases = (0..40)
        .map(|i| Case::new(format!("c{i}"), format!("v{i}")).with_target(format!("v{i}")))
        .collect();
    let report = Engine::new(Arc::new(MemoryStore::new()))
        .run(
            Run::new(QuestionSet::from_cases("echo", cases).unwrap())
                .agent_with(
                    build_agent(&config).unwrap(),
                    config.to_stored(),
                    AgentLimits::default(),
                )
                .concurrency(8),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.agents[0].passed, 40);
    assert_eq!(
        server.stats().initializes,
        1,
        "concurrent first requests share one session"
    );
}

/// A server built with the official MCP Python SDK, on a free port.
struct PythonServer(Child);

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn python_server(mode: &str) -> (PythonServer, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/mcp_interop_server.py");
    let child = Command::new("python3")
        .args([script, &port.to_string(), mode])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    let mut server = PythonServer(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Ok(Some(status)) = server.0.try_wait() {
            let mut err = String::new();
            if let Some(mut stderr) = server.0.stderr.take() {
                use std::io::Read;
                let _ = stderr.read_to_string(&mut err);
            }
            panic!("the MCP Python SDK server exited ({status}): {err}\n(install it with `pip install mcp`)");
        }
        assert!(
            Instant::now() < deadline,
            "the MCP Python SDK server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, format!("http://127.0.0.1:{port}/mcp"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interop_with_the_official_python_sdk_over_sse_and_json() {
    if !benchcore_tests::require_python_module("mcp", "python3 -m pip install \"mcp>=1.9\"") {
        return;
    }
    for mode in ["sse", "json"] {
        let (_server, endpoint) = python_server(mode).await;
        let agent = McpConfig::new(&endpoint)
            .with_tool("ask")
            .with_argument("question", "$input")
            .build()
            .unwrap();
        for i in 0..3 {
            let reply = agent
                .respond(&ask(&format!("q{i}")))
                .await
                .unwrap_or_else(|e| panic!("{mode}: {e}"));
            assert_eq!(reply.text, format!("answer to: q{i}"), "{mode}");
        }
        // The input argument is found from the tool's schema when none is mapped.
        let shout = McpConfig::new(&endpoint)
            .with_tool("shout")
            .build()
            .unwrap();
        assert_eq!(
            shout.respond(&ask("quiet")).await.unwrap().text,
            "QUIET",
            "{mode}"
        );
        let err = McpConfig::new(&endpoint)
            .with_tool("missing")
            .build()
            .unwrap()
            .respond(&ask("x"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, AgentErrorKind::BadRequest, "{mode}");
    }
}
