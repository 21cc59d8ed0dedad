//! `benchcore serve --oidc-issuer`: bearer JWTs from an external identity provider, against
//! a loopback provider that serves its discovery document (OpenID Connect Discovery 1.0 §4)
//! and its key set (RFC 7517) with the RSA and EC keys in `tests/fixtures/oidc/`. Tokens are
//! signed here with ring, independently of the server's verifier. Valid tokens sign existing
//! users in with their roles; forged, expired, misdirected, `none`/HMAC and unknown-key
//! tokens are refused with a message naming the check, and made-up key ids cannot make the
//! server hammer the provider.

mod support;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, RsaKeyPair};
use serde_json::{json, Value};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use support::team::{Api, Auth, ADMIN_EMAIL, ADMIN_PASSWORD, VAULT_KEY};

const AUDIENCE: &str = "benchcore-team";
const PASSWORD: &str = "a-long-enough-password";
/// Where the provider lives under its address (a Keycloak-like realm path).
const REALM: &str = "/realms/team";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/oidc/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn jwk(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// The DER inside a PEM file.
fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> u64 {
    benchcore::now_ms() / 1000
}

/// A private key of the tests, signing the way a provider does.
enum Key {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl Key {
    fn rsa(file: &str) -> Self {
        Self::Rsa(RsaKeyPair::from_pkcs8(&pem_der(&fixture(file))).unwrap())
    }

    fn ec() -> Self {
        let der = pem_der(&fixture("ec.pem"));
        let pair = EcdsaKeyPair::from_pkcs8(
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            &der,
            &SystemRandom::new(),
        )
        .unwrap();
        Self::Ec(pair)
    }

    /// A compact JWS of `claims` with `header` (`alg` RS256 or ES256 as the key is).
    fn sign(&self, header: Value, claims: &Value) -> String {
        let message = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let rng = SystemRandom::new();
        let signature = match self {
            Self::Rsa(pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &rng, message.as_bytes(), &mut out)
                    .unwrap();
                out
            }
            Self::Ec(pair) => pair
                .sign(&rng, message.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
        };
        format!("{message}.{}", b64(&signature))
    }
}

/// What the loopback provider serves, and how often its documents were fetched.
#[derive(Clone, Default)]
struct Published {
    issuer: Arc<Mutex<String>>,
    keys: Arc<Mutex<Vec<Value>>>,
    discovery_fetches: Arc<AtomicUsize>,
    jwks_fetches: Arc<AtomicUsize>,
}

/// A loopback identity provider.
struct Provider {
    issuer: String,
    published: Published,
}

impl Provider {
    async fn start(keys: Vec<Value>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}{REALM}", listener.local_addr().unwrap());
        let published = Published::default();
        *published.issuer.lock().unwrap() = issuer.clone();
        *published.keys.lock().unwrap() = keys;
        let app = Router::new()
            .route(
                &format!("{REALM}/.well-known/openid-configuration"),
                get(discovery),
            )
            .route(
                &format!("{REALM}/protocol/openid-connect/certs"),
                get(certs),
            )
            .with_state(published.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { issuer, published }
    }

    fn jwks_fetches(&self) -> usize {
        self.published.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Claims of a token for `email` that passes every check.
    fn claims(&self, email: &str) -> Value {
        json!({
            "iss": self.issuer, "sub": format!("sub-{email}"), "aud": AUDIENCE,
            "email": email, "email_verified": true,
            "iat": now(), "exp": now() + 600,
        })
    }
}

/// The discovery document's required fields (OpenID Connect Discovery 1.0 §3).
async fn discovery(State(published): State<Published>) -> Json<Value> {
    published.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    let issuer = published.issuer.lock().unwrap().clone();
    let base = issuer.split(REALM).next().unwrap().to_owned() + REALM;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/protocol/openid-connect/auth"),
        "token_endpoint": format!("{base}/protocol/openid-connect/token"),
        "jwks_uri": format!("{base}/protocol/openid-connect/certs"),
        "response_types_supported": ["code", "id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
}

/// The key set, as `application/jwk-set+json` (RFC 7517 §8.5), cacheable for 10 minutes.
async fn certs(State(published): State<Published>) -> impl IntoResponse {
    published.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = published.keys.lock().unwrap().clone();
    (
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=600"),
        ],
        json!({ "keys": keys }).to_string(),
    )
}

/// `benchcore serve` with `--oidc-issuer`, over a temp folder.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(issuer: &str) -> Self {
        Self::start_with(issuer, &[])
    }

    /// The same with more `serve` arguments.
    fn start_with(issuer: &str, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("suites")).unwrap();
        let store = format!("sqlite://{}", dir.path().join("team.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_benchcore"))
            .args(["--store", &store, "serve", "--listen", "127.0.0.1:0"])
            .arg("--suites")
            .arg(dir.path().join("suites"))
            .arg("--data")
            .arg(dir.path().join("data"))
            .args(["--oidc-issuer", issuer, "--oidc-audience", AUDIENCE])
            .args(extra)
            .current_dir(dir.path())
            .env("BENCHCORE_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("BENCHCORE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("BENCHCORE_ENCRYPTION_KEY", VAULT_KEY)
            .env_remove("BENCHCORE_WORKSPACE")
            .env_remove("BENCHCORE_OIDC_JWKS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = line
            .find("http://")
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let base = line[start..].trim().trim_end_matches('/').to_owned();
        Self {
            child,
            base,
            _dir: dir,
        }
    }

    /// A client sending `token` as its bearer.
    fn bearer(&self, token: &str) -> Api {
        Api {
            auth: Auth::Token(token.to_owned()),
            ..Api::anonymous(&self.base)
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The administrator creates `email` and gives them `role` in workspace `ws`.
async fn add_user(admin: &Api, ws: &str, email: &str, role: &str) {
    let user = json!({"email": email, "name": email, "password": PASSWORD});
    let (status, body) = admin.call("POST", "/api/users", Some(user)).await;
    assert_eq!(status, 201, "{body}");
    let member = json!({"email": email, "role": role});
    let (status, body) = admin
        .call(
            "POST",
            &format!("/api/workspaces/{ws}/members"),
            Some(member),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

/// Asserts a 401 whose message contains `expected`.
async fn refused(server: &Server, token: &str, expected: &str) {
    let (status, body) = server.bearer(token).call("GET", "/api/me", None).await;
    assert_eq!(status, 401, "{expected}: {body}");
    assert_eq!(body["error"]["code"], "unauthenticated", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(expected), "{message:?} lacks {expected:?}");
}

fn rs256(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_tokens_sign_in_existing_users_with_their_roles() {
    let provider = Provider::start(vec![jwk("rsa.jwk.json"), jwk("ec.jwk.json")]).await;
    let server = Server::start(&provider.issuer);
    let admin = Api::admin(&server.base).await;
    let ws = admin.first_workspace().await;
    add_user(&admin, &ws, "alice@example.test", "editor").await;
    add_user(&admin, &ws, "carol@example.test", "viewer").await;
    let (rsa, ec) = (Key::rsa("rsa.pem"), Key::ec());

    let alice = server.bearer(&rsa.sign(rs256("rsa-1"), &provider.claims("alice@example.test")));
    let me = alice.get("/api/me").await;
    assert_eq!(me["user"]["email"], "alice@example.test");
    assert_eq!(me["workspaces"][0]["id"], ws.as_str());
    assert_eq!(me["workspaces"][0]["role"], "editor");
    assert!(
        me.get("csrf").is_none(),
        "a bearer caller gets no CSRF token: {me}"
    );
    let runs = alice.get(&format!("/api/workspaces/{ws}/runs")).await;
    assert!(runs.as_array().unwrap().is_empty(), "{runs}");

    // ES256, an audience list that includes ours, an email in another case, no
    // `email_verified`, and a token expired within the 60 s leeway all pass.
    let mut claims = provider.claims("ALICE@example.test");
    claims["aud"] = json!(["another-client", AUDIENCE]);
    claims["exp"] = json!(now() - 20);
    claims.as_object_mut().unwrap().remove("email_verified");
    let header = json!({"alg": "ES256", "kid": "ec-1"});
    let me = server
        .bearer(&ec.sign(header, &claims))
        .get("/api/me")
        .await;
    assert_eq!(me["user"]["email"], "alice@example.test");

    // A viewer's token reads but cannot write.
    let carol = server.bearer(&rsa.sign(rs256("rsa-1"), &provider.claims("carol@example.test")));
    carol.get(&format!("/api/workspaces/{ws}/runs")).await;
    let agent =
        json!({"kind": "openai_compatible", "model": "m", "base_url": "http://127.0.0.1:9"});
    let writes = [
        ("PUT", format!("/api/workspaces/{ws}/agents/mine"), agent),
        (
            "POST",
            format!("/api/workspaces/{ws}/runs"),
            json!({"suite": "s.jsonl", "agents": []}),
        ),
    ];
    for (method, path, body) in writes {
        let (status, answer) = carol.call(method, &path, Some(body)).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden");
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("viewer"));
    }
    let agents = admin.get(&format!("/api/workspaces/{ws}/agents")).await;
    assert_eq!(agents.as_array().unwrap().len(), 0, "{agents}");

    // The administrator's own token reaches the administrators' routes.
    let root = server.bearer(&ec.sign(
        json!({"alg": "ES256", "kid": "ec-1"}),
        &provider.claims(ADMIN_EMAIL),
    ));
    assert_eq!(root.get("/api/admin/encryption").await["key_loaded"], true);

    // Discovery and keys were fetched once: every token above was checked from the cache.
    assert_eq!(
        provider.published.discovery_fetches.load(Ordering::SeqCst),
        1
    );
    assert_eq!(provider.jwks_fetches(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let provider = Provider::start(vec![jwk("rsa.jwk.json"), jwk("ec.jwk.json")]).await;
    let server = Server::start(&provider.issuer);
    let admin = Api::admin(&server.base).await;
    let ws = admin.first_workspace().await;
    add_user(&admin, &ws, "alice@example.test", "owner").await;
    let (rsa, forger) = (Key::rsa("rsa.pem"), Key::rsa("rsa-forger.pem"));
    let good = provider.claims("alice@example.test");
    let with = |field: &str, value: Value| {
        let mut claims = good.clone();
        claims[field] = value;
        claims
    };
    let without = |field: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().unwrap().remove(field);
        claims
    };
    // The control: the same claims, well signed, pass.
    server
        .bearer(&rsa.sign(rs256("rsa-1"), &good))
        .get("/api/me")
        .await;

    let cases = [
        (
            with("iss", json!("http://127.0.0.1:1/realms/team")),
            "issuer (`iss`)",
        ),
        (with("iss", json!([provider.issuer.clone()])), "malformed"),
        (with("aud", json!("another-client")), "audience (`aud`)"),
        (with("aud", json!(["a", "b"])), "audience (`aud`)"),
        (without("aud"), "`aud`"),
        (with("exp", json!(now() - 3600)), "expired"),
        (with("exp", json!("9999999999")), "no usable `exp` claim"),
        (without("exp"), "no usable `exp` claim"),
        (with("nbf", json!(now() + 3600)), "not valid yet (`nbf`)"),
        (with("nbf", json!("0")), "`nbf` claim is malformed"),
        (
            with("email", json!("nobody@example.test")),
            "no user has the email nobody@example.test",
        ),
        (with("email_verified", json!(false)), "not verified"),
        (without("email"), "no `email` claim"),
    ];
    for (claims, expected) in &cases {
        refused(&server, &rsa.sign(rs256("rsa-1"), claims), expected).await;
    }

    // Signed by another key under our key's id, even with that key embedded in the header.
    refused(
        &server,
        &forger.sign(rs256("rsa-1"), &good),
        "signature does not verify",
    )
    .await;
    let Key::Rsa(pair) = &forger else {
        unreachable!()
    };
    let public = sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    let mut embedded = rs256("rsa-1");
    embedded["jwk"] =
        json!({"kty": "RSA", "kid": "rsa-1", "n": b64(&public.n), "e": b64(&public.e)});
    embedded["jku"] = json!(format!("{}/protocol/openid-connect/certs", provider.issuer));
    refused(
        &server,
        &forger.sign(embedded, &good),
        "signature does not verify",
    )
    .await;

    // `alg: none`, and HS256 keyed with the provider's public key.
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "kid": "rsa-1"})
            .to_string()
            .as_bytes()),
        b64(good.to_string().as_bytes())
    );
    refused(&server, &unsigned, "(`alg`) \"none\" is refused").await;
    let hs_header = b64(json!({"alg": "HS256", "kid": "rsa-1"})
        .to_string()
        .as_bytes());
    let message = format!("{hs_header}.{}", b64(good.to_string().as_bytes()));
    let public = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, fixture("rsa.pub.pem").as_bytes());
    let mac = ring::hmac::sign(&public, message.as_bytes());
    refused(
        &server,
        &format!("{message}.{}", b64(mac.as_ref())),
        "(`alg`) \"HS256\" is refused",
    )
    .await;

    // An RSA signature claiming the EC key, a header with `crit`, and non-JWT bearers.
    refused(
        &server,
        &rsa.sign(rs256("ec-1"), &good),
        "cannot check RS256",
    )
    .await;
    let mut critical = rs256("rsa-1");
    critical["crit"] = json!(["exp"]);
    refused(&server, &rsa.sign(critical, &good), "critical extensions").await;
    refused(&server, "not-a-jwt", "neither an API token").await;
    refused(&server, "a.b.c", "neither an API token").await;

    // Made-up key ids: refused, and the provider's keys fetched at most twice in all (the
    // first fetch, and one refetch for an unknown key within 30 s).
    for n in 0..5 {
        let token = forger.sign(rs256(&format!("made-up-{n}")), &good);
        refused(
            &server,
            &token,
            &format!("`kid` \"made-up-{n}\" is not one"),
        )
        .await;
    }
    let fetches = provider.jwks_fetches();
    assert!(
        (1..=2).contains(&fetches),
        "the key set was fetched {fetches} times"
    );

    // The well-signed token still works, and nothing above signed anyone in.
    server
        .bearer(&rsa.sign(rs256("rsa-1"), &good))
        .get("/api/me")
        .await;
    let tokens = admin.get("/api/tokens").await;
    assert!(tokens.as_array().unwrap().is_empty(), "{tokens}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_published_later_is_fetched_once_for_its_first_token() {
    let provider = Provider::start(vec![jwk("rsa.jwk.json")]).await;
    let server = Server::start(&provider.issuer);
    let claims = provider.claims(ADMIN_EMAIL);
    let (rsa, ec) = (Key::rsa("rsa.pem"), Key::ec());
    server
        .bearer(&rsa.sign(rs256("rsa-1"), &claims))
        .get("/api/me")
        .await;
    assert_eq!(provider.jwks_fetches(), 1);

    // The provider rotates: its new EC key is fetched for the first token naming it.
    provider
        .published
        .keys
        .lock()
        .unwrap()
        .push(jwk("ec.jwk.json"));
    let es256 = json!({"alg": "ES256", "kid": "ec-1"});
    let me = server.bearer(&ec.sign(es256, &claims)).get("/api/me").await;
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert_eq!(provider.jwks_fetches(), 2);

    // Within 30 s of that refetch, unknown keys fetch nothing more.
    for n in 0..3 {
        let token = rsa.sign(rs256(&format!("next-{n}")), &claims);
        refused(&server, &token, "is not one").await;
    }
    assert_eq!(provider.jwks_fetches(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_issuers_discovery_is_refused_and_a_given_jwks_url_skips_discovery() {
    let provider = Provider::start(vec![jwk("rsa.jwk.json")]).await;
    *provider.published.issuer.lock().unwrap() = format!("{}-other", provider.issuer);
    let server = Server::start(&provider.issuer);
    let token = Key::rsa("rsa.pem").sign(rs256("rsa-1"), &provider.claims(ADMIN_EMAIL));
    let (status, body) = server.bearer(&token).call("GET", "/api/me", None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("another issuer"), "{message}");
    assert_eq!(provider.jwks_fetches(), 0);

    // Given the key set's address, the server skips discovery and the token passes.
    let certs = format!("{}/protocol/openid-connect/certs", provider.issuer);
    let server = Server::start_with(&provider.issuer, &["--oidc-jwks-url", &certs]);
    let me = server.bearer(&token).get("/api/me").await;
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert_eq!(
        provider.published.discovery_fetches.load(Ordering::SeqCst),
        1
    );
    assert_eq!(provider.jwks_fetches(), 1);
}

#[test]
fn bad_oidc_flags_stop_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().display().to_string();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--oidc-issuer", "https://id.example.com"],
            "--oidc-audience: needed",
        ),
        (&["--oidc-audience", AUDIENCE], "need --oidc-issuer"),
        (
            &[
                "--oidc-issuer",
                "http://id.example.com",
                "--oidc-audience",
                AUDIENCE,
            ],
            "--oidc-issuer: http://id.example.com must be an https URL",
        ),
        (
            &[
                "--oidc-issuer",
                "https://id.example.com",
                "--oidc-audience",
                " ",
            ],
            "--oidc-audience: must not be empty",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--suites", &suites];
        args.extend_from_slice(flags);
        let output = support::command::benchcore(dir.path(), &args);
        let stderr = support::command::text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
    }
}
