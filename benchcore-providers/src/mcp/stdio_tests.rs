//! The stdio transport end to end against a tiny server written in `sh`, so these run
//! wherever a POSIX shell does (the tests against the official Python SDK are in
//! `tests/tests/mcp_stdio.rs`).

use crate::McpConfig;
use benchcore::{Agent, AgentErrorKind, AgentRequest, Message};
use std::time::Duration;

/// Answers `initialize`, `tools/list` (one tool, `echo`) and `tools/call` (with `said`, the
/// count of calls so far in this process); exits with code 3 on the call after `die_after`.
fn sh_server(die_after: u32) -> McpConfig {
    let script = r#"
calls=0
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
    *'"method":"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}\n' "$id" ;;
    *'"method":"tools/list"'*)
      printf '{"jsonrpc":"2.0","method":"notifications/message","params":{}}\n'
      printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object","properties":{"text":{"type":"string"}}}}]}}\n' "$id" ;;
    *'"method":"tools/call"'*)
      calls=$((calls + 1))
      if [ "$calls" -gt "$DIE_AFTER" ]; then echo "giving up after $DIE_AFTER" >&2; exit 3; fi
      printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"said %s"}]}}\n' "$id" "$calls" ;;
  esac
done
"#;
    McpConfig::stdio("sh", ["-c", script])
        .with_env("DIE_AFTER", die_after.to_string())
        .with_timeout(Duration::from_secs(20))
}

fn ask(text: &str) -> AgentRequest {
    AgentRequest::new(vec![Message::user(text)])
}

#[tokio::test]
async fn cases_go_through_one_process_and_a_dead_one_is_restarted() {
    let agent = sh_server(2).build().unwrap();
    assert_eq!(agent.respond(&ask("a")).await.unwrap().text, "said 1");
    assert_eq!(agent.respond(&ask("b")).await.unwrap().text, "said 2");
    let err = agent.respond(&ask("c")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Transient);
    assert!(err.message.contains("exit status: 3"), "{}", err.message);
    assert!(err.message.contains("giving up after 2"), "{}", err.message);
    // A new process: its count starts again.
    assert_eq!(agent.respond(&ask("d")).await.unwrap().text, "said 1");
    agent.close().await;
}
