//! `benchcore serve` and local models, against a loopback LM Studio server speaking LM
//! Studio's REST API: the models of a saved `lmstudio` agent's server listed, loaded and
//! unloaded through the API; a run whose agent says `load` and `unload_after` finds its model
//! loaded before its first chat and unloaded after; an unknown model, a failed load and a
//! server that is down refuse the launch with no run made; a viewer cannot load or unload,
//! and another workspace sees nothing.

mod support;

use benchcore_tests::servers::LmStudioServer;
use serde_json::{json, Value};
use std::time::Duration;
use support::team::{echo_suite, Api, TeamServer};

const QWEN: &str = "qwen/qwen3-4b";
const GEMMA: &str = "google/gemma-3-1b";
const PASSWORD: &str = "a-long-enough-password";

async fn save_agent(api: &Api, ws: &str, name: &str, config: Value) {
    let (status, body) = api
        .call(
            "PUT",
            &format!("/api/workspaces/{ws}/agents/{name}"),
            Some(config),
        )
        .await;
    assert_eq!(status, 204, "saving {name}: {body}");
}

/// The `lmstudio` agent config of a model on `lm`, with `extra` fields.
fn local_agent(lm: &LmStudioServer, model: &str, extra: Value) -> Value {
    let mut config = json!({"kind": "lmstudio", "model": model, "base_url": lm.base_url()});
    for (key, value) in extra.as_object().unwrap() {
        config[key] = value.clone();
    }
    config
}

/// A base URL nothing listens on.
fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/v1")
}

/// The model `key` in a `GET …/models` answer.
fn model<'a>(listed: &'a Value, key: &str) -> &'a Value {
    listed["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {listed}"))
}

async fn launch(api: &Api, ws: &str, agent: &str) -> (u16, Value) {
    api.call(
        "POST",
        &format!("/api/workspaces/{ws}/runs"),
        Some(json!({"suite": "echo.jsonl", "agents": [agent]})),
    )
    .await
}

