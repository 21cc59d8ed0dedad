//! A team server with two workspaces and a hostile member, for the security tests: the
//! admin owns workspace A (with a finished run and a saved agent whose key a loopback model
//! requires), bob owns B; every route of a workspace; and the checks that nothing changed
//! and that the key is in no answer and no log line.

use super::team::{echo_suite, Api, TeamServer};
use benchcore_tests::servers::{OpenAiServer, ServerConfig};
use serde_json::{json, Value};

pub const KEY: &str = "sk-never-shown-abcdef0123456789";
pub const PASSWORD: &str = "a-long-enough-password";

/// A server whose admin owns workspace A (with a run and an agent), and bob, who owns B.
pub struct World {
    pub server: TeamServer,
    pub model: OpenAiServer,
    pub admin: Api,
    pub bob: Api,
    pub a: String,
    pub b: String,
    pub run: String,
    pub bodies: Vec<Value>,
}

pub async fn create_user(admin: &Api, email: &str) {
    let (status, body) = admin
        .call(
            "POST",
            "/api/users",
            Some(json!({"email": email, "name": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

pub async fn world() -> World {
    let config = ServerConfig {
        require_api_key: Some(KEY.to_owned()),
        ..ServerConfig::default()
    };
    let model = OpenAiServer::start(config).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(3))]);
    let admin = Api::admin(&server.base).await.with_token("admin").await;
    let a = admin.first_workspace().await;
    let agent = json!({"kind": "openai_compatible", "model": "m", "base_url": model.base_url(), "api_key": KEY});
    let (status, _) = admin
        .call(
            "PUT",
            &format!("/api/workspaces/{a}/agents/mock"),
            Some(agent),
        )
        .await;
    assert_eq!(status, 204);
    let spec =
        json!({"suite": "echo.jsonl", "agents": [{"config": {"kind": "saved", "name": "mock"}}]});
    let (status, run) = admin
        .call("POST", &format!("/api/workspaces/{a}/runs"), Some(spec))
        .await;
    assert_eq!(status, 201, "{run}");
    let run = run["id"].as_str().unwrap().to_owned();
    admin.wait_for_run(&a, &run).await;

    create_user(&admin, "bob@example.test").await;
    let (bob, _) = Api::login(&server.base, "bob@example.test", PASSWORD).await;
    let (status, created) = bob
        .call("POST", "/api/workspaces", Some(json!({"name": "B"})))
        .await;
    assert_eq!(status, 201);
    let b = created["id"].as_str().unwrap().to_owned();
    World {
        server,
        model,
        admin,
        bob,
        a,
        b,
        run,
        bodies: Vec::new(),
    }
}

impl World {
    /// A call whose answer is kept, to check later that no key is in any.
    pub async fn call(
        &mut self,
        who: &Api,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, answer) = who.call(method, path, body).await;
        self.bodies.push(answer.clone());
        (status, answer)
    }
}

/// The workspace's result, suite and local-model routes.
pub fn more_routes(ws: &str, run: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let key = "case=c000&agent=m&sample=0";
    let settings = json!({"agents": {"mock": {"limits": {"concurrency": 1}}}});
    vec![
        (
            "GET",
            format!("/api/workspaces/{ws}/runs/{run}/attempt?{key}"),
            None,
        ),
        ("GET", format!("/api/workspaces/{ws}/runs/{run}/rows"), None),
        (
            "GET",
            format!("/api/workspaces/{ws}/runs/{run}/audio?{key}&clip=c.wav"),
            None,
        ),
        (
            "GET",
            format!("/api/workspaces/{ws}/compare?a={run}&b={run}"),
            None,
        ),
        ("GET", format!("/api/workspaces/{ws}/leaderboard"), None),
        (
            "POST",
            format!("/api/workspaces/{ws}/suites/qa"),
            Some(json!({"id": "x"})),
        ),
        ("GET", format!("/api/workspaces/{ws}/suites/qa"), None),
        ("DELETE", format!("/api/workspaces/{ws}/suites/qa"), None),
        (
            "GET",
            format!("/api/workspaces/{ws}/suites/qa/versions/v1"),
            None,
        ),
        (
            "GET",
            format!("/api/workspaces/{ws}/suites/qa/settings"),
            None,
        ),
        (
            "PUT",
            format!("/api/workspaces/{ws}/suites/qa/settings"),
            Some(settings),
        ),
        (
            "GET",
            format!("/api/workspaces/{ws}/agents/mock/models"),
            None,
        ),
        (
            "POST",
            format!("/api/workspaces/{ws}/agents/mock/models/load"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/api/workspaces/{ws}/agents/mock/models/unload"),
            Some(json!({})),
        ),
    ]
}

/// Every route of a workspace, with a body that would be accepted from its owner.
pub fn workspace_routes(ws: &str, run: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let agent = json!({"kind": "scripted", "lines": ["x"]});
    let spec =
        json!({"suite": "echo.jsonl", "agents": [{"config": {"kind": "saved", "name": "mock"}}]});
    vec![
        ("GET", format!("/api/workspaces/{ws}/members"), None),
        (
            "POST",
            format!("/api/workspaces/{ws}/members"),
            Some(json!({"email": "bob@example.test", "role": "owner"})),
        ),
        (
            "DELETE",
            format!("/api/workspaces/{ws}/members/u_whoever"),
            None,
        ),
        ("GET", format!("/api/workspaces/{ws}/runs"), None),
        ("POST", format!("/api/workspaces/{ws}/runs"), Some(spec)),
        ("GET", format!("/api/workspaces/{ws}/runs/{run}"), None),
        ("DELETE", format!("/api/workspaces/{ws}/runs/{run}"), None),
        (
            "POST",
            format!("/api/workspaces/{ws}/runs/{run}/cancel"),
            None,
        ),
        (
            "POST",
            format!("/api/workspaces/{ws}/runs/{run}/resume"),
            None,
        ),
        (
            "POST",
            format!("/api/workspaces/{ws}/runs/{run}/rerun-failed"),
            None,
        ),
        (
            "GET",
            format!("/api/workspaces/{ws}/runs/{run}/events"),
            None,
        ),
        ("GET", format!("/api/workspaces/{ws}/runs/{run}/ws"), None),
        ("GET", format!("/api/workspaces/{ws}/agents"), None),
        ("GET", format!("/api/workspaces/{ws}/agents/mock"), None),
        (
            "PUT",
            format!("/api/workspaces/{ws}/agents/mock"),
            Some(agent),
        ),
        ("DELETE", format!("/api/workspaces/{ws}/agents/mock"), None),
        (
            "POST",
            format!("/api/workspaces/{ws}/agents/mock/test"),
            Some(json!({"prompt": "hi"})),
        ),
        ("GET", format!("/api/workspaces/{ws}/suites"), None),
    ]
}

pub async fn unchanged(world: &World) {
    let runs = world
        .admin
        .get(&format!("/api/workspaces/{}/runs", world.a))
        .await;
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["status"], "finished");
    let agents = world
        .admin
        .get(&format!("/api/workspaces/{}/agents", world.a))
        .await;
    assert_eq!(agents.as_array().unwrap().len(), 1);
    let members = world
        .admin
        .get(&format!("/api/workspaces/{}/members", world.a))
        .await;
    assert_eq!(members.as_array().unwrap().len(), 1);
}

/// The provider key is in no answer kept and in no log line.
pub fn check_no_key(world: &World) {
    for body in &world.bodies {
        assert!(!body.to_string().contains(KEY), "{body}");
    }
    assert!(!world.server.log_text().contains(KEY));
    assert!(world.model.stats().requests >= 3);
}
