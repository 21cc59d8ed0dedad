//! `benchcore serve` against hostile callers: another workspace's member on every route, a
//! viewer trying to write, forged, revoked and expired tokens, and a session without its CSRF
//! token. Each gets a clear error and changes nothing; the provider key appears in no answer
//! and no log line. (Hostile bodies and sign-ins: `server_hostile_input.rs`.)

mod support;

use serde_json::{json, Value};
use support::hostile::{
    check_no_key, create_user, more_routes, unchanged, workspace_routes, world, PASSWORD,
};
use support::team::{Api, Auth, ADMIN_EMAIL};

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
