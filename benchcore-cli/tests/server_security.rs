//! `benchcore serve` against hostile callers: another workspace's member on every route, a
//! viewer trying to write, forged, revoked and expired tokens, a session without its CSRF
//! token, oversized and malformed bodies, specs and agent configs that reach for the
//! server's files, commands or environment, repeated wrong passwords, and a provider key that
//! must appear in no answer and no log line. Each gets a clear error and changes nothing.

mod support;

use benchcore_tests::servers::{OpenAiServer, ServerConfig};
use serde_json::{json, Value};
use std::time::Duration;
use support::team::{echo_suite, Api, Auth, TeamServer, ADMIN_EMAIL};

const KEY: &str = "sk-never-shown-abcdef0123456789";
const PASSWORD: &str = "a-long-enough-password";

/// A server whose admin owns workspace A (with a run and an agent), and bob, who owns B.
struct World {
    server: TeamServer,
    model: OpenAiServer,
    admin: Api,
    bob: Api,
    a: String,
    b: String,
    run: String,
    bodies: Vec<Value>,
}

async fn create_user(admin: &Api, email: &str) {
    let (status, body) = admin
        .call(
            "POST",
            "/api/users",
            Some(json!({"email": email, "name": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn world() -> World {
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
    async fn call(
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
fn more_routes(ws: &str, run: &str) -> Vec<(&'static str, String, Option<Value>)> {
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
fn workspace_routes(ws: &str, run: &str) -> Vec<(&'static str, String, Option<Value>)> {
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

async fn unchanged(world: &World) {
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

#[tokio::test(flavor = "multi_thread")]
async fn another_workspace_is_not_found_on_every_route() {
    let mut world = world().await;
    let bob = world.bob.clone();
    let (a, b, run) = (world.a.clone(), world.b.clone(), world.run.clone());
    let every = workspace_routes(&a, &run)
        .into_iter()
        .chain(more_routes(&a, &run));
    for (method, path, body) in every {
        let (status, answer) = world.call(&bob, method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    // A's run id under bob's own workspace is no better.
    for (method, path, body) in workspace_routes(&b, &run) {
        let names_a_thing = path.contains(&run) || path.contains("/agents/mock");
        if names_a_thing && method != "PUT" {
            let (status, answer) = world.call(&bob, method, &path, body).await;
            assert_eq!(status, 404, "{method} {path}: {answer}");
        }
    }
    // A workspace id that does not exist answers the same as one that does.
    let (status, _) = world
        .call(&bob, "GET", "/api/workspaces/w_doesnotexist0000/runs", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = world
        .call(&bob, "GET", "/api/workspaces/..%2F..%2Fetc/runs", None)
        .await;
    assert_eq!(status, 404);
    // Bob's own listing shows only B.
    let mine = bob.get("/api/workspaces").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], b.as_str());
    unchanged(&world).await;
    // Non-administrators manage no users.
    let (status, _) = world.call(&bob, "GET", "/api/users", None).await;
    assert_eq!(status, 403);
    let (status, _) = world
        .call(
            &bob,
            "POST",
            "/api/users",
            Some(json!({"email": "x@y.z", "name": "x", "password": PASSWORD, "admin": true})),
        )
        .await;
    assert_eq!(status, 403);
    check_no_key(&world);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_reads_but_cannot_write() {
    let mut world = world().await;
    create_user(&world.admin, "carol@example.test").await;
    let a = world.a.clone();
    let (status, _) = world
        .admin
        .call(
            "POST",
            &format!("/api/workspaces/{a}/members"),
            Some(json!({"email": "carol@example.test", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 204);
    let (carol, _) = Api::login(&world.server.base, "carol@example.test", PASSWORD).await;
    let run = world.run.clone();
    for (method, path, body) in workspace_routes(&a, &run) {
        let (status, answer) = world.call(&carol, method, &path, body).await;
        if method == "GET" {
            let expected = if path.ends_with("/ws") { 400 } else { 200 };
            // (a WebSocket route answers a plain GET with 400: it wants an upgrade)
            assert_eq!(status, expected, "{method} {path}: {answer}");
        } else {
            assert_eq!(status, 403, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "forbidden");
        }
    }
    for (method, path, body) in more_routes(&a, &run) {
        if method != "GET" {
            let (status, answer) = world.call(&carol, method, &path, body).await;
            assert_eq!(status, 403, "{method} {path}: {answer}");
        }
    }
    // Nothing changed (the members list now has carol too).
    let members = world
        .admin
        .get(&format!("/api/workspaces/{a}/members"))
        .await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    let runs = world.admin.get(&format!("/api/workspaces/{a}/runs")).await;
    assert_eq!(runs.as_array().unwrap().len(), 1);
    check_no_key(&world);
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_revoked_and_expired_tokens_are_refused() {
    let world = world().await;
    let base = world.server.base.clone();
    let a = world.a.clone();
    let path = format!("/api/workspaces/{a}/runs");
    let with = |auth: Auth| Api {
        auth,
        ..world.admin.clone()
    };
    for forged in [
        "bc_forged0000000000000000000000000000000000",
        "not-a-token",
        "",
    ] {
        let (status, body) = with(Auth::Token(forged.to_owned()))
            .call("GET", &path, None)
            .await;
        assert_eq!(status, 401, "{forged}: {body}");
    }
    let (status, _) = Api::anonymous(&base).call("GET", &path, None).await;
    assert_eq!(status, 401);
    // Revoked: refused at once.
    let scripted = world.admin.with_token("short-lived").await;
    let tokens = world.admin.get("/api/tokens").await;
    let id = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "short-lived")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(scripted.call("GET", &path, None).await.0, 200);
    // Bob cannot revoke the admin's token.
    assert_eq!(
        world
            .bob
            .call("DELETE", &format!("/api/tokens/{id}"), None)
            .await
            .0,
        404
    );
    assert_eq!(scripted.call("GET", &path, None).await.0, 200);
    assert_eq!(
        world
            .admin
            .call("DELETE", &format!("/api/tokens/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(scripted.call("GET", &path, None).await.0, 401);
    // Expired: a token whose expiry has passed, written through the store's own API.
    let handle = benchcore_store::connect(&world.server.store).await.unwrap();
    let accounts = handle.accounts().unwrap();
    let admin_id = world.admin.get("/api/me").await["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut info = benchcore_store::TokenInfo::new(
        "t_expired",
        admin_id,
        "old",
        Some(benchcore::now_ms() - 1000),
    );
    info.expires_at_ms = Some(benchcore::now_ms() - 1000);
    let secret = "bc_expiredexpiredexpiredexpiredexpired00";
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    accounts.create_token(&info, &digest).await.unwrap();
    handle.close().await;
    let (status, body) = with(Auth::Token(secret.to_owned()))
        .call("GET", &path, None)
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_change_without_its_csrf_token_is_refused() {
    let world = world().await;
    let a = world.a.clone();
    let (session, _) = Api::login(
        &world.server.base,
        ADMIN_EMAIL,
        support::team::ADMIN_PASSWORD,
    )
    .await;
    let Auth::Session { cookie, .. } = &session.auth else {
        unreachable!()
    };
    let path = format!("{}/api/workspaces/{a}/agents/evil", world.server.base);
    let body = json!({"kind": "scripted", "lines": ["x"]});
    for csrf in [None, Some("wrong"), Some("")] {
        let mut request = session
            .client
            .put(&path)
            .header("cookie", cookie)
            .json(&body);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{csrf:?}");
        let answer: Value = response.json().await.unwrap();
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CSRF"));
    }
    // Reads need none; the same change with the token works.
    let (status, _) = session
        .call("GET", &format!("/api/workspaces/{a}/agents"), None)
        .await;
    assert_eq!(status, 200);
    let agents = world
        .admin
        .get(&format!("/api/workspaces/{a}/agents"))
        .await;
    assert_eq!(agents.as_array().unwrap().len(), 1, "nothing was saved");
    let (status, _) = session
        .call(
            "PUT",
            &format!("/api/workspaces/{a}/agents/evil"),
            Some(body),
        )
        .await;
    assert_eq!(status, 204);
    // Signing out ends the session.
    assert_eq!(session.call("POST", "/api/logout", None).await.0, 204);
    assert_eq!(session.call("GET", "/api/me", None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_and_hostile_specs_get_clear_errors() {
    let mut world = world().await;
    let admin = world.admin.clone();
    let a = world.a.clone();
    let runs = format!("/api/workspaces/{a}/runs");
    // Oversized.
    let huge = json!({"suite": "echo.jsonl", "name": "x".repeat(2 << 20)});
    // (on a client of its own: the server closes that connection after refusing the body)
    let own = Api {
        client: support::team::new_client(),
        ..admin.clone()
    };
    let (status, body) = world.call(&own, "POST", &runs, Some(huge)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
    // Malformed, and not JSON at all.
    let response = admin
        .request("POST", &runs)
        .header("content-type", "application/json")
        .body("{\"suite\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = admin
        .request("POST", &runs)
        .body("suite=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Each hostile spec, and the field it names.
    let saved = json!([{"config": {"kind": "saved", "name": "mock"}}]);
    let cases = [
        (
            json!({"suite": "../team.db", "agents": saved}),
            "suite.name",
        ),
        (
            json!({"suite": "/etc/passwd", "agents": saved}),
            "suite.name",
        ),
        (
            json!({"suite": {"name": "echo.jsonl", "path": "/etc/passwd"}, "agents": saved}),
            "suite.path",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": saved, "artifacts_dir": "/tmp/elsewhere"}),
            "artifacts_dir",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": [{"config": {"kind": "mcp", "server": {"command": ["sh"]}}}]}),
            "agents.0.config.kind",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": [{"config": {"kind": "openai_compatible", "model": "m", "base_url": "http://127.0.0.1:9", "api_key_env": "BENCHCORE_ENCRYPTION_KEY"}}]}),
            "agents.0.config.api_key_env",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": [{"config": {"kind": "openai", "model": "gpt-4o", "base_url": "http://evil.invalid"}}]}),
            "agents.0.config.api_key",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": [{"config": {"kind": "saved", "name": "nobody"}}]}),
            "agents.0.config.name",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": saved, "samples": "many"}),
            "samples",
        ),
        (
            json!({"suite": "echo.jsonl", "agents": saved, "concurrency": 100000}),
            "concurrency",
        ),
        (json!({"suite": "echo.jsonl", "agents": []}), "agents"),
        (
            json!({"suite": {"name": "echo.jsonl", "dataset": {"fewshot_path": "/etc/passwd"}}, "agents": saved}),
            "suite.dataset.fewshot_path",
        ),
    ];
    for (spec, field) in cases {
        let (status, body) = world.call(&admin, "POST", &runs, Some(spec.clone())).await;
        assert_eq!(status, 422, "{spec}: {body}");
        assert_eq!(body["error"]["field"], field, "{spec}: {body}");
    }
    // Agent configs that reach for the machine are not saved.
    let agents = format!("/api/workspaces/{a}/agents");
    let hostile = [
        json!({"kind": "realtime", "api_key": "k", "replay_dir": "/etc"}),
        json!({"kind": "realtime", "api_key": "k", "speech": {"engine": "command", "command": ["sh", "-c", "id"]}}),
        json!({"kind": "replay", "dir": "/"}),
        json!({"kind": "openai_compatible", "model": "m", "base_url": "http://x", "extra": {"api_key": "nested, unsealed"}}),
        json!(["not", "an", "object"]),
    ];
    for config in hostile {
        let (status, body) = world
            .call(
                &admin,
                "PUT",
                &format!("{agents}/evil"),
                Some(config.clone()),
            )
            .await;
        assert_eq!(status, 422, "{config}: {body}");
    }
    let (status, body) = world
        .call(
            &admin,
            "PUT",
            &format!("{agents}/bad%0Aname"),
            Some(json!({"kind": "scripted"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // A wrong type in a secret field is reported without its value.
    let (status, body) = world
        .call(&admin, "PUT", &format!("{agents}/typed"), Some(json!({"kind": "openai_compatible", "model": "m", "base_url": "http://x", "api_key": 123456789})))
        .await;
    assert_eq!(status, 422);
    assert!(!body.to_string().contains("123456789"), "{body}");
    unchanged(&world).await;
    check_no_key(&world);
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_wrong_passwords_are_rate_limited() {
    let world = world().await;
    let anonymous = Api::anonymous(&world.server.base);
    let login = |password: &str| json!({"email": "bob@example.test", "password": password});
    for _ in 0..5 {
        let (status, body) = anonymous
            .call("POST", "/api/login", Some(login("wrong password!!")))
            .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["message"], "wrong email or password");
    }
    // Past the limit, even the right password waits.
    let response = anonymous
        .request("POST", "/api/login")
        .json(&login(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    // An unknown email answers like a wrong password.
    let (status, body) = anonymous
        .call(
            "POST",
            "/api/login",
            Some(json!({"email": "nobody@example.test", "password": "whatever-whatever"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (401, Some("wrong email or password"))
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    let metrics = anonymous
        .request("GET", "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("benchcore_logins_failed_total 6"),
        "{metrics}"
    );
}

/// The provider key is in no answer kept and in no log line.
fn check_no_key(world: &World) {
    for body in &world.bodies {
        assert!(!body.to_string().contains(KEY), "{body}");
    }
    assert!(!world.server.log_text().contains(KEY));
    assert!(world.model.stats().requests >= 3);
}
