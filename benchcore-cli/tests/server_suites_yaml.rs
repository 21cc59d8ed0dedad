//! Question sets uploaded to `benchcore serve` as YAML: a list of cases (or a mapping whose
//! `cases` is one) becomes the same JSONL a JSONL upload is, version for version.

mod support;

use serde_json::{json, Value};
use support::team::{Api, TeamServer};

const JSONL: &str = "application/x-ndjson";

async fn upload(
    api: &Api,
    workspace: &str,
    name: &str,
    content_type: &str,
    content: impl Into<reqwest::Body>,
) -> (u16, Value) {
    support::team::upload_suite(api, workspace, name, content_type, content).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_uploads_are_versions_of_the_same_cases() {
    let server = TeamServer::start(None, &[]);
    let api = Api::admin(&server.base).await.with_token("ci").await;
    let ws = api.first_workspace().await;
    let yaml = "cases:\n  - id: capital-fr\n    input: Capital of France?\n    target: Paris\n  - id: capital-it\n    input: Capital of Italy?\n    target: Rome\n";
    let (status, body) = upload(&api, &ws, "capitals", "application/yaml", yaml).await;
    assert_eq!(status, 201, "{body}");
    let suite = api
        .get(&format!("/api/workspaces/{ws}/suites/capitals"))
        .await;
    assert_eq!(suite["versions"][0]["cases"], 2, "{suite}");
    assert_eq!(suite["versions"][0]["content_type"], "application/yaml");
    let content = api
        .request(
            "GET",
            &format!("/api/workspaces/{ws}/suites/capitals/versions/v1"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(content.lines().count(), 2);
    let first: Value = serde_json::from_str(content.lines().next().unwrap()).unwrap();
    assert_eq!(
        first,
        json!({"id": "capital-fr", "input": "Capital of France?", "target": "Paris"})
    );
    // The same cases as JSONL are the same version.
    let (status, body) = upload(&api, &ws, "capitals", JSONL, content).await;
    assert_eq!((status, &body["version"]), (200, &json!("v1")), "{body}");
}
