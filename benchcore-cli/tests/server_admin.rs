//! `GET /api/admin/encryption`: server administrators see the encryption key's state (loaded,
//! its id, whether it matches the stored fingerprint and sentinel, rotation); anyone else is
//! refused, and the key itself is in no answer and no log line. Also: without
//! `--oidc-issuer`, a bearer that is not an API token is refused as before.

mod support;

use serde_json::json;
use support::team::{Api, Auth, TeamServer, VAULT_KEY};

const PASSWORD: &str = "a-long-enough-password";

#[tokio::test(flavor = "multi_thread")]
async fn administrators_see_the_key_state_and_never_the_key() {
    let server = TeamServer::start(None, &[]);
    let admin = Api::admin(&server.base).await;
    let mut answers = Vec::new();

    let status = admin.get("/api/admin/encryption").await;
    answers.push(status.clone());
    assert_eq!(status["key_loaded"], true, "{status}");
    assert_eq!(status["fingerprint_matches"], true, "{status}");
    assert_eq!(status["sentinel_decrypts"], true, "{status}");
    assert_eq!(status["key_bits"], 256);
    assert_eq!(status["key_format"], "raw");
    let key_id = status["key_id"].as_str().unwrap();
    assert_eq!(key_id.len(), 16);
    assert!(key_id.chars().all(|c| c.is_ascii_hexdigit()), "{key_id}");
    assert_eq!(status["stored_key_id"], key_id);
    assert_eq!(status["previous_key_id"], json!(null));
    assert_eq!(status["rotation"]["previous_key_loaded"], false);
    assert_eq!(status["rotation"]["reencrypted_at_start"], 0);
    assert_eq!(status["saved_secrets"], 0);

    // A saved agent's sealed key is counted, and decrypts.
    let ws = admin.first_workspace().await;
    let agent = json!({"kind": "openai_compatible", "model": "m",
        "base_url": "http://127.0.0.1:9", "api_key": "sk-sealed-0123456789"});
    let (code, body) = admin
        .call(
            "PUT",
            &format!("/api/workspaces/{ws}/agents/a"),
            Some(agent),
        )
        .await;
    assert_eq!(code, 204, "{body}");
    let status = admin
        .with_token("ops")
        .await
        .get("/api/admin/encryption")
        .await;
    answers.push(status.clone());
    assert_eq!(status["saved_secrets"], 1, "{status}");
    assert_eq!(status["undecryptable_secrets"], 0, "{status}");

    // Another user (an owner of the workspace, even) is refused; so is nobody.
    let user = json!({"email": "olivia@example.test", "name": "Olivia", "password": PASSWORD});
    let (code, body) = admin.call("POST", "/api/users", Some(user)).await;
    assert_eq!(code, 201, "{body}");
    let member = json!({"email": "olivia@example.test", "role": "owner"});
    let (code, _) = admin
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/members"),
            Some(member),
        )
        .await;
    assert_eq!(code, 204);
    let (olivia, _) = Api::login(&server.base, "olivia@example.test", PASSWORD).await;
    let (code, body) = olivia.call("GET", "/api/admin/encryption", None).await;
    answers.push(body.clone());
    assert_eq!(code, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (code, body) = Api::anonymous(&server.base)
        .call("GET", "/api/admin/encryption", None)
        .await;
    answers.push(body.clone());
    assert_eq!(code, 401, "{body}");

    // The key, raw or hex, is in no answer and no log line.
    let hex: String = VAULT_KEY.bytes().map(|b| format!("{b:02x}")).collect();
    for answer in &answers {
        let text = answer.to_string();
        assert!(
            !text.contains(VAULT_KEY) && !text.to_lowercase().contains(&hex),
            "{text}"
        );
    }
    let log = server.log_text();
    assert!(!log.contains(VAULT_KEY) && !log.contains(&hex));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_identity_provider_a_jwt_bearer_is_refused() {
    let server = TeamServer::start(None, &[]);
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImFkbWluQGV4YW1wbGUudGVzdCJ9.c2ln";
    let caller = Api {
        auth: Auth::Token(jwt.to_owned()),
        ..Api::anonymous(&server.base)
    };
    let (code, body) = caller.call("GET", "/api/me", None).await;
    assert_eq!(code, 401, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("Bearer bc_"), "{message}");
}
