//! `benchcore serve` against hostile input: oversized, malformed and mistyped bodies, run
//! specs and agent configs that reach for the server's files, commands or environment, and
//! repeated wrong passwords. Each gets a clear error naming the field and changes nothing;
//! the provider key appears in no answer and no log line.

mod support;

use serde_json::json;
use std::time::Duration;
use support::hostile::{check_no_key, unchanged, world, PASSWORD};
use support::team::Api;

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
