//! The wire format both ways, keys, error shapes and Retry-After.

use super::*;

#[tokio::test]
async fn the_default_reply_echoes_the_question_and_counts_words() {
    let server = server().await;
    let reply = agent(&server)
        .respond(&ask("What is two plus three?"))
        .await
        .unwrap();
    assert_eq!(reply.text, "What is two plus three?");
    assert_eq!(reply.usage, Some(Usage::new(5, 5)));
    assert_eq!(reply.model.as_deref(), Some("mock-model"));
    assert!(reply.latency.is_some());
    assert_eq!(server.stats().replies, 1);
}

#[tokio::test]
async fn the_request_body_matches_the_reference() {
    let server = server().await;
    let agent = OpenAiCompatConfig::new("mock-model", server.base_url())
        .with_temperature(1.0)
        .with_max_tokens(64)
        .with_seed(9)
        .build()
        .unwrap();
    // Config defaults alone.
    agent.respond(&ask("hi")).await.unwrap();
    assert_eq!(
        server.requests().pop().unwrap(),
        json!({
            "model": "mock-model",
            "messages": [{"role": "user", "content": "hi"}],
            "temperature": 1.0,
            "max_tokens": 64,
            "seed": 9,
            "stream": false
        })
    );
    // The request's sampling wins field by field.
    let mut sampling = Sampling::default();
    sampling.temperature = Some(0.0);
    sampling.seed = Some(1);
    let request = AgentRequest::new(vec![Message::system("Be terse."), Message::user("hi")])
        .with_sampling(sampling);
    agent.respond(&request).await.unwrap();
    let body = server.requests().pop().unwrap();
    assert_eq!(body["temperature"], json!(0.0));
    assert_eq!(body["max_tokens"], json!(64));
    assert_eq!(body["seed"], json!(1));
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be terse."})
    );
}

#[tokio::test]
async fn unset_sampling_is_not_sent() {
    let server = server().await;
    agent(&server).respond(&ask("hi")).await.unwrap();
    let body = server.requests().pop().unwrap();
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["messages", "model", "stream"]);
}

#[tokio::test]
async fn the_reply_matches_the_reference() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let body: serde_json::Value = client
        .post(format!("{}/chat/completions", server.base_url()))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "one two"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["id"].as_str().unwrap().starts_with("chatcmpl-"),
        "{body}"
    );
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(body["model"], "m");
    assert_eq!(body["choices"][0]["index"], 0);
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    assert_eq!(body["choices"][0]["message"]["content"], "one two");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4})
    );
}

#[tokio::test]
async fn server_errors_have_the_reference_shape() {
    let server = server().await;
    let client = benchcore_providers::http::client_builder().build().unwrap();
    let url = format!("{}/chat/completions", server.base_url());
    let response = client.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"].as_object().unwrap().contains_key("param"));
    assert!(body["error"].as_object().unwrap().contains_key("code"));

    let response = client
        .post(&url)
        .json(&json!({"messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "model");

    let response = client
        .get(format!("{}/nothing", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Unknown request URL"));
    assert_eq!(server.stats().bad_requests, 2);
}

#[tokio::test]
async fn the_key_and_headers_are_sent() {
    let server = OpenAiServer::start(ServerConfig::default().with_api_key(KEY).recording())
        .await
        .unwrap();
    let openai = OpenAiConfig::new("gpt-mock")
        .with_base_url(server.base_url())
        .with_api_key(KEY)
        .with_organization("org-1")
        .with_project("proj-1")
        .with_header("X-Custom", "yes")
        .build()
        .unwrap();
    openai.respond(&ask("hi")).await.unwrap();
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(headers["openai-organization"], "org-1");
    assert_eq!(headers["openai-project"], "proj-1");
    assert_eq!(headers["x-custom"], "yes");
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers["user-agent"].starts_with("benchcore/"));

    let mut router = OpenRouterConfig::new("vendor/model")
        .with_base_url(server.base_url())
        .with_api_key(KEY);
    router.referer = Some("https://example.org".into());
    router.title = Some("benchcore tests".into());
    router.build().unwrap().respond(&ask("hi")).await.unwrap();
    let headers = server.request_headers().pop().unwrap();
    assert_eq!(headers["http-referer"], "https://example.org");
    assert_eq!(headers["x-title"], "benchcore tests");
}

#[tokio::test]
async fn a_wrong_or_missing_key_is_auth_and_never_shown() {
    let server = OpenAiServer::start(ServerConfig::default().with_api_key(KEY))
        .await
        .unwrap();
    let wrong = "sk-wrong-key-4567";
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .with_api_key(wrong)
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert_eq!(err.http_status, Some(401));
    assert!(err.message.contains("Incorrect API key provided"), "{err}");
    let shown = format!("{err} {err:?} {agent:?}");
    assert!(!shown.contains(wrong) && !shown.contains(KEY), "{shown}");
    assert!(
        err.message.ends_with("(sent the API key given as api_key)"),
        "{err}"
    );

    let err = OpenAiCompatConfig::new("m", server.base_url())
        .build()
        .unwrap()
        .respond(&ask("hi"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(
        err.message
            .ends_with("(sent no API key: none is configured)"),
        "{err}"
    );
    assert_eq!(server.stats().unauthorized, 2);
}

#[tokio::test]
async fn an_echoed_key_is_masked() {
    let server = server().await;
    server.push_script(vec![raw(
        401,
        json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
    )]);
    let agent = OpenAiCompatConfig::new("m", server.base_url())
        .with_api_key(KEY)
        .build()
        .unwrap();
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(
        err.message.contains("Incorrect API key provided: ***."),
        "{err}"
    );
}

#[tokio::test]
async fn insufficient_quota_is_auth_not_rate_limited() {
    let server = server().await;
    server.push_script(vec![raw(
        429,
        json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}),
    )]);
    let err = agent(&server).respond(&ask("hi")).await.unwrap_err();
    assert_eq!(err.kind, AgentErrorKind::Auth);
    assert!(!err.is_retryable());
    assert!(err.message.contains("billing"), "{err}");
}

#[tokio::test]
async fn retry_after_is_read_in_every_form() {
    let server = server().await;
    let date = std::time::SystemTime::now() + Duration::from_secs(30);
    let http_date = http_date(date);
    server.push_script(vec![
        Scripted::Raw {
            status: 429,
            headers: vec![("retry-after-ms".into(), "250".into()), ("retry-after".into(), "9".into())],
            body: json!({"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}).to_string(),
        },
        Scripted::Raw {
            status: 429,
            headers: vec![("retry-after".into(), http_date)],
            body: "{}".into(),
        },
        Scripted::RateLimited { retry_after_secs: None },
        Scripted::Raw {
            status: 503,
            headers: vec![("retry-after".into(), "4".into())],
            body: "overloaded".into(),
        },
    ]);
    let agent = agent(&server);
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (
            AgentErrorKind::RateLimited,
            Some(Duration::from_millis(250))
        )
    );
    assert_eq!(err.message, "slow down (code rate_limit_exceeded)");
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    let wait = err.retry_after.unwrap();
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (AgentErrorKind::RateLimited, None)
    );
    let err = agent.respond(&ask("hi")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.retry_after),
        (AgentErrorKind::Transient, Some(Duration::from_secs(4)))
    );
    assert_eq!(err.message, "overloaded");
}

/// An IMF-fixdate for `at`, written by hand to keep the test free of date crates.
fn http_date(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    // Civil-from-days (Howard Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][month as usize - 1];
    format!("{weekday}, {d:02} {month_name} {year} {h:02}:{m:02}:{s:02} GMT")
}