async fn run_count(api: &Api, ws: &str) -> usize {
    api.get(&format!("/api/workspaces/{ws}/runs"))
        .await
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn models_are_listed_loaded_and_unloaded_through_the_api() {
    let lm = LmStudioServer::start(&[QWEN, GEMMA]).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(1))]);
    let api = Api::admin(&server.base).await;
    let ws = api.first_workspace().await;
    save_agent(&api, &ws, "local", local_agent(&lm, QWEN, json!({}))).await;
    let models = format!("/api/workspaces/{ws}/agents/local/models");

    let listed = api.get(&models).await;
    assert_eq!(listed["agent"], "local");
    assert_eq!(listed["model"], QWEN);
    assert_eq!(
        listed["server"],
        lm.base_url().trim_end_matches("/v1"),
        "{listed}"
    );
    assert_eq!(listed["models"].as_array().unwrap().len(), 2, "{listed}");
    for key in [QWEN, GEMMA] {
        assert_eq!(model(&listed, key)["state"], "not-loaded", "{listed}");
        assert_eq!(model(&listed, key)["type"], "llm");
        assert_eq!(model(&listed, key)["instances"], json!([]));
    }

    // Load another model than the agent's: the loopback server now has it in memory.
    let (status, loaded) = api
        .call(
            "POST",
            &format!("{models}/load"),
            Some(json!({"model": GEMMA})),
        )
        .await;
    assert_eq!(status, 200, "{loaded}");
    assert_eq!(loaded["model"], GEMMA);
    assert_eq!(loaded["state"], "loaded");
    assert_eq!(loaded["already_loaded"], false);
    assert_eq!(loaded["instance_id"], GEMMA);
    assert!(lm.is_loaded(GEMMA) && !lm.is_loaded(QWEN));
    let listed = api.get(&models).await;
    assert_eq!(model(&listed, GEMMA)["state"], "loaded", "{listed}");
    assert_eq!(model(&listed, GEMMA)["instances"], json!([GEMMA]));
    assert_eq!(model(&listed, QWEN)["state"], "not-loaded");

    // Loading it again loads no second instance (LM Studio would make one).
    let (status, again) = api
        .call(
            "POST",
            &format!("{models}/load"),
            Some(json!({"model": GEMMA})),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["already_loaded"], true);
    assert_eq!(lm.events(), vec![format!("load {GEMMA}")]);

    // Without a model, the agent's own; the `lmstudio/` prefix agents accept works too.
    let (status, own) = api
        .call("POST", &format!("{models}/load"), Some(json!({})))
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["model"], QWEN);
    assert!(lm.is_loaded(QWEN));
    let (status, unloaded) = api
        .call(
            "POST",
            &format!("{models}/unload"),
            Some(json!({"model": format!("lmstudio/{QWEN}")})),
        )
        .await;
    assert_eq!(status, 200, "{unloaded}");
    assert_eq!(unloaded["unloaded"], json!([QWEN]));
    assert_eq!(unloaded["state"], "not-loaded");
    assert!(!lm.is_loaded(QWEN));

    // Unload: the state the server reports changes back.
    let (status, unloaded) = api
        .call(
            "POST",
            &format!("{models}/unload"),
            Some(json!({"model": GEMMA})),
        )
        .await;
    assert_eq!(status, 200, "{unloaded}");
    assert_eq!(unloaded["unloaded"], json!([GEMMA]));
    assert!(!lm.is_loaded(GEMMA));
    assert_eq!(model(&api.get(&models).await, GEMMA)["state"], "not-loaded");
    // Unloading what is not loaded unloads nothing, and says so.
    let (status, nothing) = api
        .call(
            "POST",
            &format!("{models}/unload"),
            Some(json!({"model": GEMMA})),
        )
        .await;
    assert_eq!(status, 200, "{nothing}");
    assert_eq!(nothing["unloaded"], json!([]));

    // Bad bodies and unknown models name the field.
    for (body, field) in [
        (json!({"model": ""}), "model"),
        (json!({"model": 7}), "model"),
        (json!({"model": GEMMA, "force": true}), ""),
    ] {
        let (status, answer) = api
            .call("POST", &format!("{models}/load"), Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(
            answer["error"]["field"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{body}: {answer}"
        );
    }
    for verb in ["load", "unload"] {
        let (status, answer) = api
            .call(
                "POST",
                &format!("{models}/{verb}"),
                Some(json!({"model": "nobody/none"})),
            )
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["field"], "model");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("has no model \"nobody/none\""),
            "{message}"
        );
    }

    // A load the server refuses carries its message.
    lm.fail_loads_of(GEMMA, "not enough memory to load the model");
    let (status, answer) = api
        .call(
            "POST",
            &format!("{models}/load"),
            Some(json!({"model": GEMMA})),
        )
        .await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(answer["error"]["code"], "upstream");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not enough memory to load the model") && message.contains("500"),
        "{message}"
    );
    assert!(!lm.is_loaded(GEMMA));

    // A saved agent of another kind, an unknown agent, a server that is down.
    save_agent(
        &api,
        &ws,
        "remote",
        json!({"kind": "openai_compatible", "model": "m", "base_url": lm.base_url()}),
    )
    .await;
    let (status, answer) = api
        .call(
            "GET",
            &format!("/api/workspaces/{ws}/agents/remote/models"),
            None,
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"openai_compatible\""),
        "{answer}"
    );
    let (status, _) = api
        .call(
            "GET",
            &format!("/api/workspaces/{ws}/agents/nobody/models"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    save_agent(
        &api,
        &ws,
        "down",
        json!({"kind": "lmstudio", "model": QWEN, "base_url": dead_base_url()}),
    )
    .await;
    let (status, answer) = api
        .call(
            "GET",
            &format!("/api/workspaces/{ws}/agents/down/models"),
            None,
        )
        .await;
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach the LM Studio server"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_run_loads_its_model_first_and_unloads_it_after() {
    let lm = LmStudioServer::start(&[QWEN]).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(3))]);
    let api = Api::admin(&server.base).await;
    let ws = api.first_workspace().await;

    // Without `load`, the loopback server refuses every chat (just-in-time loading is off).
    save_agent(&api, &ws, "cold", local_agent(&lm, QWEN, json!({}))).await;
    let (status, run) = launch(&api, &ws, "cold").await;
    assert_eq!(status, 201, "{run}");
    let cold = api.wait_for_run(&ws, run["id"].as_str().unwrap()).await;
    assert_eq!(cold["summary"]["agents"][0]["errors"], 3, "{cold}");
    assert!(lm.events().iter().all(|e| e.starts_with("refused chat")));
    assert!(!lm.is_loaded(QWEN));

    // With `load` and `unload_after`: loaded before the first chat, unloaded after the last.
    let before = lm.events().len();
    save_agent(
        &api,
        &ws,
        "local",
        local_agent(&lm, QWEN, json!({"load": true, "unload_after": true})),
    )
    .await;
    let (status, run) = launch(&api, &ws, "local").await;
    assert_eq!(status, 201, "{run}");
    let done = api.wait_for_run(&ws, run["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "finished", "{done}");
    assert_eq!(done["summary"]["agents"][0]["passed"], 3, "{done}");
    // The unload follows the run's end; wait for it (it is not a timing assertion).
    for _ in 0..600 {
        if !lm.is_loaded(QWEN) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!lm.is_loaded(QWEN), "{:?}", lm.events());
    let events = lm.events()[before..].to_vec();
    let chat = format!("chat {QWEN}");
    assert_eq!(
        events,
        [
            vec![format!("load {QWEN}")],
            vec![chat.clone(); 3],
            vec![format!("unload {QWEN}")],
        ]
        .concat()
    );

    // With `load` only, the model stays loaded after the run.
    save_agent(
        &api,
        &ws,
        "warm",
        local_agent(&lm, QWEN, json!({"load": true})),
    )
    .await;
    let (status, run) = launch(&api, &ws, "warm").await;
    assert_eq!(status, 201, "{run}");
    let done = api.wait_for_run(&ws, run["id"].as_str().unwrap()).await;
    assert_eq!(done["summary"]["agents"][0]["passed"], 3, "{done}");
    assert!(lm.is_loaded(QWEN));
    assert_eq!(lm.events().last().unwrap(), &chat);
}

#[tokio::test]
async fn an_unknown_model_a_failed_load_or_a_server_down_refuses_the_launch() {
    let lm = LmStudioServer::start(&[QWEN]).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(2))]);
    let api = Api::admin(&server.base).await;
    let ws = api.first_workspace().await;

    save_agent(
        &api,
        &ws,
        "ghost",
        local_agent(&lm, "nobody/none", json!({"load": true})),
    )
    .await;
    let (status, answer) = launch(&api, &ws, "ghost").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "agents.0.config");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has no model \"nobody/none\""),
        "{answer}"
    );

    lm.fail_loads_of(QWEN, "the model file is corrupt");
    save_agent(
        &api,
        &ws,
        "broken",
        local_agent(&lm, QWEN, json!({"load": true, "unload_after": true})),
    )
    .await;
    let (status, answer) = launch(&api, &ws, "broken").await;
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the model file is corrupt"),
        "{answer}"
    );

    save_agent(
        &api,
        &ws,
        "down",
        json!({"kind": "lmstudio", "model": QWEN, "base_url": dead_base_url(), "load": true}),
    )
    .await;
    let (status, answer) = launch(&api, &ws, "down").await;
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach the LM Studio server"),
        "{answer}"
    );

    assert_eq!(run_count(&api, &ws).await, 0);
    // Nothing was loaded, and no chat was sent.
    assert!(lm.events().is_empty(), "{:?}", lm.events());
}

