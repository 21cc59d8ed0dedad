//! `benchcore serve`'s uploaded question sets: versions kept immutable and launched by name or
//! by `NAME@vN` (each run recording the version it read), uploads checked as a run reads them,
//! hostile names and bodies refused, roles and workspaces kept apart, deletion, and per-agent
//! settings that reach the run's agent and the requests it sends.

mod support;

use benchcore_tests::servers::{OpenAiServer, ServerConfig};
use serde_json::{json, Value};
use support::team::{echo_suite, Api, TeamServer};

const KEY: &str = "sk-suites-secret-0123456789";
const PASSWORD: &str = "a-long-enough-password";
const JSONL: &str = "application/x-ndjson";

async fn mock() -> OpenAiServer {
    let config = ServerConfig {
        require_api_key: Some(KEY.to_owned()),
        record_requests: true,
        ..ServerConfig::default()
    };
    OpenAiServer::start(config).await.unwrap()
}

/// Saves agent `name` (the loopback server, model `name`, with its key) in `workspace`.
async fn save_agent(api: &Api, workspace: &str, name: &str, base_url: &str) {
    let config =
        json!({"kind": "openai_compatible", "model": name, "base_url": base_url, "api_key": KEY});
    let (status, body) = api
        .call(
            "PUT",
            &format!("/api/workspaces/{workspace}/agents/{name}"),
            Some(config),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

/// Uploads `content` as suite `name` with `content_type`: the status and body.
async fn upload(
    api: &Api,
    workspace: &str,
    name: &str,
    content_type: &str,
    content: impl Into<reqwest::Body>,
) -> (u16, Value) {
    support::team::upload_suite(api, workspace, name, content_type, content).await
}

fn spec(suite: &str, agents: &[&str]) -> Value {
    let agents: Vec<Value> = agents
        .iter()
        .map(|name| json!({"name": name, "config": {"kind": "saved", "name": name}}))
        .collect();
    json!({"suite": {"name": suite}, "agents": agents, "evaluators": [{"kind": "exact"}],
        "concurrency": 2})
}

/// Launches and waits for the end; returns the run's detail.
async fn run_to_end(api: &Api, workspace: &str, body: Value) -> Value {
    let (status, run) = api
        .call(
            "POST",
            &format!("/api/workspaces/{workspace}/runs"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let detail = api
        .wait_for_run(workspace, run["id"].as_str().unwrap())
        .await;
    assert_eq!(detail["status"], "finished", "{detail}");
    detail
}

/// Asserts that a run read `version` of suite `name`, with `cases` cases, all passed.
fn assert_read(detail: &Value, name: &str, version: &str, cases: u64) {
    let suite = &detail["spec"]["suite"];
    assert_eq!(suite["name"], name, "{detail}");
    assert_eq!(suite["cases"], cases, "{detail}");
    let path = suite["path"].as_str().unwrap();
    assert!(
        path.ends_with(&format!("/suites/{name}/{version}.jsonl")),
        "{path}"
    );
    assert_eq!(detail["spec"]["tags"]["suite_version"], version, "{detail}");
    assert_eq!(detail["summary"]["agents"][0]["passed"], cases, "{detail}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_kept_and_launched_by_name_or_version() {
    let model = mock().await;
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(2))]);
    let api = Api::admin(&server.base).await.with_token("ci").await;
    let ws = api.first_workspace().await;
    let me = api.get("/api/me").await["user"]["id"].clone();
    save_agent(&api, &ws, "mock", &model.base_url()).await;

    let (status, v1) = upload(&api, &ws, "qa", JSONL, echo_suite(3)).await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(
        (&v1["version"], &v1["cases"], &v1["uploaded_by"]),
        (&json!("v1"), &json!(3), &me)
    );
    let first = run_to_end(&api, &ws, spec("qa", &["mock"])).await;
    assert_read(&first, "qa", "v1", 3);
    // The digest the run records is the library's, of the very bytes uploaded.
    assert_eq!(first["spec"]["suite"]["digest"], v1["digest"]);

    let (status, v2) = upload(&api, &ws, "qa", "application/jsonl", echo_suite(5)).await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!((&v2["version"], &v2["cases"]), (&json!("v2"), &json!(5)));
    assert_ne!(v2["sha256"], v1["sha256"]);
    // The same content again: no new version.
    let (status, again) = upload(&api, &ws, "qa", JSONL, echo_suite(5)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["version"], &again["created"]),
        (&json!("v2"), &json!(false))
    );

    let latest = run_to_end(&api, &ws, spec("qa", &["mock"])).await;
    assert_read(&latest, "qa", "v2", 5);
    let pinned = run_to_end(&api, &ws, spec("qa@v1", &["mock"])).await;
    assert_read(&pinned, "qa", "v1", 3);
    assert_eq!(
        pinned["spec"]["suite"]["digest"],
        first["spec"]["suite"]["digest"]
    );
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs"),
            Some(spec("qa@v9", &["mock"])),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "suite.name");
    // An upload is a question set, whatever the spec says.
    let mut as_code = spec("qa", &["mock"]);
    as_code["kind"] = "code_task".into();
    let (status, body) = api
        .call("POST", &format!("/api/workspaces/{ws}/runs"), Some(as_code))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "kind");
    let runs = api
        .get(&format!("/api/workspaces/{ws}/runs?suite=qa"))
        .await;
    assert_eq!(runs.as_array().unwrap().len(), 3, "{runs}");

    // Listed beside the server's suites; versions and content read back.
    let suites = api.get(&format!("/api/workspaces/{ws}/suites")).await;
    let find = |name: &str| {
        suites
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {suites}"))
    };
    assert_eq!(find("echo.jsonl")["source"], "server");
    let qa = find("qa");
    assert_eq!(qa["source"], "workspace");
    assert_eq!((&qa["latest"], &qa["cases"]), (&json!("v2"), &json!(5)));
    assert_eq!(qa["digest"], v2["sha256"]);
    assert_eq!(qa["versions"], json!(["v1", "v2"]));
    let one = api.get(&format!("/api/workspaces/{ws}/suites/qa")).await;
    assert_eq!(one["versions"].as_array().unwrap().len(), 2);
    assert_eq!(one["versions"][0]["content_type"], JSONL);
    let response = api
        .request(
            "GET",
            &format!("/api/workspaces/{ws}/suites/qa/versions/v1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), echo_suite(3));
    for missing in ["v3", "v0", "x"] {
        let (status, _) = api
            .call(
                "GET",
                &format!("/api/workspaces/{ws}/suites/qa/versions/{missing}"),
                None,
            )
            .await;
        assert!(status == 404 || status == 422, "{missing}: {status}");
    }

    // Deleted: the runs keep their records; resuming one is refused, saying why.
    let (status, _) = api
        .call("DELETE", &format!("/api/workspaces/{ws}/suites/qa"), None)
        .await;
    assert_eq!(status, 204);
    let run = first["id"].as_str().unwrap();
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs/{run}/resume"),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("deleted") && message.contains("\"qa\""),
        "{message}"
    );
    let kept = api.get(&format!("/api/workspaces/{ws}/runs/{run}")).await;
    assert_eq!(kept["summary"]["agents"][0]["passed"], 3);
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs"),
            Some(spec("qa", &["mock"])),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("suite.name"))
    );
    let (status, _) = api
        .call("GET", &format!("/api/workspaces/{ws}/suites/qa"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_and_change_nothing() {
    let server = TeamServer::start(None, &[]);
    let api = Api::admin(&server.base).await.with_token("ci").await;
    let ws = api.first_workspace().await;

    let mut bad = echo_suite(2);
    bad.push_str("{\"id\": \"c9\", \"input\": \n");
    let (status, body) = upload(&api, &ws, "qa", JSONL, bad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "body.line.3");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3: "),
        "{body}"
    );
    let duplicate = format!("{}{{\"id\": \"c000\", \"input\": \"x\"}}\n", echo_suite(3));
    let (status, body) = upload(&api, &ws, "qa", JSONL, duplicate).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("body.line.4"))
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("first on line 1"));
    let (status, body) = upload(&api, &ws, "qa", JSONL, "\n\n").await;
    assert_eq!((status, &body["error"]["field"]), (422, &json!("body")));
    let (status, body) = upload(&api, &ws, "qa", JSONL, "{\"input\": \"x\"}\n").await;
    assert!(
        status == 422 && body["error"]["message"].as_str().unwrap().contains("`id`"),
        "{body}"
    );

    // YAML is read as the same cases: a document that does not parse names its line, a
    // repeated id names its case's place, an alias bomb is refused.
    let yaml = "- id: a\n  input: [unclosed\n";
    let (status, body) = upload(&api, &ws, "qa", "application/yaml", yaml).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["field"]
            .as_str()
            .unwrap()
            .starts_with("body.line."),
        "{body}"
    );
    let yaml = "- id: a\n  input: x\n- id: a\n  input: y\n";
    let (status, body) = upload(&api, &ws, "qa", "application/yaml", yaml).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("body.line.2")),
        "{body}"
    );
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (name, previous) in "bcdefghij".chars().zip("abcdefghi".chars()) {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 9].join(",")
        ));
    }
    bomb.push_str("cases: *j\n");
    let (status, body) = upload(&api, &ws, "qa", "application/yaml", bomb).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = upload(&api, &ws, "qa", "text/plain", echo_suite(1)).await;
    assert_eq!(status, 415);

    for hostile in ["..%2Fx", ".env", "a%2Fb", "%2Fetc", "a%5Cb", "q%40v1"] {
        let (status, body) = upload(&api, &ws, hostile, JSONL, echo_suite(1)).await;
        assert_eq!(status, 422, "{hostile}: {body}");
        assert_eq!(body["error"]["field"], "name", "{hostile}");
    }

    // Larger than any JSON body, within the upload's own limit.
    let big: String = (0..20_000)
        .map(|i| {
            format!(
                "{{\"id\": \"c{i}\", \"input\": \"{}\", \"target\": \"t\"}}\n",
                "x".repeat(100)
            )
        })
        .collect();
    assert!(big.len() > 2 << 20);
    let (status, body) = upload(&api, &ws, "big", JSONL, big).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["cases"], 20_000);
    // Over it (on a client of its own: the server closes that connection).
    let own = Api {
        client: support::team::new_client(),
        ..api.clone()
    };
    let (status, body) = upload(&own, &ws, "huge", JSONL, vec![b' '; 33 << 20]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");

    // Nothing but `big` was kept, and nothing was written outside the workspace's folder.
    let suites = api.get(&format!("/api/workspaces/{ws}/suites")).await;
    let names: Vec<&str> = suites
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["big"]);
    let data = server.path().join("data");
    let mut top: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, vec![ws.clone()]);
    let folder = data.join(&ws).join("suites");
    let mut kept: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept, vec![".incoming", "big"]);
    assert_eq!(
        std::fs::read_dir(folder.join(".incoming")).unwrap().count(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_and_roles_keep_suites_apart() {
    let model = mock().await;
    let server = TeamServer::start(None, &[]);
    let admin = Api::admin(&server.base).await.with_token("admin").await;
    let a = admin.first_workspace().await;
    save_agent(&admin, &a, "mock", &model.base_url()).await;
    upload(&admin, &a, "qa", JSONL, echo_suite(2)).await;
    let (status, _) = upload(&admin, &a, "qa", JSONL, echo_suite(4)).await;
    assert_eq!(status, 201);

    create_user(&admin, "bob@example.test").await;
    let (bob, _) = Api::login(&server.base, "bob@example.test", PASSWORD).await;
    let (status, created) = bob
        .call("POST", "/api/workspaces", Some(json!({"name": "B"})))
        .await;
    assert_eq!(status, 201);
    let b = created["id"].as_str().unwrap().to_owned();
    save_agent(&bob, &b, "mock", &model.base_url()).await;

    // Bob cannot see, read, change or use A's suite.
    for (method, path) in [
        ("GET", format!("/api/workspaces/{a}/suites")),
        ("GET", format!("/api/workspaces/{a}/suites/qa")),
        ("GET", format!("/api/workspaces/{a}/suites/qa/versions/v1")),
        ("GET", format!("/api/workspaces/{a}/suites/qa/settings")),
        ("DELETE", format!("/api/workspaces/{a}/suites/qa")),
    ] {
        let (status, _) = bob.call(method, &path, None).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    let (status, _) = upload(&bob, &a, "qa", JSONL, echo_suite(1)).await;
    assert_eq!(status, 404);
    let (status, body) = bob
        .call(
            "POST",
            &format!("/api/workspaces/{b}/runs"),
            Some(spec("qa", &["mock"])),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("suite.name")),
        "{body}"
    );
    let (status, _) = bob
        .call("GET", &format!("/api/workspaces/{b}/suites/qa"), None)
        .await;
    assert_eq!(status, 404);

    // Bob's own `qa` starts at v1, apart from A's.
    let (status, own) = upload(&bob, &b, "qa", JSONL, echo_suite(1)).await;
    assert_eq!((status, &own["version"]), (201, &json!("v1")), "{own}");
    let run = run_to_end(&bob, &b, spec("qa", &["mock"])).await;
    assert_read(&run, "qa", "v1", 1);
    let theirs = admin.get(&format!("/api/workspaces/{a}/suites/qa")).await;
    assert_eq!(theirs["latest"], "v2");
    assert_eq!(theirs["versions"][0]["cases"], 2);

    // A viewer of A reads but changes nothing.
    create_user(&admin, "carol@example.test").await;
    let (status, _) = admin
        .call(
            "POST",
            &format!("/api/workspaces/{a}/members"),
            Some(json!({"email": "carol@example.test", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 204);
    let (carol, _) = Api::login(&server.base, "carol@example.test", PASSWORD).await;
    carol.get(&format!("/api/workspaces/{a}/suites/qa")).await;
    let (status, _) = upload(&carol, &a, "qa", JSONL, echo_suite(7)).await;
    assert_eq!(status, 403);
    for (method, path, body) in [
        ("DELETE", format!("/api/workspaces/{a}/suites/qa"), None),
        (
            "PUT",
            format!("/api/workspaces/{a}/suites/qa/settings"),
            Some(json!({"agents": {}})),
        ),
    ] {
        let (status, _) = carol.call(method, &path, body).await;
        assert_eq!(status, 403, "{method} {path}");
    }
    let after = admin.get(&format!("/api/workspaces/{a}/suites/qa")).await;
    assert_eq!(after["versions"], theirs["versions"]);

    // Uploads at once each get their own number.
    let uploads = (0..4).map(|i| {
        let admin = admin.clone();
        let a = a.clone();
        async move { upload(&admin, &a, "many", JSONL, echo_suite(i + 1)).await }
    });
    let mut versions: Vec<String> = futures::future::join_all(uploads)
        .await
        .into_iter()
        .map(|(status, body)| {
            assert_eq!(status, 201, "{body}");
            body["version"].as_str().unwrap().to_owned()
        })
        .collect();
    versions.sort();
    assert_eq!(versions, vec!["v1", "v2", "v3", "v4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_reach_the_saved_agent_of_a_run() {
    let model = mock().await;
    let server = TeamServer::start(None, &[]);
    let api = Api::admin(&server.base).await.with_token("ci").await;
    let ws = api.first_workspace().await;
    save_agent(&api, &ws, "mock", &model.base_url()).await;
    save_agent(&api, &ws, "other", &model.base_url()).await;
    let settings_path = format!("/api/workspaces/{ws}/suites/qa/settings");
    let settings = json!({"agents": {"mock": {
        "sampling": {"max_tokens": 77},
        "limits": {"concurrency": 1, "requests_per_minute": 6000}}}});
    let (status, _) = api
        .call("PUT", &settings_path, Some(settings.clone()))
        .await;
    assert_eq!(status, 404, "no suite yet");
    upload(&api, &ws, "qa", JSONL, echo_suite(3)).await;
    assert_eq!(api.get(&settings_path).await, json!({"agents": {}}));

    for (bad, field) in [
        (
            json!({"agents": {"mock": {"limits": {"concurrency": 0}}}}),
            "agents.mock.limits.concurrency",
        ),
        (
            json!({"agents": {"mock": {"limits": {"concurrency": "two"}}}}),
            "agents.mock.limits.concurrency",
        ),
        (
            json!({"agents": {"mock": {"sampling": {"temperature": -2}}}}),
            "agents.mock.sampling.temperature",
        ),
        (
            json!({"agents": {"mock": {"limits": {"concurency": 1}}}}),
            "agents.mock.limits",
        ),
        (json!({"agents": {"mock": {"stop": []}}}), "agents.mock"),
        (json!({"agent": {}}), ""),
    ] {
        let (status, body) = api.call("PUT", &settings_path, Some(bad.clone())).await;
        assert_eq!(status, 422, "{bad}: {body}");
        let got = body["error"]["field"].as_str().unwrap_or_default();
        assert!(got.starts_with(field), "{bad}: {got} ({body})");
    }
    let (status, saved) = api
        .call("PUT", &settings_path, Some(settings.clone()))
        .await;
    assert_eq!(status, 200, "{saved}");
    // Read back as the library writes limits (every field named).
    let mut whole = settings.clone();
    whole["agents"]["mock"]["limits"]["fixed_concurrency"] = false.into();
    assert_eq!(saved, whole);
    assert_eq!(api.get(&settings_path).await, whole);

    let detail = run_to_end(&api, &ws, spec("qa", &["mock"])).await;
    let agent = &detail["spec"]["agents"][0];
    assert_eq!(agent["limits"]["concurrency"], 1, "{detail}");
    assert_eq!(agent["limits"]["requests_per_minute"], 6000);
    assert_eq!(detail["spec"]["sampling"]["max_tokens"], 77);
    let sent = model.requests();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r["max_tokens"] == 77), "{sent:?}");

    // Sampling is one for the whole run: with another agent, the spec must settle it.
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/runs"),
            Some(spec("qa", &["mock", "other"])),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("agents")),
        "{body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("\"mock\""));
    let mut settled = spec("qa", &["mock", "other"]);
    settled["sampling"] = json!({"max_tokens": 20});
    let detail = run_to_end(&api, &ws, settled).await;
    let agents = detail["spec"]["agents"].as_array().unwrap();
    let limits = |name: &str| {
        agents.iter().find(|a| a["name"] == name).unwrap()["limits"]["concurrency"].clone()
    };
    assert_eq!((limits("mock"), limits("other")), (json!(1), Value::Null));
    assert_eq!(detail["spec"]["sampling"]["max_tokens"], 20);
}
