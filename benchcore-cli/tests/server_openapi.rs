//! The team server's OpenAPI document: every operation it lists is routed (answers something
//! other than 404/405), every schema reference resolves, and the typed Python client example
//! (`examples/server/client.py`) drives a run to the end against a real server through it.

mod support;

use benchcore_tests::servers::{OpenAiServer, ServerConfig};
use serde_json::{json, Value};
use support::team::{echo_suite, Api, TeamServer};

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_is_routed() {
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(2))]);
    let anonymous = Api::anonymous(&server.base);
    let doc = anonymous.get("/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["RunSpec", "LiveMessage", "AgentConfig", "Error"] {
        assert!(schemas.contains_key(name), "{name}");
    }
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 30, "{}", paths.len());
    let text = doc.to_string();
    for (at, _) in text.match_indices("\"$ref\":\"#/components/schemas/") {
        let rest = &text[at + 29..];
        let name = &rest[..rest.find('"').unwrap()];
        assert!(schemas.contains_key(name), "dangling reference to {name}");
    }
    for (path, item) in paths {
        let concrete = path
            .replace("{ws}", "w_AAAAAAAAAAAAAAAA")
            .replace("{id}", "r")
            .replace("{name}", "n")
            .replace("{user}", "u")
            .replace("{v}", "v1");
        for (method, operation) in item.as_object().unwrap() {
            assert!(operation["responses"].is_object(), "{method} {path}");
            let (status, body) = anonymous
                .call(&method.to_uppercase(), &concrete, None)
                .await;
            assert!(
                status != 404 && status != 405,
                "{method} {path} is documented but not routed ({status} {body})"
            );
            if operation.get("security").is_some() {
                assert_eq!(status, 401, "{method} {path} needs credentials");
            }
        }
    }
    let live = anonymous.get("/api/schema/live-message").await;
    assert!(live.to_string().contains("progress"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_client_example_runs_a_benchmark() {
    let model = OpenAiServer::start(ServerConfig::default()).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(5))]);
    let api = Api::admin(&server.base).await.with_token("python").await;
    let ws = api.first_workspace().await;
    let agent = json!({"kind": "openai_compatible", "model": "m", "base_url": model.base_url()});
    let (status, _) = api
        .call(
            "PUT",
            &format!("/api/workspaces/{ws}/agents/echo"),
            Some(agent),
        )
        .await;
    assert_eq!(status, 204);
    let support::team::Auth::Token(token) = &api.auth else {
        unreachable!()
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/server/client.py");
    let (base, token, ws) = (server.base.clone(), token.clone(), ws.clone());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([script, &base, &token, &ws, "echo.jsonl", "echo"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["status"], "finished");
    assert_eq!(result["attempt_messages"], 5);
    assert_eq!(result["summary"]["agents"][0]["passed"], 5);
}