#[tokio::test]
async fn a_viewer_cannot_load_and_another_workspace_sees_nothing() {
    let lm = LmStudioServer::start(&[QWEN]).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(1))]);
    let admin = Api::admin(&server.base).await;
    let a = admin.first_workspace().await;
    save_agent(&admin, &a, "local", local_agent(&lm, QWEN, json!({}))).await;
    for email in ["carol@example.test", "bob@example.test"] {
        let (status, body) = admin
            .call(
                "POST",
                "/api/users",
                Some(json!({"email": email, "name": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, _) = admin
        .call(
            "POST",
            &format!("/api/workspaces/{a}/members"),
            Some(json!({"email": "carol@example.test", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 204);
    let models = format!("/api/workspaces/{a}/agents/local/models");

    // A viewer reads the list but may not load or unload, whatever the body.
    let (carol, _) = Api::login(&server.base, "carol@example.test", PASSWORD).await;
    let listed = carol.get(&models).await;
    assert_eq!(model(&listed, QWEN)["state"], "not-loaded");
    for verb in ["load", "unload"] {
        for body in [json!({"model": QWEN}), json!({"nonsense": 1})] {
            let (status, answer) = carol
                .call("POST", &format!("{models}/{verb}"), Some(body))
                .await;
            assert_eq!(status, 403, "{verb}: {answer}");
            assert_eq!(answer["error"]["code"], "forbidden");
        }
    }

    // Bob, of another workspace, gets 404 on every route, and in his own workspace the
    // name means nothing.
    let (bob, _) = Api::login(&server.base, "bob@example.test", PASSWORD).await;
    let (status, created) = bob
        .call("POST", "/api/workspaces", Some(json!({"name": "B"})))
        .await;
    assert_eq!(status, 201);
    let b = created["id"].as_str().unwrap().to_owned();
    for (method, path) in [
        ("GET", models.clone()),
        ("POST", format!("{models}/load")),
        ("POST", format!("{models}/unload")),
        ("GET", format!("/api/workspaces/{b}/agents/local/models")),
        (
            "POST",
            format!("/api/workspaces/{b}/agents/local/models/load"),
        ),
    ] {
        let body = (method == "POST").then(|| json!({"model": QWEN}));
        let (status, answer) = bob.call(method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }

    assert!(lm.events().is_empty(), "{:?}", lm.events());
    assert!(!lm.is_loaded(QWEN));
}

/// A launch picks another model of a saved agent's server (`{"saved", "model"}`, what the
/// dashboard's launch form sends): it is loaded before the run, which runs on it, and kept
/// as the saved agent `NAME@MODEL`; a model the server lacks refuses the launch.
#[tokio::test]
async fn a_launch_picks_a_local_model_and_it_is_loaded_first() {
    let lm = LmStudioServer::start(&[QWEN, GEMMA]).await.unwrap();
    let server = TeamServer::start(None, &[("echo.jsonl", &echo_suite(2))]);
    let api = Api::admin(&server.base).await;
    let ws = api.first_workspace().await;
    save_agent(&api, &ws, "local", local_agent(&lm, QWEN, json!({}))).await;
    let picked = json!({"suite": "echo.jsonl", "agents": [{"saved": "local", "model": GEMMA}]});
    let (status, run) = api
        .call("POST", &format!("/api/workspaces/{ws}/runs"), Some(picked))
        .await;
    assert_eq!(status, 201, "{run}");
    let done = api.wait_for_run(&ws, run["id"].as_str().unwrap()).await;
    assert_eq!(done["summary"]["agents"][0]["passed"], 2, "{done}");
    assert_eq!(
        lm.events(),
        [
            format!("load {GEMMA}"),
            format!("chat {GEMMA}"),
            format!("chat {GEMMA}")
        ]
    );
    assert!(!lm.is_loaded(QWEN));
    let derived = api
        .get(&format!(
            "/api/workspaces/{ws}/agents/local@{}",
            GEMMA.replace('/', "%2F")
        ))
        .await;
    assert_eq!(derived["config"]["model"], GEMMA, "{derived}");
    assert_eq!(
        done["spec"]["agents"][0]["config"]["name"],
        format!("local@{GEMMA}")
    );

    let unknown =
        json!({"suite": "echo.jsonl", "agents": [{"saved": "local", "model": "no/such"}]});
    let (status, body) = api
        .call("POST", &format!("/api/workspaces/{ws}/runs"), Some(unknown))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "agents.0.model");
    assert_eq!(run_count(&api, &ws).await, 1, "no run was made");
}
